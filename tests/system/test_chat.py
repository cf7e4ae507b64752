"""Chat rooms end to end: the page, and broadcasts between clients whose frames are
handled by different worker processes."""

import asyncio
import json
import urllib.parse
import urllib.request

from websockets.asyncio.client import connect


def room_url(system, room):
    return system.ws_url(f"/ws/chat/{urllib.parse.quote(room, safe='')}/")


async def test_chat_broadcast_reaches_every_client_in_the_room(system):
    async with connect(room_url(system, "lobby")) as alice, connect(room_url(system, "lobby")) as bob, \
            connect(room_url(system, "elsewhere")) as carol:
        await asyncio.sleep(0.2)  # the joins run in the workers
        for i in range(20):
            await (alice if i % 2 else bob).send(json.dumps({"message": f"line {i}"}))
        for client in (alice, bob):
            lines = [json.loads(await asyncio.wait_for(client.recv(), 5))["message"] for _ in range(20)]
            assert sorted(lines) == sorted(f"line {i}" for i in range(20))
        await carol.send(json.dumps({"message": "only here"}))
        assert json.loads(await asyncio.wait_for(carol.recv(), 5)) == {"message": "only here"}
    for worker in system.workers:
        assert "Consumed websocket.receive" in system.log(worker), f"worker {worker.pid} handled no frame"


async def test_any_room_name_works_and_names_do_not_collide(system):
    rooms = ["Café ☕", "a b", "a_b", "x" * 200]
    async with connect(room_url(system, rooms[0])) as first, connect(room_url(system, rooms[1])) as second, \
            connect(room_url(system, rooms[2])) as third, connect(room_url(system, rooms[3])) as fourth:
        await asyncio.sleep(0.2)
        for socket, room in zip((first, second, third, fourth), rooms):
            await socket.send(json.dumps({"message": room}))
        for socket, room in zip((first, second, third, fourth), rooms):
            assert json.loads(await asyncio.wait_for(socket.recv(), 5)) == {"message": room}


async def test_malformed_chat_frame_gets_an_error_reply(system):
    async with connect(room_url(system, "lobby")) as socket:
        await socket.send("not json")
        assert "error" in json.loads(await asyncio.wait_for(socket.recv(), 5))
        await socket.send(json.dumps({"message": "still here"}))
        assert json.loads(await asyncio.wait_for(socket.recv(), 5)) == {"message": "still here"}


def test_chat_page_opens_the_room_socket(system):
    with urllib.request.urlopen(f"{system.http_url}/chat/lobby/", timeout=5) as response:
        page = response.read().decode()
    assert response.status == 200
    assert "/ws/chat/" in page and '"lobby"' in page
