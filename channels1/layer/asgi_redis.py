"""The layer as 1.x settings name it, ``"BACKEND": "asgi_redis.RedisChannelLayer"``
(the import path ``asgi_redis`` leads here): this project's Redis layer taking
asgi_redis 1.4's CONFIG keys and defaults."""

from .core import RedisChannelLayer as _RedisChannelLayer

__all__ = ["RedisChannelLayer", "RedisLocalChannelLayer"]


class RedisChannelLayer(_RedisChannelLayer):
    """asgi_redis 1.4's ``RedisChannelLayer(expiry, hosts, prefix, group_expiry,
    capacity, channel_capacity, symmetric_encryption_keys, stats_prefix,
    connection_kwargs)`` on this project's layer: ``hosts`` are ``(host, port)``
    pairs or Redis URLs (one host), the default is ``[("localhost", 6379)]`` and
    the prefix ``"asgi:"``. ``stats_prefix`` is accepted; there is no statistics
    extension. Keys this layer adds (``delivery``, ``visibility_timeout`` ...) work too."""

    def __init__(self, expiry=60, hosts=None, prefix="asgi:", group_expiry=86400, capacity=100,
                 channel_capacity=None, symmetric_encryption_keys=None, stats_prefix="asgi-meta:",
                 connection_kwargs=None, **options):
        super().__init__(
            hosts=[("localhost", 6379)] if hosts is None else hosts, prefix=prefix.rstrip(":") or "asgi",
            expiry=expiry, group_expiry=group_expiry, capacity=capacity, channel_capacity=channel_capacity,
            symmetric_encryption_keys=symmetric_encryption_keys, connection_kwargs=connection_kwargs, **options,
        )
        self.stats_prefix = stats_prefix


# asgi_redis's local variant kept process-specific channels in process memory;
# here they already are read by their own process only.
RedisLocalChannelLayer = RedisChannelLayer
