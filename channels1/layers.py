"""Channels 4's layer manager, reading CHANNEL_LAYERS as either version writes it:
1.x's per-alias ``ROUTING`` (read by `channels1.asgi`) is kept from channels 4,
which refuses it. The import paths put it in place as
``channels.layers.channel_layers``, so both versions share one layer per alias."""

from channels.layers import ChannelLayerManager as _Channels4LayerManager

LEGACY_KEYS = ("ROUTING",)


class ChannelLayerManager(_Channels4LayerManager):
    """``channels.layers.ChannelLayerManager`` without the 1.x-only keys."""

    @property
    def configs(self):
        return {
            alias: {key: value for key, value in config.items() if key not in LEGACY_KEYS}
            for alias, config in super().configs.items()
        }


channel_layers = ChannelLayerManager()
