"""Channel and HTTP sessions for consumers, on the project's engines: the channel
session in Redis through Django's cache, the HTTP session in cached_db."""

import pytest

from channels1 import Message
from channels1.auth import SocketAuthError
from channels1.layer import RedisChannelLayer
from channels1.sessions import (
    channel_and_http_session,
    channel_session,
    http_session,
    session_for_reply_channel,
    wait_channel_name,
)


@pytest.fixture
def sessions(settings, cache_settings):
    """The project's session engines, their cache on the test Redis."""
    assert settings.SESSION_ENGINE == "channels1.session_store"
    assert settings.CHANNEL_SESSION_ENGINE == "django.contrib.sessions.backends.cache"
    return settings


def message(channel="websocket.receive", reply_channel="daphne.response.abc!def", **content):
    return Message({"reply_channel": reply_channel, "path": "/ws/", **content}, channel, channel_layer=None)


def test_a_connection_always_gets_the_same_channel_session(sessions):
    first = session_for_reply_channel("daphne.response.a!b")
    assert first.session_key == session_for_reply_channel("daphne.response.a!b").session_key
    assert first.session_key.startswith("chn") and len(first.session_key) == 32
    assert first.session_key != session_for_reply_channel("daphne.response.a!c").session_key


def test_signed_cookie_sessions_cannot_hold_channel_sessions(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    settings.CHANNEL_SESSION_ENGINE = None
    with pytest.raises(ValueError, match="signed cookie"):
        session_for_reply_channel("daphne.response.a!b")


def test_channel_session_values_last_from_one_message_to_the_next(sessions):
    @channel_session
    def connect(message):
        message.channel_session["room"] = "lobby"

    @channel_session
    def receive(message):
        return message.channel_session["room"]

    connect(message("websocket.connect"))
    assert receive(message()) == "lobby"
    assert "room" not in session_for_reply_channel("daphne.response.other!one")


def test_channel_session_is_saved_even_when_the_consumer_raised(sessions):
    @channel_session
    def broken(message):
        message.channel_session["seen"] = True
        raise RuntimeError("broken")

    with pytest.raises(RuntimeError):
        broken(message(reply_channel="daphne.response.x!raised"))
    assert session_for_reply_channel("daphne.response.x!raised")["seen"] is True


def test_channel_session_works_on_methods_and_needs_a_message(sessions):
    class Consumer:
        @channel_session
        def handle(self, message):
            return message.channel_session.session_key

    assert Consumer().handle(message()).startswith("chn")
    with pytest.raises(ValueError, match="without Message"):
        channel_session(lambda text: None)("not a message")


def test_channel_session_needs_a_reply_channel(sessions):
    with pytest.raises(ValueError, match="reply_channel"):
        channel_session(lambda message: None)(Message({}, "thumbnails", None))


def test_channel_session_is_reentrant(sessions):
    @channel_session
    @channel_session
    def twice(message):
        message.channel_session["n"] = 1
        return message.channel_session

    session = twice(message(reply_channel="daphne.response.x!twice"))
    assert session_for_reply_channel("daphne.response.x!twice")["n"] == 1
    assert session.session_key == session_for_reply_channel("daphne.response.x!twice").session_key


@pytest.mark.django_db
def test_http_session_comes_from_the_cookie(sessions, client, django_user_model):
    client.force_login(django_user_model.objects.create_user("ann"))
    key = client.cookies[sessions.SESSION_COOKIE_NAME].value
    cookie = f"other=1; {sessions.SESSION_COOKIE_NAME}={key}".encode()
    seen = http_session(lambda m: m.http_session)(message("websocket.connect", headers=[[b"cookie", cookie]]))
    assert seen.session_key == key and "_auth_user_id" in seen


@pytest.mark.django_db
def test_a_session_key_in_the_query_comes_first_when_the_legacy_setting_is_on(sessions, client, django_user_model):
    sessions.CHANNELS1_SESSION_KEY_IN_QUERY = True
    client.force_login(django_user_model.objects.create_user("ann"))
    key = client.cookies[sessions.SESSION_COOKIE_NAME].value
    seen = http_session(lambda m: m.http_session)(message(
        "websocket.connect",
        query_string=f"session_key={key}".encode(),
        headers=[[b"cookie", f"{sessions.SESSION_COOKIE_NAME}=stale".encode()]],
    ))
    assert seen.session_key == key


@pytest.mark.django_db
def test_a_session_key_in_the_query_is_ignored_with_a_warning_by_default(sessions, client, django_user_model, caplog):
    client.force_login(django_user_model.objects.create_user("ann"))
    key = client.cookies[sessions.SESSION_COOKIE_NAME].value
    query = f"session_key={key}".encode()
    assert http_session(lambda m: m.http_session)(message("websocket.connect", query_string=query)) is None
    cookie = [[b"cookie", f"{sessions.SESSION_COOKIE_NAME}=from-cookie".encode()]]
    seen = http_session(lambda m: m.http_session)(message("websocket.connect", query_string=query, headers=cookie))
    assert seen.session_key == "from-cookie"
    assert "CHANNELS1_SESSION_KEY_IN_QUERY" in caplog.text


def test_http_session_is_none_without_cookie_or_key(sessions):
    assert http_session(lambda m: m.http_session)(message("websocket.connect", headers=[])) is None


def test_a_bad_token_ends_the_socket_with_4401(sessions):
    with pytest.raises(SocketAuthError) as failed:
        http_session(lambda m: None)(message("websocket.connect", query_string=b"token=forged"))
    assert failed.value.code == 4401


@pytest.mark.django_db
def test_channel_and_http_session_keeps_the_http_session_for_later_messages(sessions, client, django_user_model):
    client.force_login(django_user_model.objects.create_user("ann"))
    key = client.cookies[sessions.SESSION_COOKIE_NAME].value
    consumer = channel_and_http_session(lambda m: m.http_session and m.http_session.session_key)
    reply = "daphne.response.x!both"
    cookie = [[b"cookie", f"{sessions.SESSION_COOKIE_NAME}={key}".encode()]]
    assert consumer(message("websocket.connect", reply_channel=reply, headers=cookie)) == key
    assert consumer(message("websocket.receive", reply_channel=reply)) == key


def test_wait_channels_are_named_as_in_1x_and_valid_on_the_layer():
    name = wait_channel_name("daphne.response.ab!cd")
    assert name == "__wait__.daphne.response.ab?cd"
    assert RedisChannelLayer().require_valid_channel_name(name)


@pytest.mark.parametrize("engine", ["db", "cache", "cached_db"])
def test_a_channel_session_written_before_it_was_saved_keeps_its_key(settings, cache_settings, db, engine):
    settings.CHANNEL_SESSION_ENGINE = f"django.contrib.sessions.backends.{engine}"
    session = session_for_reply_channel("daphne.response.new!socket")
    key = session.session_key
    session["room"] = "lobby"
    session.save()
    assert session.session_key == key
    assert session_for_reply_channel("daphne.response.new!socket")["room"] == "lobby"


def test_http_session_reads_1x_dict_headers(sessions, client, django_user_model):
    client.force_login(django_user_model.objects.create_user("dora"))
    key = client.cookies[sessions.SESSION_COOKIE_NAME].value
    consumer = http_session(lambda m: m.http_session and m.http_session.session_key)
    headers = {"cookie": f"{sessions.SESSION_COOKIE_NAME}={key}", "host": "example.com"}
    assert consumer(message("websocket.connect", headers=headers)) == key


@pytest.mark.django_db
def test_a_channel_session_reads_as_the_engines_own_session(settings):
    from django.contrib.sessions.backends.db import SessionStore

    settings.CHANNEL_SESSION_ENGINE = "django.contrib.sessions.backends.db"
    session = session_for_reply_channel("daphne.response.salt!check")
    session["room"] = "lobby"
    session.save()
    assert SessionStore(session_key=session.session_key).get("room") == "lobby"
