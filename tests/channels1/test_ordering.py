"""The checks that keep `enforce_ordering` from stalling, with workers in this process
on a real Redis: an order that never comes is given up after the gap timeout and the
waiting messages run in order; the checks of a worker that died go to another."""

import asyncio
import logging

import pytest

from channels1 import Message, route
from channels1._ordering import CHECKS_CHANNEL, park
from channels1.layer import RedisChannelLayer
from channels1.routing import Router
from channels1.sessions import enforce_ordering
from channels1.worker import Worker

from .layer.conftest import vanish

GAP_TIMEOUT = 0.5
REPLY_TIMEOUT = 20


@enforce_ordering
def reply_order(message):
    message.reply_channel.send({"text": str(message["order"])}, immediately=True)


@pytest.fixture
def layer_config(settings, cache_settings, channel_layer_settings):
    settings.CHANNELS1_ORDER_GAP_TIMEOUT = GAP_TIMEOUT
    return {**channel_layer_settings, "block_timeout": 0.1}


@pytest.fixture
async def start_worker(layer_config):
    started = []

    def start(threads=1, **config):
        worker = Worker(Router([route("test.ordered", reply_order)]),
                        RedisChannelLayer(**layer_config, **config), threads=threads)
        worker.task = asyncio.ensure_future(worker.run())
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
        await asyncio.wait_for(worker.task, 10)


@pytest.fixture
async def client(layer_config):
    layer = RedisChannelLayer(**layer_config)
    yield layer
    await layer.close()


async def replies(layer, reply_channel, count):
    return [(await asyncio.wait_for(layer.receive(reply_channel), REPLY_TIMEOUT))["text"] for _ in range(count)]


async def test_waiting_messages_run_in_order_once_the_order_they_wait_for_never_came(start_worker, client, caplog):
    start_worker(threads=2)
    reply_channel = await client.new_channel("daphne.response")
    with caplog.at_level(logging.WARNING, logger="channels1.sessions"):
        for order in (0, 3, 2, 5):
            await client.send("test.ordered", {"reply_channel": reply_channel, "order": order})
        assert await replies(client, reply_channel, 4) == ["0", "2", "3", "5"]
    assert f"Socket {reply_channel}: order 1 did not come within {GAP_TIMEOUT} s" in caplog.text
    assert f"Socket {reply_channel}: order 4 did not come within {GAP_TIMEOUT} s" in caplog.text


async def test_the_check_of_a_worker_that_died_goes_to_another_and_its_message_runs(
        start_worker, client, layer_config, caplog):
    reply_channel = await client.new_channel("daphne.response")
    early = Message({"reply_channel": reply_channel, "order": 1}, "test.ordered", client)
    await asyncio.to_thread(park, client, early, 1, 0)
    dying = RedisChannelLayer(**layer_config, visibility_timeout=1)
    [check] = await dying.receive_batch([CHECKS_CHANNEL], 10)
    assert check.message["reply_channel"] == reply_channel
    vanish(dying)  # killed while holding the check: no acknowledgement, no hand-back
    start_worker(visibility_timeout=1)
    with caplog.at_level(logging.WARNING, logger="channels1.sessions"):
        assert await replies(client, reply_channel, 1) == ["1"]
    assert f"Socket {reply_channel}: order 0 did not come" in caplog.text
