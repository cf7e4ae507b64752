"""The channel layer as 1.x code holds it (``get_channel_layer()``,
``message.channel_layer``): asgiref 1.x's sync API over this project's async layer,
and the ASGI application Daphne serves for a 1.x ``asgi.py``."""

import asyncio
import functools
import secrets
import string

from channels.exceptions import ChannelFull, MessageTooLarge

from . import _sync

RANDOM_LETTERS = string.ascii_letters
SPECIFIC_WAIT = 0.01  # seconds a non-blocking receive gives a process-specific channel


class ChannelLayer:
    """One alias's layer with the sync ASGI 1.0 API: ``send``, ``receive(channels,
    block=False)`` (and its old name ``receive_many``), ``new_channel``,
    ``group_add``, ``group_discard``, ``send_group``, ``flush``; ``extensions``,
    ``routing`` and ``router``. Each call runs on the process's layer loop, so it
    is for sync code; ``async_layer`` is the channels 4 layer underneath.

    Called as an ASGI application (``daphne myproject.asgi:channel_layer``), it is
    what Daphne 1.x was: WebSockets become messages on this layer through
    `channels1.bridge.WebSocketBridge`, and so do HTTP requests when the routing
    routes ``http.request`` (`channels1.http_bridge`); otherwise HTTP goes to Django
    in Daphne (static files served too, when django.contrib.staticfiles is installed).
    """

    ChannelFull = ChannelFull
    MessageTooLarge = MessageTooLarge

    def __init__(self, async_layer, alias="default", routing=None):
        self.async_layer = async_layer
        self.alias = alias
        self.routing = routing
        self._application = None

    @functools.cached_property
    def router(self):
        """The Router of ``routing`` (an empty one without routing)."""
        from .routing import Router

        return Router(self.routing if self.routing is not None else [])

    @property
    def extensions(self):
        return list(getattr(self.async_layer, "extensions", []))

    # The sync ASGI 1.0 API

    def send(self, channel, message):
        """Send a message dict to a channel; ChannelFull at capacity."""
        _sync.call(lambda: self.async_layer.send(channel, message))

    def receive(self, channels, block=False):
        """``(channel, message)`` of the next message on any of ``channels``, or
        ``(None, None)``; ``block`` lets it wait a while (about a second)."""
        return _sync.call(lambda: self._receive(list(channels), block))

    receive_many = receive

    def new_channel(self, pattern):
        """A new single-reader channel name: ``pattern`` (ending in ``?``) plus random letters."""
        if not isinstance(pattern, str) or not pattern.endswith("?"):
            raise ValueError(f"new_channel() needs a pattern ending in '?', not {pattern!r}")
        return pattern + "".join(secrets.choice(RANDOM_LETTERS) for _ in range(12))

    def group_add(self, group, channel):
        _sync.call(lambda: self.async_layer.group_add(group, channel))

    def group_discard(self, group, channel):
        _sync.call(lambda: self.async_layer.group_discard(group, channel))

    def send_group(self, group, message):
        """Send to every member of a group; members over capacity are skipped."""
        _sync.call(lambda: self.async_layer.group_send(group, message))

    def flush(self):
        _sync.call(self.async_layer.flush)

    async def _receive(self, channels, block):
        layer = self.async_layer
        if hasattr(layer, "receive_batch"):
            normal = [channel for channel in channels if "!" not in channel]
            specific = [channel for channel in channels if "!" in channel]
        else:  # a plain channels 4 layer: one channel at a time
            normal, specific = [], channels
        if normal:
            deliveries = await layer.receive_batch(normal, 1, block=block and not specific)
            if deliveries:
                layer.ack(deliveries[0])
                return deliveries[0].channel, deliveries[0].message
        wait = getattr(layer, "block_timeout", 1.0) if block else SPECIFIC_WAIT
        # Each waits its share; a cancelled receive loses no message.
        for channel in specific:
            try:
                return channel, await asyncio.wait_for(layer.receive(channel), wait / len(specific))
            except TimeoutError:
                pass
        return None, None

    # The ASGI application

    async def __call__(self, scope, receive, send):
        if self._application is None:
            self._application = self._make_application()
        await self._application(scope, receive, send)

    def _make_application(self):
        from channels.routing import ProtocolTypeRouter

        from .bridge import WebSocketBridge
        from .http_bridge import http_application

        return ProtocolTypeRouter({"http": http_application(self.alias), "websocket": WebSocketBridge(self.alias)})

    def __repr__(self):
        return f"<ChannelLayer {self.alias!r} on {self.async_layer}>"
