"""`channels.asgi` of 1.x: the layers of CHANNEL_LAYERS as 1.x settings write them
(asgi_redis BACKEND, ROUTING per alias), and get_channel_layer()'s layer object
with its sync API, on the test Redis."""

import pytest
from channels.exceptions import InvalidChannelLayerError
from channels.layers import get_channel_layer as channels4_layer

from channels1.asgi import ChannelLayerWrapper, channel_layers, get_channel_layer
from channels1.sync_layer import ChannelLayer

ROUTING = "tests.channels1.test_asgi.channel_routing"


def on_test(message):
    """A consumer for the routing below."""


channel_routing = {"test.channel": on_test}


@pytest.fixture
def legacy_settings(settings, redis_url, layer_prefix):
    """CHANNEL_LAYERS exactly as a 1.x project writes it, on the test Redis."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "asgi_redis.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url], "prefix": f"{layer_prefix}:"},
            "ROUTING": ROUTING,
        },
        "other": {
            "BACKEND": "asgi_redis.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url], "prefix": f"{layer_prefix}-other:"},
            "ROUTING": [],
        },
    }
    return settings


def test_get_channel_layer_gives_the_layer_object_with_its_routing(legacy_settings):
    layer = get_channel_layer()
    assert isinstance(layer, ChannelLayer)
    assert layer is channel_layers["default"].channel_layer
    assert layer.routing == ROUTING
    assert layer.router.channels == {"test.channel"}
    assert get_channel_layer("other").routing == []


def test_routing_is_per_alias_and_never_reaches_channels4(legacy_settings):
    wrapper = channel_layers["default"]
    assert isinstance(wrapper, ChannelLayerWrapper)
    assert wrapper.alias == "default" and wrapper.router.channels == {"test.channel"}
    assert channel_layers["other"].router.channels == set()
    # channels 4 code in the same process gets the same layer, ROUTING or not.
    assert wrapper.async_layer is channels4_layer("default")
    assert "default" in channel_layers and "missing" not in channel_layers


def test_our_own_settings_names_still_work(settings, channel_layer_settings):
    settings.CHANNEL_ROUTING = ROUTING
    assert channel_layers["default"].routing == ROUTING
    assert type(get_channel_layer().async_layer).__module__ == "channels1.layer.core"


def test_a_layer_without_routing_can_still_send(settings, channel_layer_settings):
    settings.CHANNEL_ROUTING = None
    wrapper = channel_layers["default"]
    assert wrapper.routing is None and wrapper.router.channels == set()
    with pytest.raises(InvalidChannelLayerError, match="no channel layer 'missing'"):
        channel_layers["missing"]


def test_channel_and_group_send_through_the_swappable_wrapper(legacy_settings):
    from channels1 import Channel, Group

    original = channel_layers["default"]
    assert Channel("test.channel").channel_layer is original.async_layer
    swapped = ChannelLayerWrapper(ChannelLayer(channels4_layer("other"), "default"), "default", [])
    channel_layers.set("default", swapped)
    assert Group("watchers").channel_layer is channels4_layer("other")


def test_set_swaps_a_wrapper_and_returns_the_old_one(legacy_settings):
    original = channel_layers["default"]
    replacement = ChannelLayerWrapper(ChannelLayer(original.async_layer, "default"), "default", [])
    assert channel_layers.set("default", replacement) is original
    assert channel_layers["default"] is replacement
    assert not replacement.local_only()


def test_send_and_receive_from_sync_code(legacy_settings):
    layer = get_channel_layer()
    layer.send("test.channel", {"text": "hello", "bytes": b"\x00"})
    assert layer.receive(["test.channel"], block=True) == ("test.channel", {"text": "hello", "bytes": b"\x00"})
    assert layer.receive(["test.channel"]) == (None, None)
    assert layer.receive_many == layer.receive


def test_new_channel_makes_single_reader_names_as_1x(legacy_settings):
    layer = get_channel_layer()
    name = layer.new_channel("results?")
    assert name.startswith("results?") and len(name) > len("results?")
    layer.send(name, {"n": 1})
    assert layer.receive([name], block=True) == (name, {"n": 1})
    with pytest.raises(ValueError, match="ending in"):
        layer.new_channel("results!")


def test_groups_and_flush_from_sync_code(legacy_settings):
    layer = get_channel_layer()
    assert {"groups", "flush"} <= set(layer.extensions)
    layer.group_add("watchers", "watcher.one")
    layer.group_add("watchers", "watcher.two")
    layer.group_discard("watchers", "watcher.two")
    layer.send_group("watchers", {"news": True})
    assert layer.receive(["watcher.one"], block=True) == ("watcher.one", {"news": True})
    assert layer.receive(["watcher.two"]) == (None, None)
    layer.send("test.channel", {"left": "over"})
    layer.flush()
    assert layer.receive(["test.channel"]) == (None, None)


def test_full_channels_raise_the_layers_channel_full(legacy_settings):
    legacy_settings.CHANNEL_LAYERS["default"]["CONFIG"]["capacity"] = 1
    layer = get_channel_layer()
    layer.send("test.channel", {"n": 1})
    with pytest.raises(layer.ChannelFull):
        layer.send("test.channel", {"n": 2})
