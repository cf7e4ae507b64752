import asyncio
import gc
import logging
import uuid
import weakref

import pytest
import redis

from channels1.layer import RedisChannelLayer

# How long a test waits for a message that should come; a lost one fails the test.
RECEIVE_TIMEOUT = 10


# Layers a test leaves open on purpose (see ends_quietly): make_layer does not close them.
LEFT_OPEN = weakref.WeakSet()


@pytest.fixture
async def make_layer(redis_url):
    """Builds layers on the test Redis under a prefix of this test's own; every layer
    made in a test shares that prefix, as processes of one deployment do. They are
    closed after the test, also when it failed (closing twice is harmless)."""
    prefix = f"test{uuid.uuid4().hex[:8]}"
    made = []

    def make(**config):
        layer = RedisChannelLayer(hosts=[redis_url], prefix=prefix, **config)
        made.append(layer)
        return layer

    make.prefix = prefix
    yield make
    for layer in made:
        if layer not in LEFT_OPEN:
            await asyncio.wait_for(layer.close(), RECEIVE_TIMEOUT)


@pytest.fixture
async def layer(make_layer):
    return make_layer()


async def receive(layer, channel, timeout=RECEIVE_TIMEOUT):
    """``layer.receive(channel)``, failing instead of hanging when nothing comes."""
    return await asyncio.wait_for(layer.receive(channel), timeout)


def vanish(layer):
    """The layer's process dies without a word: no acknowledgement, no visibility
    extension, no hand-back; what it held stays pending in Redis."""
    for runtime in layer._runtimes.values():
        if runtime.streams._keeper is not None:
            runtime.streams._keeper.cancel()
    layer._runtimes.clear()


@pytest.fixture
def ends_quietly(redis_url, caplog):
    """Watches the layers passed to it, and checks after the test's event loop closed
    that they ended quietly with it: no runtime left, nothing logged at WARNING or
    above (as a task destroyed while pending would be), their connections closed.
    Request it before any async fixture: set up before pytest-asyncio's loop, it is
    torn down after that loop. ``ends_quietly.then(check)`` adds a check run last."""
    server = redis.Redis.from_url(redis_url)
    baseline = connected_clients(server)
    layers, loops, checks = [], [], []

    def watch(layer):
        layers.append(layer)
        LEFT_OPEN.add(layer)
        try:
            loops.append(asyncio.get_running_loop())
        except RuntimeError:
            pass  # a sync test: its loops are async_to_sync's
        return layer

    def then(check):
        checks.append(check)
        return check

    watch.then = then
    yield watch
    gc.collect()
    assert all(loop.is_closed() for loop in loops), "ends_quietly was torn down before the test's loop"
    assert [dict(layer._runtimes) for layer in layers] == [{} for _ in layers]
    problems = [
        f"{record.levelname} {record.name}: {record.getMessage()}"
        for phase in ("call", "teardown")
        for record in caplog.get_records(phase)
        if record.levelno >= logging.WARNING
    ]
    assert problems == []
    asyncio.run(wait_until(lambda: connected_clients(server) <= baseline))
    for check in checks:
        check()


def connected_clients(server):
    return server.info("clients")["connected_clients"]


async def wait_until(condition, timeout=10):
    """Polls ``condition`` until it holds; fails after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)
