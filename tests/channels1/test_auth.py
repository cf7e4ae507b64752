"""message.user for consumers: from the HTTP session or a socket token on connect,
from the channel session afterwards."""

import pytest
from django.test import RequestFactory

from channels1 import Message
from channels1.auth import (
    SocketAuthError,
    channel_session_user,
    channel_session_user_from_http,
    http_session_user,
    login_required,
    transfer_user,
    user_group_name,
)
from channels1.tokens import socket_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def sessions(settings, cache_settings):
    """The project's session engines, their cache on the test Redis."""
    assert settings.SESSION_ENGINE == "channels1.session_store"
    assert settings.CHANNEL_SESSION_ENGINE == "django.contrib.sessions.backends.cache"
    return settings


@pytest.fixture
def ann(django_user_model):
    return django_user_model.objects.create_user("ann", password="secret-pass-1")


def connect(reply_channel, **content):
    return Message({"reply_channel": reply_channel, "path": "/ws/", "order": 0, **content}, "websocket.connect", None)


def receive(reply_channel):
    return Message({"reply_channel": reply_channel, "path": "/ws/", "order": 1}, "websocket.receive", None)


def cookie_for(client, settings):
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    return [[b"cookie", f"{settings.SESSION_COOKIE_NAME}={key}".encode()]]


def test_transfer_user_copies_a_whole_login_only():
    target = {}
    transfer_user({"_auth_user_id": "1", "_auth_user_backend": "b"}, target)
    assert target == {}
    transfer_user({"_auth_user_id": "1", "_auth_user_backend": "b", "_auth_user_hash": "h", "x": 1}, target)
    assert target == {"_auth_user_id": "1", "_auth_user_backend": "b", "_auth_user_hash": "h"}


def test_the_user_of_the_http_session_is_known_on_every_later_message(sessions, client, ann):
    client.force_login(ann)

    @channel_session_user_from_http
    def on_connect(message):
        return message.user

    @channel_session_user
    def on_receive(message):
        return message.user

    assert on_connect(connect("daphne.response.a!1", headers=cookie_for(client, sessions))) == ann
    assert on_receive(receive("daphne.response.a!1")) == ann
    assert on_receive(receive("daphne.response.a!other")).is_anonymous


def test_without_a_session_the_user_is_anonymous(sessions):
    assert http_session_user(lambda m: m.user)(connect("daphne.response.a!2", headers=[])).is_anonymous


def test_a_socket_token_stands_for_the_login(sessions, client, ann):
    client.force_login(ann)
    request = RequestFactory().get("/")
    request.session = client.session
    request.user = ann
    token = socket_token(request)

    @channel_session_user_from_http
    def on_connect(message):
        return message.user

    assert on_connect(connect("daphne.response.a!3", query_string=f"token={token}".encode())) == ann
    assert channel_session_user(lambda m: m.user)(receive("daphne.response.a!3")) == ann


def test_a_token_of_a_user_who_changed_password_is_refused(sessions, client, ann):
    client.force_login(ann)
    request = RequestFactory().get("/")
    request.session, request.user = client.session, ann
    token = socket_token(request)
    ann.set_password("another-pass-2")
    ann.save()
    user = http_session_user(lambda m: m.user)(connect("daphne.response.a!4", query_string=f"token={token}".encode()))
    assert user.is_anonymous


def test_an_expired_token_is_refused_with_4401(sessions, client, ann, monkeypatch):
    import time

    from channels1 import tokens

    client.force_login(ann)
    request = RequestFactory().get("/")
    request.session, request.user = client.session, ann
    token = socket_token(request)
    monkeypatch.setattr(tokens, "MAX_AGE", 0)
    time.sleep(1.1)
    with pytest.raises(SocketAuthError) as refused:
        http_session_user(lambda m: m.user)(connect("daphne.response.a!5", query_string=f"token={token}".encode()))
    assert refused.value.code == 4401 and "expired" in str(refused.value)


def test_login_required_ends_anonymous_sockets_with_4403(sessions):
    @http_session_user
    @login_required
    def on_connect(message):
        return "ran"

    with pytest.raises(SocketAuthError) as refused:
        on_connect(connect("daphne.response.a!6", headers=[]))
    assert refused.value.code == 4403


def test_socket_auth_error_accepts_then_closes_with_its_code():
    sent = []

    class Reply:
        def send(self, content, immediately=False):
            sent.append(content)

    message = connect("daphne.response.a!7")
    message.reply_channel = Reply()
    SocketAuthError(4403, "login required").run(message)
    assert sent == [{"accept": True, "close": 4403}]


def test_each_user_has_a_group_of_their_own(ann, django_user_model):
    bob = django_user_model.objects.create_user("bob")
    assert user_group_name(ann) != user_group_name(bob)
    assert user_group_name(ann) == f"user.{ann.pk}"
