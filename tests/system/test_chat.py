"""Chat rooms end to end: the page, and broadcasts between clients whose frames are
handled by different worker processes."""

import asyncio
import json
import time
import urllib.parse

import pytest
import redis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from .accounts import Browser


@pytest.fixture(scope="module")
def bob(system):
    return Browser(system).login_as_new_user("bob", "bob-secret-1")


def room_url(system, room):
    return system.ws_url(f"/ws/chat/{urllib.parse.quote(room, safe='')}/")


async def test_chat_broadcast_reaches_every_client_in_the_room(system, bob):
    headers = bob.headers()
    async with connect(room_url(system, "lobby"), additional_headers=headers) as first, \
            connect(room_url(system, "lobby"), additional_headers=headers) as second, \
            connect(room_url(system, "elsewhere"), additional_headers=headers) as third:
        await asyncio.sleep(0.2)  # the joins run in the workers
        for i in range(20):
            await (first if i % 2 else second).send(json.dumps({"message": f"line {i}"}))
        for client in (first, second):
            lines = [json.loads(await asyncio.wait_for(client.recv(), 5)) for _ in range(20)]
            assert sorted(line["message"] for line in lines) == sorted(f"line {i}" for i in range(20))
            assert {line["user"] for line in lines} == {"bob"}
        await third.send(json.dumps({"message": "only here"}))
        assert json.loads(await asyncio.wait_for(third.recv(), 5)) == {"user": "bob", "message": "only here"}
    for worker in system.workers:
        assert "Consumed websocket.receive" in system.log(worker), f"worker {worker.pid} handled no frame"


async def test_any_room_name_works_and_names_do_not_collide(system, bob):
    rooms = ["Café ☕", "a b", "a_b", "x" * 200]
    headers = bob.headers()
    async with connect(room_url(system, rooms[0]), additional_headers=headers) as first, \
            connect(room_url(system, rooms[1]), additional_headers=headers) as second, \
            connect(room_url(system, rooms[2]), additional_headers=headers) as third, \
            connect(room_url(system, rooms[3]), additional_headers=headers) as fourth:
        await asyncio.sleep(0.2)
        for socket, room in zip((first, second, third, fourth), rooms):
            await socket.send(json.dumps({"message": room}))
        for socket, room in zip((first, second, third, fourth), rooms):
            assert json.loads(await asyncio.wait_for(socket.recv(), 5)) == {"user": "bob", "message": room}


async def test_malformed_chat_frame_gets_an_error_reply(system, bob):
    async with connect(room_url(system, "lobby"), additional_headers=bob.headers()) as socket:
        await socket.send("not json")
        assert "error" in json.loads(await asyncio.wait_for(socket.recv(), 5))
        await socket.send(json.dumps({"message": "still here"}))
        assert json.loads(await asyncio.wait_for(socket.recv(), 5)) == {"user": "bob", "message": "still here"}


async def test_a_closed_socket_leaves_its_room_and_user_groups(system, bob):
    store = redis.Redis.from_url(system.env["REDIS_URL"])

    def groups_of(channel):
        keys = store.scan_iter(match=f"{system.prefix}:g:*")
        return sorted(key.decode().split(":g:", 1)[1] for key in keys if store.zscore(key, channel) is not None)

    async with connect(room_url(system, "leaving"), additional_headers=bob.headers()) as socket:
        await socket.send(json.dumps({"message": "hello"}))
        assert json.loads(await asyncio.wait_for(socket.recv(), 5))["message"] == "hello"
        [channel] = store.zrange(f"{system.prefix}:g:chat.room.leaving", 0, -1)
        assert [group for group in groups_of(channel) if not group.startswith("user.")] == ["chat.room.leaving"]
        assert any(group.startswith("user.") for group in groups_of(channel))
    deadline = time.monotonic() + 15
    while groups_of(channel):
        assert time.monotonic() < deadline, f"{channel} is still in {groups_of(channel)}"
        await asyncio.sleep(0.1)


def test_chat_page_opens_the_room_socket_with_a_token(system, bob):
    page = bob.get("/chat/lobby/")
    assert "/ws/chat/" in page and '"lobby"' in page and "/ws-token/" in page


async def test_deeply_nested_json_gets_an_error_frame_not_a_worker_traceback(system, bob):
    async with connect(room_url(system, "lobby"), additional_headers=bob.headers()) as socket:
        await socket.send("[" * 100_000 + "]" * 100_000)
        assert "error" in json.loads(await asyncio.wait_for(socket.recv(), 5))
        await socket.send(json.dumps({"message": "still here"}))
        assert json.loads(await asyncio.wait_for(socket.recv(), 5)) == {"user": "bob", "message": "still here"}
    for worker in system.workers:
        assert "RecursionError" not in system.log(worker)


@pytest.mark.parametrize("path", ["/ws/chat/a/b/", "/ws/chat//", "/ws/tailf/1/more/", "/ws/notifications/x/"])
async def test_a_path_no_route_serves_is_closed_with_4404(system, bob, path):
    async with connect(system.ws_url(path), additional_headers=bob.headers()) as socket:
        assert json.loads(await asyncio.wait_for(socket.recv(), 5)) == {"error": "nothing is served at this path"}
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 5)
    assert closed.value.rcvd.code == 4404
