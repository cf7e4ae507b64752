"""Users, sessions and ordering end to end: real login, Daphne and two workers."""

import asyncio
import json
import random
from types import SimpleNamespace

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from channels1.layer import RedisChannelLayer

from .accounts import Browser


@pytest.fixture(scope="module")
def ann(system):
    browser = Browser(system).login_as_new_user("ann", "ann-secret-1")
    return browser


def layer_of(system):
    return RedisChannelLayer(hosts=[system.env["REDIS_URL"]], prefix=system.env["CHANNEL_LAYER_PREFIX"])


async def test_the_user_is_known_on_connect_receive_and_disconnect_across_workers(system, ann):
    layer = layer_of(system)
    async with connect(system.ws_url("/ws/test/whoami/"), additional_headers=ann.headers()) as socket:
        connected = (await asyncio.wait_for(socket.recv(), 5)).split()
        assert connected[:2] == ["connect", "ann"]
        pids = {connected[2]}
        for _ in range(12):
            await socket.send("who")
            word, user, pid, seen = (await asyncio.wait_for(socket.recv(), 5)).split()
            assert (word, user) == ("receive", "ann")
            pids.add(pid)
    assert len(pids) == 2, "both workers handled this socket's messages"
    # The channel session written by one worker was read and extended by the other.
    assert len(seen.split(",")) == 13 and set(seen.split(",")) == pids
    gone = await asyncio.wait_for(layer.receive("test.disconnects"), 5)
    assert gone["user"] == "ann"
    await layer.close()


async def test_a_socket_token_logs_the_socket_in(system, ann):
    url = system.ws_url(f"/ws/test/whoami/?token={ann.token()}")
    async with connect(url, additional_headers={"Origin": system.http_url}) as socket:
        assert (await asyncio.wait_for(socket.recv(), 5)).split()[:2] == ["connect", "ann"]


@pytest.mark.parametrize("token", ["forged", "eyJpZCI6IjEifQ:1vX:bad"])
async def test_a_forged_token_ends_the_socket_with_4401(system, token):
    url = system.ws_url(f"/ws/chat/lobby/?token={token}")
    async with connect(url, additional_headers={"Origin": system.http_url}) as socket:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 5)
    assert closed.value.rcvd.code == 4401


async def test_anonymous_sockets_are_refused_where_login_is_required(system):
    async with connect(system.ws_url("/ws/chat/lobby/"), additional_headers={"Origin": system.http_url}) as socket:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 5)
    assert closed.value.rcvd.code == 4403


@pytest.mark.parametrize("origin", ["http://evil.example.com", None])
async def test_a_foreign_or_missing_origin_gets_403(system, ann, origin):
    headers = {"Cookie": ann.cookie_header(), **({"Origin": origin} if origin else {})}
    with pytest.raises(InvalidStatus) as rejected:
        async with connect(system.ws_url("/ws/chat/lobby/"), additional_headers=headers):
            pass
    assert rejected.value.response.status_code == 403


async def next_frame(socket, key):
    """The next frame with ``key``; the room's history and presence frames are skipped."""
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), 5))
        if key in frame:
            return frame


async def test_chat_shows_who_said_what(system, ann):
    async with connect(system.ws_url("/ws/chat/named/"), additional_headers=ann.headers()) as socket:
        await next_frame(socket, "history")
        await socket.send(json.dumps({"message": "hello"}))
        line = await next_frame(socket, "message")
        assert (line["user"], line["message"]) == ("ann", "hello")


async def test_a_message_to_a_user_reaches_all_their_tabs(system, ann):
    from channels1.auth import user_group_name

    async with connect(system.ws_url("/ws/chat/tab-one/"), additional_headers=ann.headers()) as first, \
            connect(system.ws_url("/ws/chat/tab-two/"), additional_headers=ann.headers()) as second:
        await asyncio.sleep(0.3)
        layer = layer_of(system)
        await layer.group_send(user_group_name(SimpleNamespace(pk=ann.user_id)), {"text": json.dumps({"note": "hi"})})
        for tab in (first, second):
            assert await next_frame(tab, "note") == {"note": "hi"}
        await layer.close()


async def test_frames_forced_out_of_order_run_in_order(system):
    layer = layer_of(system)
    reply = await layer.new_channel("daphne.response")
    base = {"reply_channel": reply, "path": "/ws/test/ordered/"}
    await layer.send("websocket.connect", {**base, "order": 0, "headers": [], "query_string": b""})
    assert await asyncio.wait_for(layer.receive(reply), 5) == {"accept": True}
    orders = list(range(1, 21))
    random.Random(7).shuffle(orders)
    for order in orders:
        await layer.send("websocket.receive", {**base, "order": order, "text": "x"})
    got = [int((await asyncio.wait_for(layer.receive(reply), 10))["text"]) for _ in range(20)]
    assert got == list(range(1, 21))
    await layer.close()
