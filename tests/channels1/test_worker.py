"""The worker, in this process, on a real Redis: routing messages to sync and async
consumers, holding their sends, and what it does with consumers' exceptions."""

import asyncio
import logging
import threading
import time

import pytest
import redis

from channels1 import Channel, Group, nonblocking, route
from channels1.exceptions import ChannelFull, ConsumeLater, DenyConnection, WebsocketCloseException
from channels1.layer import RedisChannelLayer
from channels1.layer.keys import stats_key
from channels1.routing import Router
from channels1.signals import consumer_finished, consumer_started
from channels1.sync_layer import ChannelLayer
from channels1.worker import Worker

calls = []


def reply_then_fail(message):
    message.reply_channel.send({"text": "held"})
    raise RuntimeError("consumer broke")


def reply_slowly(message):
    message.reply_channel.send({"text": "after return"})
    time.sleep(0.3)
    calls.append(("returned", time.monotonic()))


def reply_immediately(message):
    message.reply_channel.send({"text": "now"}, immediately=True)
    calls.append("sent")
    gate.wait(WAIT_TIMEOUT)
    calls.append("returned")


def always_later(message):
    calls.append(message.get("__retries__", 0))
    raise ConsumeLater()


def deny(message):
    raise DenyConnection()


def close_with_code(message):
    raise WebsocketCloseException(4001)


def join_group(message, room):
    Group(f"room.{room}").add(message.reply_channel)
    message.reply_channel.send({"accept": True})


async def async_echo(message):
    await message.reply_channel.asend({"text": message["text"].upper()})


def slow(message):
    calls.append(threading.current_thread().name)
    time.sleep(0.4)
    message.reply_channel.send({"text": "done"})


def reply_through_the_message_layer(message):
    message.channel_layer.send(message.reply_channel.name, {"text": type(message.channel_layer).__name__})


# Consumers that wait for each other or for the test; each test gets its own, and a
# failed test releases them (see the `meeting` and `gate` fixtures).
WAIT_TIMEOUT = 15
meeting = threading.Barrier(1)
gate = threading.Event()


def meet(message):
    """Replies "met" once as many consumers as the meeting is for run at once."""
    calls.append(threading.current_thread().name)
    try:
        meeting.wait()
        text = "met"
    except threading.BrokenBarrierError:
        text = "alone"
    message.reply_channel.send({"text": text})


def wait_for_gate(message):
    calls.append("started")
    gate.wait(WAIT_TIMEOUT)
    message.reply_channel.send({"text": "done"})


def reply_in_order(message):
    reply = message.reply_channel
    reply.send({"n": 1})
    Group("order").send({"n": 2})
    reply.send({"n": 3})
    reply.send({"n": 4})


def reply_three(message):
    for n in range(3):
        message.reply_channel.send({"n": n})


def later_on_a_full_channel(message):
    """Fills its own channel, then asks to be run later: the worker must retry."""
    if message.get("filler"):
        return
    retries = message.get("__retries__", 0)
    if not retries:
        Channel(message.channel.name).send({"filler": True}, immediately=True)
        raise ConsumeLater()
    message.reply_channel.send({"text": f"retried {retries}"})


def reply_identity(message):
    message.reply_channel.send({"id": message.id, "deliveries": message.deliveries})


def where_it_ran():
    """The thread a consumer runs in, and whether that thread runs an event loop."""
    try:
        asyncio.get_running_loop()
        on_loop = True
    except RuntimeError:
        on_loop = False
    return {"thread": threading.current_thread().name, "on_loop": on_loop}


def reply_where(message):
    message.reply_channel.send(where_it_ran())


@nonblocking
def reply_where_without_blocking(message):
    message.reply_channel.send({"n": 1})
    calls.append("returned")
    message.reply_channel.send(where_it_ran())


@nonblocking
def join_without_blocking(message):
    message.reply_channel.send({"text": "held"})
    Group("nonblocking").add(message.reply_channel)


def reply_known(message):
    message.reply_channel.send({"text": "known"})


ROUTES = [
    route("test.layer", reply_through_the_message_layer),
    route("test.fail", reply_then_fail),
    route("test.slow_reply", reply_slowly),
    route("test.immediate", reply_immediately),
    route("test.later", always_later),
    route("websocket.connect", deny, path=r"^/deny/$"),
    route("websocket.connect", close_with_code, path=r"^/close/$"),
    route("websocket.connect", join_group, path=r"^/room/(?P<room>\w+)/$"),
    route("test.async", async_echo),
    route("test.slow", slow),
    route("test.meet", meet),
    route("test.gate", wait_for_gate),
    route("test.order", reply_in_order),
    route("test.three", reply_three),
    route("test.later_full", later_on_a_full_channel),
    route("test.picky", reply_known, path=r"^/known/$"),
    route("test.identity", reply_identity),
    route("test.where", reply_where),
    route("test.where_nonblocking", reply_where_without_blocking),
    route("test.join_nonblocking", join_without_blocking),
]


# Short blocking reads: a stopped worker or a closed layer ends in a tenth of a second.
BLOCK_TIMEOUT = 0.1


@pytest.fixture
async def run_worker(channel_layer_settings):
    started = []

    async def run(threads=1, sync_api=False, layer_config=None, **options):
        layer = RedisChannelLayer(
            **channel_layer_settings, visibility_timeout=5, block_timeout=BLOCK_TIMEOUT, **(layer_config or {})
        )
        if sync_api:
            layer = ChannelLayer(layer, "default")
        router = Router(ROUTES)
        router.check_default()
        worker = Worker(router, layer, threads=threads, **options)
        worker.task = asyncio.ensure_future(worker.run())
        started.append(worker)
        return worker

    calls.clear()
    yield run
    for worker in started:
        worker.stop()
        await asyncio.wait_for(worker.task, 10)


@pytest.fixture
def meet_in():
    """``meet_in(n)``: the `meet` consumers reply "met" once n of them run at once."""

    def arrange(parties):
        global meeting
        meeting = threading.Barrier(parties, timeout=WAIT_TIMEOUT)

    yield arrange
    meeting.abort()


@pytest.fixture
def closed_gate():
    """The `wait_for_gate` consumers wait until the test opens the gate."""
    gate.clear()
    yield gate
    gate.set()


async def until(condition, what):
    deadline = time.monotonic() + WAIT_TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {WAIT_TIMEOUT} s"
        await asyncio.sleep(0.02)


@pytest.fixture
async def client(channel_layer_settings):
    layer = RedisChannelLayer(**channel_layer_settings, block_timeout=BLOCK_TIMEOUT)

    async def send(channel, content=None):
        reply = await layer.new_channel("daphne.response")
        await layer.send(channel, {"reply_channel": reply, **(content or {})})
        return reply

    send.layer = layer
    send.receive = lambda reply, timeout=10: asyncio.wait_for(layer.receive(reply), timeout)
    yield send
    await layer.close()


async def test_held_sends_go_out_even_when_the_consumer_raised(run_worker, client, caplog):
    await run_worker()
    with caplog.at_level(logging.ERROR, logger="channels1.worker"):
        reply = await client("test.fail")
        assert await client.receive(reply) == {"text": "held"}
    assert "Error in consumer reply_then_fail for channel test.fail" in caplog.text
    assert "RuntimeError: consumer broke" in caplog.text


async def test_message_channel_layer_is_the_sync_1x_layer_object(run_worker, client):
    await run_worker(sync_api=True)
    assert await client.receive(await client("test.layer")) == {"text": "ChannelLayer"}


async def test_worker_goes_on_after_a_consumer_raised(run_worker, client):
    await run_worker()
    for _ in range(3):
        assert await client.receive(await client("test.fail")) == {"text": "held"}


async def test_held_sends_wait_until_the_consumer_returned(run_worker, client):
    await run_worker()
    reply = await client("test.slow_reply")
    await client.receive(reply)
    arrived = time.monotonic()
    [(_, returned)] = calls
    assert arrived >= returned


async def test_immediately_sends_before_the_consumer_returns(run_worker, client, closed_gate):
    await run_worker()
    reply = await client("test.immediate")
    assert await client.receive(reply) == {"text": "now"}
    # The reply can arrive before the consumer's thread records its send.
    await until(lambda: calls, "the consumer's record of its send")
    assert calls == ["sent"]  # the consumer still waits at the gate
    closed_gate.set()
    await until(lambda: calls == ["sent", "returned"], "the consumer's return")


async def test_consume_later_puts_the_message_back_at_most_ten_times(run_worker, client, caplog):
    worker = await run_worker()
    with caplog.at_level(logging.WARNING, logger="channels1.worker"):
        await client("test.later")
        for _ in range(100):
            if "ConsumeLater more than 10 times" in caplog.text:
                break
            await asyncio.sleep(0.05)
    assert calls == list(range(11))
    assert "Dropped message on test.later" in caplog.text
    await until(lambda: _counted(worker.channel_layer, "dropped|test.later") == 1, "the dropped message counted")


def _counted(layer, field):
    """A count of the layer's: what its heartbeats stored in Redis plus what it holds."""
    held = layer.stats.take()
    layer.stats.give_back(held)
    stored = redis.Redis.from_url(layer.hosts[0]).hget(stats_key(layer.prefix), field)
    return held.get(field, 0) + int(stored or 0)


async def test_deny_connection_on_connect_closes_the_socket(run_worker, client):
    await run_worker()
    reply = await client("websocket.connect", {"path": "/deny/", "order": 0})
    assert await client.receive(reply) == {"close": True}


async def test_websocket_close_exception_closes_with_its_code(run_worker, client):
    await run_worker()
    reply = await client("websocket.connect", {"path": "/close/", "order": 0})
    assert await client.receive(reply) == {"close": 4001}


async def test_unrouted_connect_is_accepted_by_the_fallback(run_worker, client):
    await run_worker()
    reply = await client("websocket.connect", {"path": "/nowhere/", "order": 0})
    assert await client.receive(reply) == {"accept": True}


async def test_group_add_from_a_sync_consumer_happens_at_once(run_worker, client):
    await run_worker()
    reply = await client("websocket.connect", {"path": "/room/blue/", "order": 0})
    assert await client.receive(reply) == {"accept": True}
    await Group("room.blue").asend({"text": "to the room"})
    assert await client.receive(reply) == {"text": "to the room"}


async def test_async_consumers_are_awaited(run_worker, client):
    await run_worker()
    reply = await client("test.async", {"text": "quiet"})
    assert await client.receive(reply) == {"text": "QUIET"}


async def test_signals_fire_around_each_consumer(run_worker, client):
    seen = []
    started = lambda **kwargs: seen.append(("started", kwargs.get("environ")))  # noqa: E731
    finished = lambda **kwargs: seen.append(("finished", None))  # noqa: E731
    consumer_started.connect(started)
    consumer_finished.connect(finished)
    try:
        await run_worker()
        await client.receive(await client("test.async", {"text": "x"}))
    finally:
        consumer_started.disconnect(started)
        consumer_finished.disconnect(finished)
    assert seen == [("started", {}), ("finished", None)]


async def test_threads_run_consumers_side_by_side(run_worker, client, meet_in):
    meet_in(3)
    await run_worker(threads=3, only_channels=["test.meet"])
    replies = [await client("test.meet") for _ in range(3)]
    assert [await client.receive(reply, WAIT_TIMEOUT + 5) for reply in replies] == [{"text": "met"}] * 3
    assert len(set(calls)) == 3


async def test_a_busy_worker_leaves_messages_to_a_free_one(run_worker, client, meet_in):
    meet_in(2)
    replies = [await client("test.meet") for _ in range(2)]
    await run_worker(threads=1, only_channels=["test.meet"])
    await until(lambda: len(calls) == 1, "the first worker's consumer starting")
    await run_worker(threads=1, only_channels=["test.meet"])
    # The two consumers meet only if the second message was left to the second worker.
    assert [await client.receive(reply, WAIT_TIMEOUT + 5) for reply in replies] == [{"text": "met"}] * 2


async def test_a_worker_takes_only_as_many_messages_as_it_has_free_threads(run_worker, client, meet_in):
    meet_in(3)
    await run_worker(threads=2, only_channels=["test.meet"])
    replies = [await client("test.meet")]
    await until(lambda: len(calls) == 1, "the first consumer starting")
    # Two messages at once while one thread is free: the worker takes one of them.
    replies += await asyncio.gather(client("test.meet"), client("test.meet"))
    await until(lambda: len(calls) == 2, "the second consumer starting")
    await run_worker(threads=1, only_channels=["test.meet"])
    assert [await client.receive(reply, WAIT_TIMEOUT + 5) for reply in replies] == [{"text": "met"}] * 3


async def test_stop_waits_for_every_running_consumer(
    run_worker, client, closed_gate, redis_url, channel_layer_settings
):
    worker = await run_worker(threads=3)
    replies = [await client("test.gate") for _ in range(2)]
    await until(lambda: len(calls) == 2, "both consumers starting")
    worker.stop()
    # The consumers finish after the worker has stopped taking messages.
    asyncio.get_running_loop().call_later(1, closed_gate.set)
    await asyncio.wait_for(worker.task, WAIT_TIMEOUT + 5)
    stream = f"{channel_layer_settings['prefix']}:c:{{test.gate}}"
    server = redis.Redis.from_url(redis_url)
    assert server.xpending(stream, "receivers")["pending"] == 0  # both acknowledged before run() returned
    assert server.xlen(stream) == 0
    assert [await client.receive(reply) for reply in replies] == [{"text": "done"}] * 2


async def test_held_sends_go_out_in_the_order_they_were_made(run_worker, client):
    await run_worker()
    reply = await client.layer.new_channel("daphne.response")
    await client.layer.group_add("order", reply)
    await client.layer.send("test.order", {"reply_channel": reply})
    assert [await client.receive(reply) for _ in range(4)] == [{"n": 1}, {"n": 2}, {"n": 3}, {"n": 4}]


async def test_held_sends_to_a_full_channel_are_retried(run_worker, client):
    await run_worker(layer_config={"channel_capacity": {"daphne.response*": 1}})
    reply = await client("test.three")
    # Only one reply fits until this client reads it; the other two wait and go out then.
    received = [await client.receive(reply) for _ in range(3)]
    assert sorted(message["n"] for message in received) == [0, 1, 2]


async def test_consume_later_on_a_full_channel_is_retried_until_it_fits(run_worker, client, monkeypatch):
    worker = await run_worker(layer_config={"channel_capacity": {"test.later_full": 1}})
    send, refused = worker.channel_layer.send, asyncio.Event()

    async def watched_send(channel, message):
        try:
            return await send(channel, message)
        except ChannelFull:
            refused.set()
            raise

    monkeypatch.setattr(worker.channel_layer, "send", watched_send)
    reply = await client("test.later_full")
    # The consumer filled the channel before asking to run later, so putting the
    # message back is refused; taking the filler off makes room for it.
    await asyncio.wait_for(refused.wait(), WAIT_TIMEOUT)
    assert await client.receive("test.later_full") == {"filler": True}
    assert await client.receive(reply) == {"text": "retried 1"}


async def test_an_unrouted_message_is_acknowledged(run_worker, client, caplog, redis_url, channel_layer_settings):
    await client("test.picky", {"path": "/unknown/"})
    routed = await client("test.picky", {"path": "/known/"})
    stream = f"{channel_layer_settings['prefix']}:c:{{test.picky}}"
    server = redis.Redis.from_url(redis_url)
    unrouted_id = server.xrange(stream)[0][0]
    with caplog.at_level(logging.ERROR, logger="channels1.worker"):
        await run_worker()  # one thread: the unrouted message is done before the routed one runs
        assert await client.receive(routed) == {"text": "known"}
    assert "No route found for message on channel test.picky (path '/unknown/')" in caplog.text
    assert unrouted_id not in [entry_id for entry_id, _ in server.xrange(stream)]
    pending = server.xpending_range(stream, "receivers", "-", "+", 10)
    assert unrouted_id not in [entry["message_id"] for entry in pending]


def test_only_and_exclude_channels_narrow_what_a_worker_listens_on():
    router = Router(ROUTES)
    router.check_default()
    worker = Worker(router, None, only_channels=["test.*"], exclude_channels=["test.s*", "test.later*"])
    assert worker.channels == [
        "test.async", "test.fail", "test.gate", "test.identity", "test.immediate", "test.join_nonblocking",
        "test.layer", "test.meet", "test.order", "test.picky", "test.three", "test.where", "test.where_nonblocking",
    ]
    assert "websocket.receive" in Worker(router, None).channels


async def test_stop_finishes_the_running_consumer_first(run_worker, client):
    worker = await run_worker()
    reply = await client("test.slow")
    await asyncio.sleep(0.15)
    worker.stop()
    assert await client.receive(reply) == {"text": "done"}


async def test_a_consumer_gets_the_message_id_and_its_delivery_count(run_worker, client):
    await run_worker()
    reply = await client.layer.new_channel("daphne.response")
    position = await client.layer.send_tracked("test.identity", {"reply_channel": reply})
    assert await client.receive(reply) == {"id": f"test.identity:{position.decode()}", "deliveries": 1}


async def test_a_nonblocking_consumer_runs_on_the_worker_loop_and_others_in_its_threads(run_worker, client):
    await run_worker(threads=2)
    pooled = await client.receive(await client("test.where"))
    assert pooled["thread"].startswith("consumer") and not pooled["on_loop"]
    reply = await client("test.where_nonblocking")
    assert await client.receive(reply) == {"n": 1}
    assert await client.receive(reply) == {"thread": threading.current_thread().name, "on_loop": True}
    assert calls == ["returned"]  # held until it returned, then sent in order


async def test_a_nonblocking_consumer_that_blocks_is_refused_logged_and_its_message_acknowledged(
    run_worker, client, caplog, redis_url, channel_layer_settings
):
    worker = await run_worker()
    with caplog.at_level(logging.ERROR, logger="channels1.worker"):
        reply = await client("test.join_nonblocking")
        assert await client.receive(reply) == {"text": "held"}
    assert "Error in consumer join_without_blocking for channel test.join_nonblocking" in caplog.text
    assert "sync call made from async code" in caplog.text
    key = worker.channel_layer._stream_key("test.join_nonblocking")
    connection = redis.Redis.from_url(redis_url)
    try:
        await until(lambda: connection.xlen(key) == 0, "the acknowledgement")
    finally:
        connection.close()
