"""WebSockets end to end: a real client, Daphne running the bridge, two runworker
processes and the embedded Redis. Replies follow Daphne 1.x."""

import asyncio
import json
import urllib.parse

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus


def scripted(system, reply):
    return system.ws_url("/ws/test/scripted/?reply=" + urllib.parse.quote(json.dumps(reply)))


async def test_accept_opens_the_socket(system):
    async with connect(scripted(system, {"accept": True})) as socket:
        await socket.send(json.dumps({"reply": {"text": "hello"}}))
        assert await asyncio.wait_for(socket.recv(), 5) == "hello"


@pytest.mark.parametrize("reply", [{"accept": False}, {"close": True}, {"close": 4001}])
async def test_reject_or_close_before_accept_gives_403(system, reply):
    with pytest.raises(InvalidStatus) as rejected:
        async with connect(scripted(system, reply)):
            pass
    assert rejected.value.response.status_code == 403


async def test_first_text_accepts_implicitly(system):
    async with connect(scripted(system, {"text": "welcome"})) as socket:
        assert await asyncio.wait_for(socket.recv(), 5) == "welcome"


async def test_data_with_close_accepts_sends_and_closes(system):
    async with connect(scripted(system, {"text": "bye", "close": 4002})) as socket:
        assert await asyncio.wait_for(socket.recv(), 5) == "bye"
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 5)
    assert closed.value.rcvd.code == 4002


@pytest.mark.parametrize("close, code", [(True, 1000), (4003, 4003)])
async def test_close_after_accept_uses_its_code(system, close, code):
    async with connect(scripted(system, {"accept": True})) as socket:
        await socket.send(json.dumps({"reply": {"close": close}}))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 5)
    assert closed.value.rcvd.code == code


async def test_unanswered_connect_is_rejected_after_the_handshake_timeout(system):
    with pytest.raises(InvalidStatus) as rejected:
        async with connect(system.ws_url("/ws/test/silent/"), open_timeout=10):
            pass
    assert rejected.value.response.status_code == 403


async def test_text_and_binary_frames_go_both_ways(system):
    async with connect(system.ws_url("/ws/echo/")) as socket:
        await socket.send("héllo")
        assert await asyncio.wait_for(socket.recv(), 5) == "héllo"
        await socket.send(b"\x00\x01\xff")
        assert await asyncio.wait_for(socket.recv(), 5) == b"\x00\x01\xff"


async def echo_with_a_window(socket, count, window=50):
    """Send ``count`` numbered frames with at most ``window`` unanswered (well under
    the channel's capacity of 100); the echoes, in arrival order."""
    room = asyncio.Semaphore(window)

    async def send_all():
        for i in range(count):
            await room.acquire()
            await socket.send(str(i))

    sender = asyncio.ensure_future(send_all())
    received = []
    for _ in range(count):
        received.append(await asyncio.wait_for(socket.recv(), 10))
        room.release()
    await sender
    return received


async def test_1000_messages_arrive_once_each(system):
    async with connect(system.ws_url("/ws/echo/")) as socket:
        received = await echo_with_a_window(socket, 1000)
    assert sorted(map(int, received)) == list(range(1000))


async def test_frames_were_handled_by_both_workers(system):
    async with connect(system.ws_url("/ws/echo/")) as socket:
        await echo_with_a_window(socket, 200)
    for worker in system.workers:
        assert "Consumed websocket.receive" in system.log(worker), f"worker {worker.pid} handled no frame"
