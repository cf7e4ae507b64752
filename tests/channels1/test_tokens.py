"""Socket tokens live 60 seconds."""

import time
import types

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import signing
from django.test import RequestFactory

from channels1.tokens import InvalidToken, auth_data, socket_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def token_for(client, django_user_model, cache_settings):
    """``token_for()``: a new socket token of a logged-in user, and when it was made."""
    user = django_user_model.objects.create_user("tia", password="secret-pass-1")
    client.force_login(user)

    def make():
        request = RequestFactory().get("/")
        request.session, request.user = client.session, user
        return socket_token(request), time.time()

    make.user = user
    return make


def at(monkeypatch, moment):
    """Signatures are checked as if it were ``moment`` (seconds since the epoch)."""
    monkeypatch.setattr(signing, "time", types.SimpleNamespace(time=lambda: moment))


def test_a_socket_token_is_good_for_60_seconds_and_no_longer(token_for, monkeypatch):
    token, made = token_for()
    at(monkeypatch, made + 59)
    assert auth_data(token)[SESSION_KEY] == str(token_for.user.pk)
    monkeypatch.undo()
    token, made = token_for()
    at(monkeypatch, made + 61)
    with pytest.raises(InvalidToken, match="expired"):
        auth_data(token)
