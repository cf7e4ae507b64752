"""Single-use socket tokens on the test Redis: bound to the session they were issued
for, used up by their first socket, refused once that session has logged out."""

import threading
import time
import types

import pytest
from django.contrib.auth import logout, update_session_auth_hash
from django.core import signing
from django.test import RequestFactory

from channels1 import Message
from channels1.auth import SocketAuthError, http_session_user
from channels1.tokens import InvalidToken, redeem, socket_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in_request(cache_settings, channel_layer_settings, client, django_user_model):
    """A request of a logged-in user, its session in the test Redis and database."""
    user = django_user_model.objects.create_user("ann", password="secret-pass-1")
    client.force_login(user)
    request = RequestFactory().get("/")
    request.session, request.user = client.session, user
    return request


def connect(token):
    content = {"reply_channel": "daphne.response.t!1", "path": "/ws/", "query_string": f"token={token}".encode()}
    return Message(content, "websocket.connect", None)


def user_of(token):
    return http_session_user(lambda message: message.user)(connect(token))


def test_a_token_names_the_session_it_was_issued_for(logged_in_request):
    assert redeem(socket_token(logged_in_request)) == logged_in_request.session.session_key


def test_a_replayed_token_is_refused_with_4401(logged_in_request):
    token = socket_token(logged_in_request)
    assert user_of(token) == logged_in_request.user
    with pytest.raises(SocketAuthError) as refused:
        user_of(token)
    assert refused.value.code == 4401 and "already used" in str(refused.value)


def test_of_two_sockets_presenting_one_token_at_once_only_one_gets_in(logged_in_request):
    tokens = [socket_token(logged_in_request) for _ in range(20)]
    for token in tokens:
        barrier, results = threading.Barrier(2), []

        def present(token=token, barrier=barrier, results=results):
            barrier.wait()
            try:
                results.append(redeem(token))
            except InvalidToken:
                results.append(None)

        racers = [threading.Thread(target=present) for _ in range(2)]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join()
        assert sorted(results, key=bool) == [None, logged_in_request.session.session_key]


def test_a_token_is_refused_after_its_session_logged_out(logged_in_request):
    token = socket_token(logged_in_request)
    logout(logged_in_request)
    with pytest.raises(SocketAuthError) as refused:
        user_of(token)
    assert refused.value.code == 4401 and "logged out" in str(refused.value)


def test_a_token_is_refused_after_a_password_change_on_its_session(logged_in_request):
    token = socket_token(logged_in_request)
    logged_in_request.user.set_password("another-pass-2")
    logged_in_request.user.save()
    update_session_auth_hash(logged_in_request, logged_in_request.user)  # as the password change view
    with pytest.raises(SocketAuthError) as refused:
        user_of(token)
    assert refused.value.code == 4401


def test_a_forged_token_is_refused(cache_settings):
    with pytest.raises(InvalidToken, match="forged"):
        redeem("forged")


def at(monkeypatch, moment):
    """Signatures are checked as if it were ``moment`` (seconds since the epoch)."""
    monkeypatch.setattr(signing, "time", types.SimpleNamespace(time=lambda: moment))


def test_a_socket_token_is_good_for_60_seconds_and_no_longer(logged_in_request, monkeypatch):
    token, made = socket_token(logged_in_request), time.time()
    at(monkeypatch, made + 59)
    assert redeem(token) == logged_in_request.session.session_key
    monkeypatch.undo()
    token, made = socket_token(logged_in_request), time.time()
    at(monkeypatch, made + 61)
    with pytest.raises(InvalidToken, match="expired"):
        redeem(token)
