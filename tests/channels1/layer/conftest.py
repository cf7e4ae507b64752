import asyncio
import uuid

import pytest

from channels1.layer import RedisChannelLayer

# How long a test waits for a message that should come; a lost one fails the test.
RECEIVE_TIMEOUT = 10


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
