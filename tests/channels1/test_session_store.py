"""Browser sessions while Redis is away: logged-in pages keep working from the
database, logins and logouts still work, one WARNING says what to start, and the
cache is used again once Redis answers."""

import pytest
from django.contrib.auth import SESSION_KEY

from channels1.redis_server import RedisServer

PASSWORD = "a-long-test-passphrase-42"


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def sessions_on(settings, own_redis):
    settings.SESSION_ENGINE = "channels1.session_store"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": own_redis.url, "KEY_PREFIX": "sessions-test"}}
    return own_redis


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="ada", password=PASSWORD)


def test_logged_in_pages_work_while_redis_is_down(client, user, sessions_on, caplog):
    client.post("/accounts/login/", {"username": "ada", "password": PASSWORD})
    assert client.get("/chat/").status_code == 200
    sessions_on.process.kill()
    sessions_on.process.wait()
    assert client.get("/chat/").status_code == 200
    token = client.get("/ws-token/")  # tokens live in Redis: the page is told to retry
    assert token.status_code == 503 and "Redis does not answer" in token.json()["error"]
    warnings = [r for r in caplog.records if r.name == "channels1.sessions" and r.levelname == "WARNING"]
    assert len(warnings) == 1
    assert "python manage.py runredis" in warnings[0].getMessage()


def test_login_and_logout_work_while_redis_is_down(client, user, sessions_on):
    sessions_on.stop()
    response = client.post("/accounts/login/", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 302 and client.session[SESSION_KEY] == str(user.pk)
    assert client.get("/chat/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/chat/").status_code == 302


def test_the_cache_is_used_again_once_redis_answers(client, user, sessions_on, caplog):
    sessions_on.stop()
    client.post("/accounts/login/", {"username": "ada", "password": PASSWORD})
    sessions_on.start()
    assert client.get("/chat/").status_code == 200
    assert any("Sessions use the cache again" in r.getMessage() for r in caplog.records)
    assert any(key.startswith(b"sessions-test") for key in sessions_on.client().keys())


def test_a_logout_during_the_outage_holds_once_redis_is_back_with_its_data(client, user, settings, tmp_path):
    from django.test import Client

    server = RedisServer(tmp_path / "durable", persist=True).start()
    try:
        settings.SESSION_ENGINE = "channels1.session_store"
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                       "LOCATION": server.url, "KEY_PREFIX": "sessions-test"}}
        client.post("/accounts/login/", {"username": "ada", "password": PASSWORD})
        same_browser = Client()
        same_browser.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
        assert same_browser.get("/chat/").status_code == 200
        server.stop()  # its data is kept
        client.post("/accounts/logout/")
        server.start()
        client.get("/accounts/login/")  # the first use of the cache once it answers
        assert same_browser.get("/chat/").status_code == 302
    finally:
        server.stop()
