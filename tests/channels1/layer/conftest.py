import uuid

import pytest

from channels1.layer import RedisChannelLayer


@pytest.fixture
def make_layer(redis_url):
    """Builds layers on the test Redis under a prefix of this test's own; every layer
    made in a test shares that prefix, as processes of one deployment do."""
    prefix = f"test{uuid.uuid4().hex[:8]}"
    made = []

    def make(**config):
        layer = RedisChannelLayer(hosts=[redis_url], prefix=prefix, **config)
        made.append(layer)
        return layer

    make.prefix = prefix
    yield make


@pytest.fixture
async def layer(make_layer):
    layer = make_layer()
    yield layer
    await layer.close()


def vanish(layer):
    """The layer's process dies without a word: no acknowledgement, no visibility
    extension, no hand-back; what it held stays pending in Redis."""
    for runtime in layer._runtimes.values():
        if runtime.streams._keeper is not None:
            runtime.streams._keeper.cancel()
    layer._runtimes.clear()
