"""Socket refusals end to end, with a real login, Daphne and two workers: single-use
tokens, tokens after logout, session ids in URLs, origins with another port or
scheme; and a logout or password change closing the user's sockets in other tabs."""

import asyncio
import itertools
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from channels1.user_sockets import LOGIN_ENDED

from .accounts import Browser
from .chat_frames import next_line

_names = itertools.count(1)


def new_user(system):
    """A browser logged in as a user of its own."""
    number = next(_names)
    return Browser(system).login_as_new_user(f"user{number}", f"pass-{number}-of-this-test")


async def who_connects(system, query, headers=None):
    """The user name the whoami socket sees on connect ("-": anonymous)."""
    url = system.ws_url(f"/ws/test/whoami/?{query}")
    async with connect(url, additional_headers={"Origin": system.http_url, **(headers or {})}) as socket:
        return (await asyncio.wait_for(socket.recv(), 10)).split()[1]


async def close_code(socket):
    """The close code of a socket once the server closes it."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(socket.recv(), 10)
    return closed.value.rcvd.code


async def test_a_replayed_token_is_refused_with_4401(system):
    browser = new_user(system)
    token = browser.token()
    assert await who_connects(system, f"token={token}") == browser.username
    async with connect(system.ws_url(f"/ws/test/whoami/?token={token}"),
                       additional_headers={"Origin": system.http_url}) as replayed:
        assert await close_code(replayed) == 4401


async def test_a_token_fetched_before_logout_is_refused_with_4401(system):
    browser = new_user(system)
    token = browser.token()
    browser.logout()
    async with connect(system.ws_url(f"/ws/chat/lobby/?token={token}"),
                       additional_headers={"Origin": system.http_url}) as socket:
        assert await close_code(socket) == 4401


async def test_a_session_key_in_the_url_is_not_a_login_by_default(system):
    browser = new_user(system)
    assert await who_connects(system, f"session_key={browser.cookies()['sessionid']}") == "-"
    async with connect(system.ws_url(f"/ws/chat/lobby/?session_key={browser.cookies()['sessionid']}"),
                       additional_headers={"Origin": system.http_url}) as socket:
        assert await close_code(socket) == 4403


async def test_a_session_key_in_the_url_is_a_login_with_the_legacy_setting_on(make_system):
    legacy = make_system(env={"TEST_SESSION_KEY_IN_QUERY": "1"}).start(workers=1)
    browser = new_user(legacy)
    assert await who_connects(legacy, f"session_key={browser.cookies()['sessionid']}") == browser.username


@pytest.mark.parametrize("origin_of", [
    lambda system: f"http://127.0.0.1:{system.port + 1}",
    lambda system: f"https://127.0.0.1:{system.port}",
    lambda system: f"http://localhost:{system.port}",  # in ALLOWED_HOSTS, but not this site's host
], ids=["another port", "another scheme", "another host"])
async def test_an_origin_with_another_port_scheme_or_host_gets_403(system, origin_of):
    browser = new_user(system)
    headers = {"Cookie": browser.cookie_header(), "Origin": origin_of(system)}
    with pytest.raises(InvalidStatus) as rejected:
        async with connect(system.ws_url("/ws/chat/lobby/"), additional_headers=headers):
            pass
    assert rejected.value.response.status_code == 403


async def test_logging_out_closes_the_users_socket_in_another_tab(system):
    ada, bea = new_user(system), new_user(system)
    async with connect(system.ws_url(f"/ws/chat/logout/?token={ada.token()}"),
                       additional_headers={"Origin": system.http_url}) as other_tab, \
            connect(system.ws_url(f"/ws/chat/logout/?token={bea.token()}"),
                    additional_headers={"Origin": system.http_url}) as someone_else:
        await asyncio.to_thread(ada.logout)
        assert await close_code(other_tab) == LOGIN_ENDED
        await someone_else.send(json.dumps({"message": "still here"}))
        line = await next_line(someone_else)
        assert (line["user"], line["message"]) == (bea.username, "still here")


async def test_a_password_change_elsewhere_closes_the_users_sockets(system):
    browser = new_user(system)
    async with connect(system.ws_url("/ws/notifications/"), additional_headers=browser.headers()) as socket:
        await asyncio.to_thread(system.manage, "shell", "-c", (
            "from django.contrib.auth.models import User; "
            f"user = User.objects.get(username={browser.username!r}); "
            "user.set_password('a-new-pass-7'); user.save()"
        ))
        assert await close_code(socket) == LOGIN_ENDED
