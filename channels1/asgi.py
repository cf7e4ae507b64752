"""The 1.x ``channels.asgi``: ``channel_layers``, the layers of CHANNEL_LAYERS each
with its routing, and ``get_channel_layer()``, what a 1.x ``asgi.py`` hands Daphne
(``channel_layer = get_channel_layer()``)."""

import django
from channels.exceptions import InvalidChannelLayerError
from channels.layers import channel_layers as async_layers
from django.conf import settings
from django.core.signals import setting_changed

from .channel import DEFAULT_CHANNEL_LAYER
from .sync_layer import ChannelLayer

__all__ = ["ChannelLayerManager", "ChannelLayerWrapper", "channel_layers", "get_channel_layer", "routing_for"]


def routing_for(alias):
    """The channel routing of a layer alias: its 1.x ``ROUTING`` key, else this
    project's ``CHANNEL_ROUTING`` setting; None if neither is set."""
    config = getattr(settings, "CHANNEL_LAYERS", {}).get(alias)
    if config is None:
        raise InvalidChannelLayerError(f"There is no channel layer {alias!r} in CHANNEL_LAYERS")
    return config.get("ROUTING", getattr(settings, "CHANNEL_ROUTING", None))


class ChannelLayerWrapper:
    """A layer with its alias and routing: ``channel_layer`` (the layer object),
    ``alias``, ``routing``, ``router`` (built when first used); other attributes
    are the layer's."""

    def __init__(self, channel_layer, alias, routing):
        self.channel_layer = channel_layer
        self.alias = alias
        channel_layer.routing = routing

    @property
    def routing(self):
        return self.channel_layer.routing

    @property
    def router(self):
        return self.channel_layer.router

    def __getattr__(self, name):
        return getattr(self.channel_layer, name)

    def local_only(self):
        """True for a layer only this process can reach (in-memory)."""
        return "inmemory" in type(self.channel_layer.async_layer).__module__

    def __repr__(self):
        return f"<ChannelLayerWrapper {self.alias!r} of {self.channel_layer!r}>"


class ChannelLayerManager:
    """The layers of CHANNEL_LAYERS by alias, built on first use: ``[alias]`` gives
    a ChannelLayerWrapper over the same async layer channels 4 code gets."""

    def __init__(self):
        self.backends = {}
        setting_changed.connect(self._reset_backends)

    def _reset_backends(self, setting, **kwargs):
        if setting in ("CHANNEL_LAYERS", "CHANNEL_ROUTING"):
            self.backends = {}

    @property
    def configs(self):
        return getattr(settings, "CHANNEL_LAYERS", {})

    def make_backend(self, name):
        routing = routing_for(name)
        return ChannelLayerWrapper(ChannelLayer(async_layers[name], name), name, routing)

    def make_test_backend(self, name):
        """The layer built from the alias's TEST_CONFIG."""
        routing = routing_for(name)
        return ChannelLayerWrapper(ChannelLayer(async_layers.make_test_backend(name), name), name, routing)

    def __getitem__(self, key):
        if key not in self.backends:
            self.backends[key] = self.make_backend(key)
        return self.backends[key]

    def __contains__(self, key):
        return key in self.configs

    def set(self, key, layer):
        """Put ``layer`` (a wrapper) in place for ``key``; the one it replaced (tests)."""
        old = self.backends.get(key)
        self.backends[key] = layer
        return old


channel_layers = ChannelLayerManager()


def get_channel_layer(alias=DEFAULT_CHANNEL_LAYER):
    """Set Django up and return the layer object of ``alias``: what a 1.x
    ``asgi.py`` exposes for ``daphne myproject.asgi:channel_layer``."""
    django.setup(set_prefix=False)
    return channel_layers[alias].channel_layer
