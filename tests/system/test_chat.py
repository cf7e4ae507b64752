"""Chat rooms end to end: joining gets the history and who is there, broadcasts between
clients whose frames are handled by different worker processes, a fast sender's lines
in the order sent, a line delivered twice stored and broadcast once, refusals, and
the page."""

import asyncio
import json
import os
import signal
import time
import urllib.parse

import pytest
import redis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from .accounts import Browser
from .chat_frames import next_frame, next_line
from .test_status import wait_for


@pytest.fixture(scope="module")
def bob(system):
    return Browser(system).login_as_new_user("bob", "bob-secret-1")


@pytest.fixture(scope="module")
def eve(system):
    return Browser(system).login_as_new_user("eve", "eve-secret-1")


def room_url(system, room):
    return system.ws_url(f"/ws/chat/{urllib.parse.quote(room, safe='')}/")


async def recv(socket, timeout=10):
    return json.loads(await asyncio.wait_for(socket.recv(), timeout))


async def join(system, browser, room):
    """A socket in ``room`` and the frame it got on joining (presence frames of others
    joining or leaving may come before it)."""
    socket = await connect(room_url(system, room), additional_headers=browser.headers())
    return socket, await next_frame(socket, "history")


async def test_chat_broadcast_reaches_every_client_in_the_room(system, bob):
    first, _ = await join(system, bob, "lobby")
    second, _ = await join(system, bob, "lobby")
    third, _ = await join(system, bob, "elsewhere")
    async with first, second, third:
        for i in range(20):
            await (first if i % 2 else second).send(json.dumps({"message": f"line {i}"}))
        for client in (first, second):
            lines = [await next_line(client) for _ in range(20)]
            assert sorted(line["message"] for line in lines) == sorted(f"line {i}" for i in range(20))
            assert {line["user"] for line in lines} == {"bob"}
            assert all(line["time"] and line["id"] for line in lines)
        await third.send(json.dumps({"message": "only here"}))
        assert (await next_line(third))["message"] == "only here"
    for worker in system.workers:
        assert "Consumed websocket.receive" in system.log(worker), f"worker {worker.pid} handled no frame"


async def test_a_fast_senders_lines_arrive_in_the_order_sent(system, bob, eve):
    sender, _ = await join(system, bob, "race")
    listener, _ = await join(system, eve, "race")
    async with sender, listener:
        sent = [f"quick {i:02d}" for i in range(50)]
        for text in sent:
            await sender.send(json.dumps({"message": text}))
        assert [(await next_line(listener))["message"] for _ in sent] == sent
        assert [(await next_line(sender))["message"] for _ in sent] == sent


async def test_joining_gets_the_last_50_lines_stored_and_who_you_are(system, bob):
    talker, joined = await join(system, bob, "history")
    assert joined == {"you": "bob", "history": []}
    async with talker:
        for i in range(55):  # each line once the last one went around, as a person types
            await talker.send(json.dumps({"message": f"said {i}"}))
            await next_line(talker)
    late, joined = await join(system, bob, "history")
    async with late:
        assert [line["message"] for line in joined["history"]] == [f"said {i}" for i in range(5, 55)]
        assert {line["user"] for line in joined["history"]} == {"bob"}


async def test_presence_lists_who_is_in_the_room_until_they_leave(system, bob, eve):
    first, _ = await join(system, bob, "presence")
    async with first:
        assert (await next_frame(first, "present"))["present"] == ["bob"]
        second, _ = await join(system, eve, "presence")
        async with second:
            assert (await next_frame(first, "present"))["present"] == ["bob", "eve"]
            assert "eve" in eve.get("/chat/")  # the room list shows who is online
        assert (await next_frame(first, "present"))["present"] == ["bob"]


async def test_empty_and_whitespace_messages_are_refused_and_not_stored(system, bob):
    socket, _ = await join(system, bob, "blank")
    async with socket:
        for text in ["", "   ", "\n\t"]:
            await socket.send(json.dumps({"message": text}))
            assert (await next_frame(socket, "error"))["error"] == "empty messages are not sent"
        await socket.send(json.dumps({"message": "  real  "}))
        assert (await next_line(socket))["message"] == "real"
    again, joined = await join(system, bob, "blank")
    async with again:
        assert [line["message"] for line in joined["history"]] == ["real"]


async def test_any_room_name_works_and_names_do_not_collide(system, bob):
    rooms = ["Café ☕", "a b", "a_b", "ops/night shift", "x" * 200]
    sockets = [(await join(system, bob, room))[0] for room in rooms]
    for socket, room in zip(sockets, rooms):
        await socket.send(json.dumps({"message": room}))
    for socket, room in zip(sockets, rooms):
        assert (await next_line(socket))["message"] == room
        await socket.close()


async def test_a_line_sent_twice_with_one_nonce_is_stored_and_shown_once(system, bob, eve):
    sender, _ = await join(system, bob, "nonces")
    listener, _ = await join(system, eve, "nonces")
    async with sender, listener:
        for text, nonce in [("once", "n-1"), ("once", "n-1"), ("same nonce, other user's", "n-2"), ("after", None)]:
            await sender.send(json.dumps({"message": text, "nonce": nonce}))
        await listener.send(json.dumps({"message": "same nonce, other user's", "nonce": "n-2"}))
        lines = [(await next_line(listener))["message"] for _ in range(4)]
        assert sorted(lines) == sorted(["once", "same nonce, other user's", "after", "same nonce, other user's"])
        for nonce in ["", "x" * 65, 7]:
            await sender.send(json.dumps({"message": "bad nonce", "nonce": nonce}))
            assert (await next_frame(sender, "error"))["error"] == "a nonce is a string of 1 to 64 characters"
    again, joined = await join(system, bob, "nonces")
    async with again:
        assert sorted(line["message"] for line in joined["history"]) == sorted(lines)


async def test_malformed_chat_frame_gets_an_error_reply(system, bob):
    socket, _ = await join(system, bob, "lobby")
    async with socket:
        await socket.send("not json")
        assert "error" in await next_frame(socket, "error")
        await socket.send(json.dumps({"message": "still here"}))
        assert (await next_line(socket))["message"] == "still here"


async def test_a_closed_socket_leaves_its_room_and_user_groups(system, bob):
    store = redis.Redis.from_url(system.env["REDIS_URL"])

    def groups_of(channel):
        keys = store.scan_iter(match=f"{system.prefix}:g:*")
        return sorted(key.decode().split(":g:", 1)[1].strip("{}") for key in keys if store.zscore(key, channel) is not None)

    socket, _ = await join(system, bob, "leaving")
    async with socket:
        await socket.send(json.dumps({"message": "hello"}))
        assert (await next_line(socket))["message"] == "hello"
        [channel] = store.zrange(f"{system.prefix}:g:{{chat.room.leaving}}", 0, -1)
        assert [group for group in groups_of(channel) if not group.startswith("user.")] == ["chat.room.leaving"]
        assert any(group.startswith("user.") for group in groups_of(channel))
    deadline = time.monotonic() + 15
    while groups_of(channel):
        assert time.monotonic() < deadline, f"{channel} is still in {groups_of(channel)}"
        await asyncio.sleep(0.1)


async def test_deeply_nested_json_gets_an_error_frame_not_a_worker_traceback(system, bob):
    socket, _ = await join(system, bob, "lobby")
    async with socket:
        await socket.send("[" * 100_000 + "]" * 100_000)
        assert "error" in await next_frame(socket, "error")
        await socket.send(json.dumps({"message": "still here"}))
        assert (await next_line(socket))["message"] == "still here"
    for worker in system.workers:
        assert "RecursionError" not in system.log(worker)


@pytest.mark.parametrize("path", ["/ws/chat//", "/ws/tailf/1/more/", "/ws/notifications/x/"])
async def test_a_path_no_route_serves_is_closed_with_4404(system, bob, path):
    async with connect(system.ws_url(path), additional_headers=bob.headers()) as socket:
        assert json.loads(await asyncio.wait_for(socket.recv(), 5)) == {"error": "nothing is served at this path"}
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 5)
    assert closed.value.rcvd.code == 4404


def test_chat_pages_serve_room_names_with_a_slash(system, bob):
    page = bob.get("/chat/ops/night%20shift/")
    assert "/static/tracker/chat.js" in page and '"ops/night shift"' in page and "/ws-token/" in page


async def test_a_chat_line_delivered_again_after_a_worker_stalled_is_stored_and_broadcast_once(make_system):
    system = make_system(handshake_timeout=2, layer_config={"visibility_timeout": 2})
    await asyncio.to_thread(system.start, 2)
    carol = await asyncio.to_thread(lambda: Browser(system).login_as_new_user("carol", "carol-secret-1"))
    server = redis.Redis.from_url(system.env["REDIS_URL"])
    stream = f"{system.prefix}:c:{{websocket.receive}}"
    socket, _ = await join(system, carol, "stalls")
    async with socket:
        for attempt in range(5):
            text = f"said once ({attempt})"
            for worker in system.workers:
                os.kill(worker.pid, signal.SIGSTOP)
            await socket.send(json.dumps({"message": text}))
            # A worker stopped in its blocking read is handed the line by Redis and holds it.
            holder = await asyncio.to_thread(_holder, server, stream, system.workers)
            if holder is not None:
                break
            for worker in system.workers:  # both stopped between reads: try again
                os.kill(worker.pid, signal.SIGCONT)
            await next_line(socket, 30)
        else:
            pytest.fail("no stopped worker was handed the line in 5 tries")
        other = next(worker for worker in system.workers if worker is not holder)
        os.kill(other.pid, signal.SIGCONT)  # takes the line over after the visibility timeout
        assert (await next_line(socket, 30))["message"] == text
        before = system.log(holder).count("Consumed websocket.receive")
        os.kill(holder.pid, signal.SIGCONT)  # runs the line it held: a second delivery
        await asyncio.to_thread(wait_for, lambda: system.log(holder).count("Consumed websocket.receive") > before,
                                what="the stalled worker running the line it held")
        await socket.send(json.dumps({"action": "ping"}))
        frames = []
        while "pong" not in (frame := await recv(socket, 30)):
            frames.append(frame)
        assert not [frame for frame in frames if "message" in frame]  # no second line before the pong
    stored = await asyncio.to_thread(system.manage, "shell", "-c", (
        f"from tracker.models import ChatMessage; print(ChatMessage.objects.filter(text={text!r}).count())"))
    assert stored.split()[-1] == "1"
    server.close()


def _holder(server, stream, workers, timeout=3):
    """The worker holding the stream's one pending message, or None if none holds it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pending = server.xpending_range(stream, "receivers", "-", "+", 10)
        except redis.ResponseError:  # no group yet
            pending = []
        for entry in pending:
            for worker in workers:
                if f".{worker.pid}." in entry["consumer"].decode():
                    return worker
        time.sleep(0.1)
    return None

