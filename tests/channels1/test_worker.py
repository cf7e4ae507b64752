"""The worker, in this process, on a real Redis: routing messages to sync and async
consumers, holding their sends, and what it does with consumers' exceptions."""

import asyncio
import logging
import threading
import time

import pytest

from channels1 import Channel, Group, route
from channels1.exceptions import ConsumeLater, DenyConnection, WebsocketCloseException
from channels1.layer import RedisChannelLayer
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
    time.sleep(0.3)


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
]


@pytest.fixture
async def run_worker(channel_layer_settings):
    started = []

    async def run(threads=1, sync_api=False, **options):
        layer = RedisChannelLayer(**channel_layer_settings, visibility_timeout=5)
        if sync_api:
            layer = ChannelLayer(layer, "default")
        router = Router(ROUTES)
        router.check_default()
        worker = Worker(router, layer, threads=threads, **options)
        task = asyncio.ensure_future(worker.run())
        started.append((worker, task))
        return worker

    calls.clear()
    yield run
    for worker, task in started:
        worker.stop()
        await asyncio.wait_for(task, 10)


@pytest.fixture
async def client(channel_layer_settings):
    layer = RedisChannelLayer(**channel_layer_settings)

    async def send(channel, content=None):
        reply = await layer.new_channel("daphne.response")
        await layer.send(channel, {"reply_channel": reply, **(content or {})})
        return reply

    send.layer = layer
    send.receive = lambda reply, timeout=5: asyncio.wait_for(layer.receive(reply), timeout)
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


async def test_immediately_sends_before_the_consumer_returns(run_worker, client):
    await run_worker()
    start = time.monotonic()
    reply = await client("test.immediate")
    await client.receive(reply)
    assert time.monotonic() - start < 0.3


async def test_consume_later_puts_the_message_back_at_most_ten_times(run_worker, client, caplog):
    await run_worker()
    with caplog.at_level(logging.WARNING, logger="channels1.worker"):
        await client("test.later")
        for _ in range(100):
            if "ConsumeLater more than 10 times" in caplog.text:
                break
            await asyncio.sleep(0.05)
    assert calls == list(range(11))
    assert "Dropped message on test.later" in caplog.text


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


async def test_threads_run_consumers_side_by_side(run_worker, client):
    await run_worker(threads=3)
    start = time.monotonic()
    replies = [await client("test.slow") for _ in range(3)]
    for reply in replies:
        assert await client.receive(reply) == {"text": "done"}
    assert time.monotonic() - start < 1.0
    assert len(set(calls)) == 3


async def test_a_busy_worker_leaves_messages_to_a_free_one(run_worker, client):
    first, second = await run_worker(threads=1), await run_worker(threads=1)
    replies = [await client("test.slow") for _ in range(4)]
    for reply in replies:
        assert await client.receive(reply) == {"text": "done"}
    # Each worker took only what it had a slot for, so both ran consumers.
    assert len(calls) == 4


def test_only_and_exclude_channels_narrow_what_a_worker_listens_on():
    router = Router(ROUTES)
    router.check_default()
    worker = Worker(router, None, only_channels=["test.*"], exclude_channels=["test.s*"])
    assert worker.channels == ["test.async", "test.fail", "test.immediate", "test.later", "test.layer"]
    assert "websocket.receive" in Worker(router, None).channels


async def test_stop_finishes_the_running_consumer_first(run_worker, client):
    worker = await run_worker()
    reply = await client("test.slow")
    await asyncio.sleep(0.15)
    worker.stop()
    assert await client.receive(reply) == {"text": "done"}
