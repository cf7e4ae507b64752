"""Logging in through the real login page, as a browser would, for system tests."""

import http.cookiejar
import json
import re
import urllib.parse
import urllib.request


class Browser:
    """Keeps cookies; logs in through /accounts/login/ and fetches socket tokens."""

    def __init__(self, system):
        self.system = system
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path):
        with self.opener.open(self.system.http_url + path, timeout=10) as response:
            return response.read().decode()

    def post_form(self, page_path, action_path, fields):
        """Post ``fields`` to ``action_path`` with the CSRF token of the form on ``page_path``."""
        page = self.get(page_path)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": csrf})
        request = urllib.request.Request(
            self.system.http_url + action_path, data=form.encode(),
            headers={"Referer": self.system.http_url + page_path},
        )
        with self.opener.open(request, timeout=10) as response:
            response.read()

    def login(self, username, password):
        self.post_form("/accounts/login/", "/accounts/login/", {"username": username, "password": password})
        if "sessionid" not in self.cookies():
            raise AssertionError(f"logging in as {username} failed")
        return self

    def logout(self):
        """Log out with the form in the pages' navigation."""
        self.post_form("/", "/accounts/logout/", {})
        if "sessionid" in self.cookies():
            raise AssertionError("logging out failed")

    def login_as_new_user(self, username, password, **options):
        self.username = username
        self.user_id = self.system.create_user(username, password, **options)
        return self.login(username, password)

    def cookies(self):
        return {cookie.name: cookie.value for cookie in self.jar}

    def cookie_header(self):
        return "; ".join(f"{name}={value}" for name, value in self.cookies().items())

    def token(self):
        return json.loads(self.get("/ws-token/"))["token"]

    def headers(self):
        """What a page of the site sends with its WebSocket handshake."""
        return {"Cookie": self.cookie_header(), "Origin": self.system.http_url}
