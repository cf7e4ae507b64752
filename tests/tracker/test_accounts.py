"""Tests of the account pages, the login-only chat pages and the socket token view,
with sessions in the cached_db engine on the test Redis."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from channels1.tokens import redeem

PASSWORD = "a-long-test-passphrase-42"


@pytest.fixture(autouse=True)
def redis_sessions(cache_settings, db):
    """Every test here keeps its sessions in the test Redis (and the database)."""


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="ada", password=PASSWORD)


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def test_settings_use_shared_sessions(settings):
    assert settings.SESSION_ENGINE == "channels1.session_store"
    assert settings.CHANNEL_SESSION_ENGINE == "django.contrib.sessions.backends.cache"
    assert reverse(settings.LOGIN_URL) == "/accounts/login/"


def test_login_page_renders(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="username"' in page and 'name="password"' in page
    assert reverse("signup") in page


def test_login_with_password(client, user):
    response = client.post("/accounts/login/", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session[SESSION_KEY] == str(user.pk)


def test_login_follows_next(client, user):
    response = client.post("/accounts/login/", {"username": "ada", "password": PASSWORD, "next": "/chat/lobby/"})
    assert response["Location"] == "/chat/lobby/"


def test_wrong_password_stays_on_login_page(client, user):
    response = client.post("/accounts/login/", {"username": "ada", "password": "wrong"})
    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_session_is_kept_in_the_cache(client, user, redis_server, cache_settings):
    client.post("/accounts/login/", {"username": "ada", "password": PASSWORD})
    keys = redis_server.client().keys(f"{cache_settings['KEY_PREFIX']}:*")
    assert any(b"django.contrib.sessions.cached_db" in key for key in keys)


def test_signup_creates_the_user_and_logs_them_in(client, django_user_model):
    response = client.post(
        "/accounts/signup/", {"username": "grace", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = django_user_model.objects.get(username="grace")
    assert client.session[SESSION_KEY] == str(user.pk)
    assert "Log out grace" in client.get("/").content.decode()


def test_signup_page_and_invalid_form(client, django_user_model):
    assert client.get("/accounts/signup/").status_code == 200
    response = client.post("/accounts/signup/", {"username": "grace", "password1": PASSWORD, "password2": "other"})
    assert response.status_code == 200
    assert not django_user_model.objects.filter(username="grace").exists()
    assert SESSION_KEY not in client.session


def test_logout_by_post(logged_in):
    response = logged_in.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert SESSION_KEY not in logged_in.session


def test_logout_refuses_get(logged_in):
    assert logged_in.get("/accounts/logout/").status_code == 405
    assert SESSION_KEY in logged_in.session


def test_home_is_public_and_has_the_nav(client):
    page = client.get("/").content.decode()
    assert 'href="/chat/"' in page
    assert 'href="/accounts/login/"' in page and 'href="/accounts/signup/"' in page


def test_nav_of_a_logged_in_user(logged_in):
    page = logged_in.get("/").content.decode()
    assert "Log out ada" in page
    assert 'action="/accounts/logout/"' in page and 'method="post"' in page


@pytest.mark.parametrize("path", ["/chat/", "/chat/lobby/"])
def test_chat_pages_send_anonymous_users_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


def test_chat_pages_for_a_logged_in_user(logged_in, rq_settings):
    assert logged_in.get("/chat/").status_code == 200
    assert logged_in.get("/chat/?room=lobby")["Location"] == "/chat/lobby/"
    page = logged_in.get("/chat/lobby/").content.decode()
    assert "/static/tracker/chat.js" in page and '"lobby"' in page
    assert logged_in.get("/chat/?room=ops/night shift")["Location"] == "/chat/ops/night%20shift/"
    assert '"ops/night shift"' in logged_in.get("/chat/ops/night%20shift/").content.decode()
    assert "/ws-token/" in page


def test_ws_token_for_anonymous_is_403_json(client):
    response = client.get("/ws-token/")
    assert response.status_code == 403
    assert response.json() == {"error": "login required"}
    assert "no-store" in response["Cache-Control"]


def test_ws_token_stands_for_the_session_of_the_logged_in_user(logged_in, user):
    response = logged_in.get("/ws-token/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert redeem(response.json()["token"]) == logged_in.session.session_key


def test_ws_token_only_for_get(logged_in):
    assert logged_in.post("/ws-token/").status_code == 405
