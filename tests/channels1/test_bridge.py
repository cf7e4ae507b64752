"""WebSocketBridge end to end: a real Daphne serving tests/channels1/bridge_app.py, a real Redis,
the `websockets` client, and this process playing the 1.x worker on the layer."""

import asyncio
import os
import re
import subprocess
import sys
import time
import uuid

import pytest
import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from channels1.bridge import WebSocketBridge, parse_reply
from channels1.layer import RedisChannelLayer
from channels1.layer.keys import stats_key
from channels1.redis_server import RedisServer
from channels1.testing import PROJECT_ROOT

ROOT = PROJECT_ROOT
CHANNELS = ["websocket.connect", "websocket.receive", "websocket.disconnect"]
TIMEOUT = 10


class Daphne:
    """A Daphne subprocess serving an ASGI application on a free local port."""

    def __init__(self, application, log_path, env):
        self.log_path = log_path
        self.log_file = open(log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-e", "tcp:port=0:interface=127.0.0.1",
             "--log-fmt", "%(levelname)s %(name)s %(message)s", application],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=self.log_file, stderr=subprocess.STDOUT,
        )
        self.port = self._wait_listening()
        self.url = f"ws://127.0.0.1:{self.port}"

    def _wait_listening(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = re.search(r"Listening on TCP address 127\.0\.0\.1:(\d+)", self.log())
            if found:
                return int(found.group(1))
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"Daphne did not start:\n{self.log()}")

    def log(self):
        with open(self.log_path, errors="replace") as log:
            return log.read()

    async def wait_for_log(self, pattern, timeout=5):
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.log()):
            assert time.monotonic() < deadline, f"no log line matching {pattern!r} in:\n{self.log()}"
            await asyncio.sleep(0.05)

    def stop(self):
        """Stop Daphne; fail if an application instance ever raised inside it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.log_file.close()
        assert "Traceback" not in self.log(), self.log()


class Worker:
    """Plays a 1.x worker: takes websocket.* messages from the layer and replies on
    their reply channels. Messages of other sockets are kept aside, never matched."""

    def __init__(self, layer, channels=CHANNELS):
        self.layer = layer
        self.channels = channels
        self.seen = []

    async def next(self, channel, timeout=TIMEOUT, **match):
        """The next message on `channel` whose keys equal `match`."""
        deadline = time.monotonic() + timeout
        while True:
            for index, (name, message) in enumerate(self.seen):
                if name == channel and all(message.get(key) == value for key, value in match.items()):
                    return self.seen.pop(index)[1]
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {channel} message matching {match} within {timeout} s"
            await self._take(remaining)

    async def nothing(self, channel, within, **match):
        """Assert that no matching message arrives within `within` seconds."""
        with pytest.raises(AssertionError, match="no .* message matching"):
            await self.next(channel, timeout=within, **match)

    async def _take(self, remaining):
        deliveries = await asyncio.wait_for(
            self.layer.receive_batch(self.channels, 20), min(remaining, 2) + 5
        )
        for delivery in deliveries:
            self.layer.ack(delivery)
            self.seen.append((delivery.channel, delivery.message))

    async def reply(self, message, *replies):
        for reply in replies:
            await self.layer.send(message["reply_channel"], reply)


@pytest.fixture(scope="module")
def prefix():
    return f"bridge{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def mortal_redis():
    """A Redis of its own for the test that stops it under an open socket."""
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def restarted_redis(tmp_path_factory):
    """A Redis of its own for the tests that restart it under open sockets."""
    server = RedisServer(tmp_path_factory.mktemp("restarted")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def daphne(redis_url, prefix, mortal_redis, restarted_redis, tmp_path_factory):
    """Daphne serving tests/channels1/bridge_app.py."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env.update(BRIDGE_REDIS_URL=redis_url, BRIDGE_PREFIX=prefix, BRIDGE_MORTAL_REDIS_URL=mortal_redis.url,
               BRIDGE_RESTARTED_REDIS_URL=restarted_redis.url)
    server = Daphne("tests.channels1.bridge_app:application", tmp_path_factory.mktemp("daphne") / "daphne.log", env)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def project_daphne(redis_url, prefix, tmp_path_factory):
    """Daphne serving the tracker project's asgi.py, its layer under prefix + "proj"."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="tracker_project.settings", REDIS_URL=redis_url,
               CHANNEL_LAYER_PREFIX=prefix + "proj")
    server = Daphne("asgi:application", tmp_path_factory.mktemp("project") / "daphne.log", env)
    yield server
    server.stop()


@pytest.fixture
async def make_worker(redis_url, prefix):
    """Workers on a layer as the bridge app configures it (`tight` adds its suffix and
    capacities); their layers are closed after the test."""
    layers = []

    async def make(suffix="", hosts=None, channels=CHANNELS, **config):
        layer = RedisChannelLayer(hosts=hosts or [redis_url], prefix=prefix + suffix, block_timeout=0.2, **config)
        layers.append(layer)
        return Worker(layer, channels)

    yield make
    for layer in layers:
        await asyncio.wait_for(layer.close(), TIMEOUT)


@pytest.fixture
async def worker(make_worker):
    return await make_worker()


@pytest.fixture
async def tight_worker(make_worker):
    """A worker on the "tight" layer, emptied before and after the test."""
    worker = await make_worker(
        "tight", channels=["websocket.connect"],
        channel_capacity={"websocket.connect": 1, "websocket.receive": 1},
    )
    await worker.layer.flush()
    yield worker
    await worker.layer.flush()


def dial(daphne, path, **options):
    """A task opening a client socket; it raises InvalidStatus if rejected."""

    async def open_socket():
        return await connect(daphne.url + path, open_timeout=TIMEOUT, **options)

    return asyncio.create_task(open_socket())


def unique_path(first="ws"):
    return f"/{first}/{uuid.uuid4().hex[:12]}/"


async def handshake(daphne, worker, path, *replies, query="", **client_options):
    """Connect a client to `path`; the worker takes its websocket.connect and sends
    `replies`. Returns (connect message, client task); awaiting the task gives the
    open client socket or raises InvalidStatus."""
    client = dial(daphne, path + query, **client_options)
    try:
        message = await worker.next("websocket.connect", path=path)
    except BaseException:
        client.cancel()
        raise
    await worker.reply(message, *replies)
    return message, client


async def rejected_status(client):
    with pytest.raises(InvalidStatus) as rejected:
        await asyncio.wait_for(client, TIMEOUT)
    return rejected.value.response.status_code


async def close_code(ws):
    """The close code the client received, once the server closed the socket."""
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), TIMEOUT)
    return closed.value.rcvd.code


async def receive(ws):
    return await asyncio.wait_for(ws.recv(), TIMEOUT)


# The handshake


async def test_connect_message_has_the_daphne_1_keys_and_accept_opens_the_socket(daphne, worker):
    path = unique_path()
    message, client = await handshake(
        daphne, worker, path, {"accept": True}, query="?a=1&b=%C3%A9",
        origin="http://example.com", additional_headers={"X-Tracker": "yes"},
    )
    ws = await asyncio.wait_for(client, TIMEOUT)
    async with ws:
        assert set(message) == {"reply_channel", "scheme", "root_path", "path", "headers", "query_string",
                                "client", "server", "order"}
        assert (message["scheme"], message["root_path"]) == ("ws", "")
        assert message["reply_channel"].startswith("daphne.response.")
        assert "!" in message["reply_channel"]
        assert message["path"] == path
        assert message["query_string"] == b"a=1&b=%C3%A9"
        assert message["client"] == ["127.0.0.1", ws.local_address[1]]
        assert message["server"] == ["127.0.0.1", daphne.port]
        assert message["order"] == 0
        headers = message["headers"]
        assert all(isinstance(pair, list) and len(pair) == 2 for pair in headers)
        assert all(isinstance(name, bytes) and isinstance(value, bytes) for name, value in headers)
        assert all(name == name.lower() for name, _ in headers)
        assert [b"origin", b"http://example.com"] in headers
        assert [b"x-tracker", b"yes"] in headers
        assert [b"host", f"127.0.0.1:{daphne.port}".encode()] in headers
        assert [b"upgrade", b"websocket"] in headers
        await worker.reply(message, {"text": "open"})
        assert await receive(ws) == "open"


async def test_reject_before_accept_gives_403(daphne, worker):
    _, client = await handshake(daphne, worker, unique_path(), {"close": True})
    assert await rejected_status(client) == 403


async def test_accept_false_gives_403_and_the_rest_of_the_reply_is_ignored(daphne, worker):
    _, client = await handshake(daphne, worker, unique_path(), {"accept": False, "text": "never sent"})
    assert await rejected_status(client) == 403


async def test_first_text_accepts_implicitly_and_is_sent(daphne, worker):
    _, client = await handshake(daphne, worker, unique_path(), {"text": "welcome"})
    async with await asyncio.wait_for(client, TIMEOUT) as ws:
        assert await receive(ws) == "welcome"


async def test_first_bytes_accept_implicitly_and_are_sent(daphne, worker):
    _, client = await handshake(daphne, worker, unique_path(), {"bytes": b"\x00welcome"})
    async with await asyncio.wait_for(client, TIMEOUT) as ws:
        assert await receive(ws) == b"\x00welcome"


async def test_empty_text_does_not_accept(daphne, worker):
    _, client = await handshake(daphne, worker, unique_path(), {"text": ""}, {"close": True})
    assert await rejected_status(client) == 403


async def test_data_with_close_during_the_handshake_accepts_sends_and_closes(daphne, worker):
    _, client = await handshake(daphne, worker, unique_path(), {"text": "bye", "close": True})
    ws = await asyncio.wait_for(client, TIMEOUT)
    assert await receive(ws) == "bye"
    assert await close_code(ws) == 1000


async def test_unanswered_connect_is_rejected_after_the_handshake_timeout(daphne, worker):
    path = unique_path("quick")  # handshake_timeout=1
    started = time.monotonic()
    message, client = await handshake(daphne, worker, path)
    assert await rejected_status(client) == 403
    assert 0.8 < time.monotonic() - started < 4
    await daphne.wait_for_log(rf"WARNING channels1\.bridge Rejected WebSocket {re.escape(message['reply_channel'])}"
                              r" .* no reply to websocket\.connect within 1 s")
    # A reply after the rejection changes nothing.
    await worker.reply(message, {"accept": True})


async def test_unanswered_connect_gets_403_with_daphnes_default_timeouts(daphne, worker):
    # Daphne runs with its command line defaults: --websocket_connect_timeout 5.
    path = unique_path("patient")
    message, client = await handshake(daphne, worker, path)
    assert await rejected_status(client) == 403
    await daphne.wait_for_log(rf"Rejected WebSocket {re.escape(message['reply_channel'])} .* within 5 s")


async def test_malformed_reply_during_the_handshake_is_ignored(daphne, worker):
    message, client = await handshake(daphne, worker, unique_path(), {"acept": True}, {"accept": True})
    async with await asyncio.wait_for(client, TIMEOUT) as ws:
        await worker.reply(message, {"text": "open"})
        assert await receive(ws) == "open"
    await daphne.wait_for_log(rf"ERROR channels1\.bridge Ignored a reply on {re.escape(message['reply_channel'])}"
                              r" .* unknown keys 'acept'")


async def test_without_the_denial_extension_rejection_falls_back_to_403(daphne, worker):
    _, client = await handshake(daphne, worker, unique_path("plain"), {"accept": False})
    assert await rejected_status(client) == 403


# An open socket


async def test_frames_both_ways_carry_the_exact_1x_keys_and_order(daphne, worker):
    path = unique_path()
    connected, client = await handshake(daphne, worker, path, {"accept": True})
    reply_channel = connected["reply_channel"]
    ws = await asyncio.wait_for(client, TIMEOUT)
    await ws.send("one")
    await ws.send(b"\x00two")
    await ws.send("")
    for order, key, value in [(1, "text", "one"), (2, "bytes", b"\x00two"), (3, "text", "")]:
        message = await worker.next("websocket.receive", reply_channel=reply_channel)
        assert message == {"reply_channel": reply_channel, "path": path, "order": order, key: value}
    await worker.reply(connected, {"text": "hi"}, {"bytes": b"\xffho"})
    assert await receive(ws) == "hi"
    assert await receive(ws) == b"\xffho"
    await ws.close(code=4001)
    disconnected = await worker.next("websocket.disconnect", reply_channel=reply_channel)
    assert disconnected == {"reply_channel": reply_channel, "code": 4001, "path": path, "order": 4}


async def test_disconnect_without_frames_has_order_1_and_the_client_code(daphne, worker):
    path = unique_path()
    connected, client = await handshake(daphne, worker, path, {"accept": True})
    ws = await asyncio.wait_for(client, TIMEOUT)
    await ws.close()
    disconnected = await worker.next("websocket.disconnect", reply_channel=connected["reply_channel"])
    assert disconnected == {"reply_channel": connected["reply_channel"], "code": 1000, "path": path, "order": 1}


async def test_client_leaving_during_the_handshake_sends_disconnect(daphne, worker):
    connected, client = await handshake(daphne, worker, unique_path())
    client.cancel()
    disconnected = await worker.next("websocket.disconnect", reply_channel=connected["reply_channel"])
    assert disconnected["order"] == 1
    assert isinstance(disconnected["code"], int)


@pytest.mark.parametrize("code", [4321, 1011])
async def test_close_with_a_code_reaches_the_client(daphne, worker, code):
    connected, client = await handshake(daphne, worker, unique_path(), {"accept": True})
    ws = await asyncio.wait_for(client, TIMEOUT)
    await worker.reply(connected, {"text": "last", "close": code})
    assert await receive(ws) == "last"
    assert await close_code(ws) == code
    disconnected = await worker.next("websocket.disconnect", reply_channel=connected["reply_channel"])
    assert disconnected["order"] == 1


async def test_empty_text_is_not_sent_and_accept_is_ignored_once_open(daphne, worker):
    connected, client = await handshake(daphne, worker, unique_path(), {"accept": True})
    async with await asyncio.wait_for(client, TIMEOUT) as ws:
        await worker.reply(connected, {"text": ""}, {"accept": False}, {"accept": True, "text": "still open"})
        assert await receive(ws) == "still open"


async def test_malformed_replies_are_logged_and_ignored_and_the_socket_keeps_working(daphne, worker):
    path = unique_path()
    connected, client = await handshake(daphne, worker, path, {"accept": True})
    reply_channel = connected["reply_channel"]
    bad = [
        {"txt": "typo"},
        {"text": "both", "bytes": b"both"},
        {"text": b"not str"},
        {"bytes": "not bytes"},
        {"close": "yes"},
        {"close": 1006},
        {"accept": "yes"},
        {"text": "no type", "type": "websocket.send"},
    ]
    async with await asyncio.wait_for(client, TIMEOUT) as ws:
        await worker.reply(connected, *bad, {"text": "still working"})
        assert await receive(ws) == "still working"
        await ws.send("ping")
        message = await worker.next("websocket.receive", reply_channel=reply_channel)
        assert message["order"] == 1
    pattern = rf"ERROR channels1\.bridge Ignored a reply on {re.escape(reply_channel)} "
    await daphne.wait_for_log(pattern)
    assert len(re.findall(pattern, daphne.log())) == len(bad)


async def open_group(daphne, worker, size):
    """``size`` accepted client sockets, their reply channels in a new group."""
    group, members = f"members{uuid.uuid4().hex[:8]}", []
    for _ in range(size):
        connected, client = await handshake(daphne, worker, unique_path(), {"accept": True})
        await worker.layer.group_add(group, connected["reply_channel"])
        members.append((connected, await asyncio.wait_for(client, TIMEOUT)))
    return group, members


async def test_a_group_message_reaches_every_member_socket_exactly_as_text_or_bytes(daphne, worker):
    group, members = await open_group(daphne, worker, 4)
    payloads = ["hi", "accents é and ✓ " * 20, "long " * 20_000, b"\x00\xff" * 100, bytes(range(256))]
    for payload in payloads:
        await worker.layer.group_send(group, {"bytes" if isinstance(payload, bytes) else "text": payload})
    for _, ws in members:
        for payload in payloads:
            received = await receive(ws)
            assert type(received) is type(payload)
            assert received == payload
    for _, ws in members:
        await ws.close()


async def test_a_reply_to_one_member_between_group_messages_reaches_only_it(daphne, worker):
    group, members = await open_group(daphne, worker, 3)
    (first, first_ws), *others = members
    # Of one length, so that no frame can stand in for another of the same size.
    await worker.layer.group_send(group, {"text": "to all 1"})
    await worker.reply(first, {"text": "to one 1"})
    await worker.layer.group_send(group, {"text": "to all 2", "close": 4000})
    assert [await receive(first_ws) for _ in range(3)] == ["to all 1", "to one 1", "to all 2"]
    for _, ws in others:
        assert [await receive(ws) for _ in range(2)] == ["to all 1", "to all 2"]
    for _, ws in members:
        assert await close_code(ws) == 4000


async def test_sockets_keep_their_own_order_when_sending_at_once(daphne, worker):
    sockets = []
    for _ in range(3):
        connected, client = await handshake(daphne, worker, unique_path(), {"accept": True})
        sockets.append((connected["reply_channel"], await asyncio.wait_for(client, TIMEOUT)))

    async def chatter(ws):
        for number in range(1, 31):
            await ws.send(str(number))

    await asyncio.gather(*(chatter(ws) for _, ws in sockets))
    for reply_channel, ws in sockets:
        for number in range(1, 31):
            message = await worker.next("websocket.receive", reply_channel=reply_channel)
            assert (message["order"], message["text"]) == (number, str(number))
        await ws.close()


# Back-pressure and failures


async def test_full_connect_channel_rejects_with_503_after_the_handshake_timeout(daphne, tight_worker):
    await tight_worker.layer.send("websocket.connect", {"filler": True})
    client = dial(daphne, unique_path("tight"))
    assert await rejected_status(client) == 503
    await daphne.wait_for_log(r"ERROR channels1\.bridge Rejected WebSocket daphne\.response\.\S+ .* HTTP 503 "
                              r"after 3\.0 s: channel websocket\.connect is full")


async def test_connect_waits_for_room_in_a_full_connect_channel(daphne, tight_worker):
    await tight_worker.layer.send("websocket.connect", {"filler": True})
    client = dial(daphne, unique_path("tight"))
    await asyncio.sleep(0.5)
    assert (await tight_worker.next("websocket.connect"))["filler"]
    connected = await tight_worker.next("websocket.connect")
    await tight_worker.reply(connected, {"accept": True})
    ws = await asyncio.wait_for(client, TIMEOUT)
    await ws.close()


async def test_receive_channel_full_for_longer_than_the_full_timeout_closes_with_1013(daphne, tight_worker):
    connected, client = await handshake(daphne, tight_worker, unique_path("tight"), {"accept": True})
    ws = await asyncio.wait_for(client, TIMEOUT)
    await ws.send("fits")
    await ws.send("does not fit")
    assert await close_code(ws) == 1013
    await daphne.wait_for_log(rf"ERROR channels1\.bridge Closed WebSocket {re.escape(connected['reply_channel'])}"
                              r" .* code 1013: channel websocket\.receive is full for 2 s")
    tight_worker.channels = CHANNELS
    first = await tight_worker.next("websocket.receive", reply_channel=connected["reply_channel"])
    assert first["text"] == "fits"
    # The disconnect takes the lost frame's place in the order: ordered consumers see no gap.
    disconnect = await tight_worker.next("websocket.disconnect", reply_channel=connected["reply_channel"])
    assert disconnect["order"] == 2
    # The lost frame is counted (the Daphne's heartbeat stores its counts).
    totals = redis.Redis.from_url(tight_worker.layer.hosts[0])
    deadline = time.monotonic() + 30
    while not totals.hget(stats_key(tight_worker.layer.prefix), "dropped|websocket.receive"):
        assert time.monotonic() < deadline, "the lost frame was not counted as dropped"
        await asyncio.sleep(0.1)
    totals.close()


async def test_a_disconnect_that_finds_its_channel_full_is_sent_once_there_is_room(daphne, make_worker):
    worker = await make_worker("narrowexit", channels=["websocket.connect"],
                               channel_capacity={"websocket.disconnect": 1})
    await worker.layer.flush()
    await worker.layer.send("websocket.disconnect", {"reply_channel": "filler", "order": 1})
    connected, client = await handshake(daphne, worker, unique_path("narrowexit"), {"accept": True})
    ws = await asyncio.wait_for(client, TIMEOUT)
    await ws.close()
    channel = re.escape(connected["reply_channel"])
    # Past the full timeout, which gives up a frame: the disconnect is still being tried.
    await daphne.wait_for_log(rf"WARNING channels1\.bridge websocket\.disconnect of {channel} .* not sent after "
                              r"\d+ s: ChannelFull.*trying again until it is")
    worker.channels = CHANNELS
    await worker.next("websocket.disconnect", reply_channel="filler")  # makes room
    disconnect = await worker.next("websocket.disconnect", reply_channel=connected["reply_channel"])
    assert disconnect["order"] == 1
    await daphne.wait_for_log(rf"WARNING channels1\.bridge websocket\.disconnect of {channel} .* sent after \d+ s")
    await worker.layer.flush()


async def test_a_frame_over_the_layers_message_size_closes_with_1009(daphne, worker):
    connected, client = await handshake(daphne, worker, unique_path("small"), {"accept": True})
    ws = await asyncio.wait_for(client, TIMEOUT)
    await ws.send("x" * 5000)  # over the "small" layer's max_message_size of 4096 bytes
    assert await close_code(ws) == 1009
    await daphne.wait_for_log(rf"ERROR channels1\.bridge Closed WebSocket {re.escape(connected['reply_channel'])}"
                              r" .* code 1009: .*max_message_size")
    disconnect = await worker.next("websocket.disconnect", reply_channel=connected["reply_channel"])
    assert disconnect["order"] == 1  # the place of the frame that was too large


async def test_frame_waits_while_the_receive_channel_is_full_instead_of_closing(daphne, tight_worker):
    connected, client = await handshake(daphne, tight_worker, unique_path("tight"), {"accept": True})
    ws = await asyncio.wait_for(client, TIMEOUT)
    channel = connected["reply_channel"]
    await ws.send("fits")
    await ws.send("waits")
    await asyncio.sleep(0.5)
    tight_worker.channels = CHANNELS
    texts = [(await tight_worker.next("websocket.receive", reply_channel=channel))["text"] for _ in range(2)]
    assert texts == ["fits", "waits"]
    await tight_worker.reply(connected, {"text": "still open"})
    assert await receive(ws) == "still open"
    await ws.close()


async def test_a_socket_has_at_most_its_window_of_messages_waiting_and_loses_none(daphne, worker, redis_url, prefix):
    connected, client = await handshake(daphne, worker, unique_path("narrow"), {"accept": True})
    ws = await asyncio.wait_for(client, TIMEOUT)
    channel = connected["reply_channel"]
    for i in range(12):
        await ws.send(str(i))
    # A quiet socket's frame still gets into the channel beside the flood.
    quiet_connected, quiet_client = await handshake(daphne, worker, unique_path(), {"accept": True})
    quiet = await asyncio.wait_for(quiet_client, TIMEOUT)
    await quiet.send("quiet")
    await asyncio.sleep(1)
    stream = redis.Redis.from_url(redis_url)
    waiting = [fields[b"m"] for _, fields in stream.xrange(f"{prefix}:c:{{websocket.receive}}")]
    stream.close()
    assert sum(channel.encode() in body for body in waiting) == 3
    assert sum(quiet_connected["reply_channel"].encode() in body for body in waiting) == 1
    texts = [(await worker.next("websocket.receive", reply_channel=channel))["text"] for _ in range(12)]
    assert texts == [str(i) for i in range(12)]
    await ws.close()
    await quiet.close()


async def test_a_client_sending_faster_than_it_is_served_is_pushed_back_by_tcp(daphne, worker):
    connected, client = await handshake(daphne, worker, unique_path("narrow"), {"accept": True})
    ws = await asyncio.wait_for(client, TIMEOUT)
    frame = b"x" * (128 * 1024)
    sent = 0

    async def flood():
        nonlocal sent
        for _ in range(200):
            await ws.send(frame)
            sent += 1

    flooding = asyncio.create_task(flood())
    # While nobody takes the socket's messages, Daphne stops reading it and the
    # client's sends block; Daphne 4 alone would read all 25 MiB into memory.
    await asyncio.sleep(3)
    assert not flooding.done() and sent < 200
    for i in range(200):
        message = await worker.next("websocket.receive", reply_channel=connected["reply_channel"])
        assert message["order"] == i + 1 and message["bytes"] == frame
    await asyncio.wait_for(flooding, TIMEOUT)
    await ws.close()


async def test_a_frame_over_the_size_limit_closes_with_1009(daphne, worker):
    connected, client = await handshake(daphne, worker, unique_path(), {"accept": True})
    ws = await asyncio.wait_for(client, TIMEOUT)
    await ws.send(b"x" * (2 * 1024 * 1024))
    assert await close_code(ws) == 1009


async def test_invalid_utf8_in_a_text_frame_closes_with_1007(daphne, worker):
    connected, client = await handshake(daphne, worker, unique_path(), {"accept": True})
    ws = await asyncio.wait_for(client, TIMEOUT)
    await ws.send(b"caf\xe9", text=True)
    assert await close_code(ws) == 1007
    await worker.nothing("websocket.receive", within=1, reply_channel=connected["reply_channel"])


async def test_unreachable_layer_rejects_the_handshake_with_503_after_the_handshake_timeout(daphne):
    client = dial(daphne, unique_path("down"))
    assert await rejected_status(client) == 503
    await daphne.wait_for_log(r"ERROR channels1\.bridge Rejected WebSocket daphne\.response\.\S+ .* HTTP 503 "
                              r"after 3\.0 s: Redis does not answer: ConnectionError")


async def test_redis_gone_under_an_open_socket_closes_it_with_1011(daphne, make_worker, mortal_redis):
    worker = await make_worker(hosts=[mortal_redis.url])
    connected, client = await handshake(daphne, worker, unique_path("mortal"), {"accept": True})
    ws = await asyncio.wait_for(client, TIMEOUT)
    await asyncio.wait_for(worker.layer.close(), TIMEOUT)
    mortal_redis.stop()
    await ws.send("into the void")
    assert await close_code(ws) == 1011
    await daphne.wait_for_log(rf"ERROR channels1\.bridge Closed WebSocket {re.escape(connected['reply_channel'])}"
                              r" .* code 1011: Redis does not answer: ConnectionError.* for 2 s")


async def test_redis_restarted_without_its_data_closes_open_sockets_with_1012(daphne, make_worker, restarted_redis):
    worker = await make_worker(hosts=[restarted_redis.url])
    connected, client = await handshake(daphne, worker, unique_path("restarted"), {"accept": True})
    ws = await asyncio.wait_for(client, TIMEOUT)
    await asyncio.sleep(1.5)  # the bridge's watch has seen this Redis
    restarted_redis.stop()
    restarted_redis.start()
    assert await close_code(ws) == 1012
    await daphne.wait_for_log(r"WARNING channels1\.bridge Closing 1 WebSocket\(s\) with code 1012: "
                              r"Redis lost its data")


async def test_redis_restarted_with_its_data_keeps_sockets_open_and_loses_nothing(
        daphne, make_worker, tmp_path, prefix):
    durable = RedisServer(tmp_path / "durable", persist=True).start()
    try:
        env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
        env.update(BRIDGE_REDIS_URL=durable.url, BRIDGE_PREFIX=prefix)
        own = Daphne("tests.channels1.bridge_app:application", tmp_path / "daphne.log", env)
        try:
            worker = await make_worker(hosts=[durable.url])
            connected, client = await handshake(own, worker, unique_path(), {"accept": True})
            ws = await asyncio.wait_for(client, TIMEOUT)
            await asyncio.sleep(1.5)
            durable.process.kill()
            durable.process.wait()
            await ws.send("during the outage")
            durable.start()
            message = await worker.next("websocket.receive", reply_channel=connected["reply_channel"])
            assert message["text"] == "during the outage"
            await worker.reply(connected, {"text": "after the outage"})
            assert await receive(ws) == "after the outage"
            await asyncio.sleep(1.5)  # the watch has checked again: the data is there
            await ws.send("still open")
            assert (await worker.next("websocket.receive", reply_channel=connected["reply_channel"]))["text"] \
                == "still open"
            await ws.close()
            await worker.layer.close()
        finally:
            own.stop()
    finally:
        durable.stop()


# The project's asgi.py


async def test_project_serves_echo4_with_a_channels_4_consumer(project_daphne):
    async with await asyncio.wait_for(dial(project_daphne, "/ws/echo4/"), TIMEOUT) as ws:
        await ws.send("hello")
        assert await receive(ws) == "hello"
        await ws.send(b"\x01\x02")
        assert await receive(ws) == b"\x01\x02"


async def test_project_sends_other_websockets_through_the_bridge(project_daphne, make_worker):
    worker = await make_worker("proj")
    path = unique_path("chat")
    connected, client = await handshake(project_daphne, worker, path, {"accept": True})
    async with await asyncio.wait_for(client, TIMEOUT) as ws:
        await worker.reply(connected, {"text": "from a 1.x worker"})
        assert await receive(ws) == "from a 1.x worker"
        await ws.send("to a 1.x worker")
        message = await worker.next("websocket.receive", reply_channel=connected["reply_channel"])
        assert message == {"reply_channel": connected["reply_channel"], "path": path, "order": 1,
                           "text": "to a 1.x worker"}


# Configuration and reply parsing, in process


def test_handshake_timeout_comes_from_the_setting_or_the_argument():
    with override_settings(CHANNELS1_WEBSOCKET_HANDSHAKE_TIMEOUT=7):
        assert WebSocketBridge().handshake_timeout == 7
        assert WebSocketBridge(handshake_timeout=2.5).handshake_timeout == 2.5
    with override_settings():
        del settings.CHANNELS1_WEBSOCKET_HANDSHAKE_TIMEOUT
        assert WebSocketBridge().handshake_timeout == 5
    with pytest.raises(ImproperlyConfigured, match="positive number"):
        WebSocketBridge(handshake_timeout=0)


def test_a_missing_layer_alias_is_refused_early():
    with pytest.raises(ImproperlyConfigured, match="CHANNEL_LAYERS"):
        WebSocketBridge(alias="nowhere")


def test_parse_reply_follows_daphne_1():
    assert parse_reply({"accept": True}) == (True, None, True, None)
    assert parse_reply({"text": "hi", "close": True}) == (None, "hi", False, 1000)
    assert parse_reply({"bytes": b"\x00", "close": 4000}) == (None, b"\x00", True, 4000)
    assert parse_reply({"text": None, "bytes": b"x", "close": False}) == (None, b"x", True, None)
    for bad in (["text"], {"text": "a", "bytes": b"b"}, {"close": 999}, {"close": 1005}, {"close": 5000},
                {"accept": 1}, {"extra": 1}):
        with pytest.raises(ValueError):
            parse_reply(bad)
