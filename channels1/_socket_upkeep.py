"""What the bridge does for its open sockets on a timer: it renews their group
memberships well before the layer's group expiry (a quarter of it), and, when the
routing has a consumer for ``websocket.keepalive``, sends one per socket every
``CHANNELS1_WEBSOCKET_KEEPALIVE_INTERVAL`` seconds (default: a quarter of the expiry)."""

import asyncio
import logging

from channels.exceptions import ChannelFull
from django.conf import settings

from .asgi import routing_for
from .routing import Router

logger = logging.getLogger("channels1.bridge")

KEEPALIVE = "websocket.keepalive"


def keepalive_routed(alias):
    try:
        return KEEPALIVE in Router(routing_for(alias)).channels
    except Exception:
        return False  # no 1.x routing: nothing consumes keepalives


class SocketUpkeep:
    """Runs on the bridge's event loop; ``sockets()`` gives the open sockets."""

    def __init__(self, layer, alias, sockets):
        self.layer = layer
        self.sockets = sockets
        expiry = getattr(layer, "group_expiry", 86400)
        self.refresh_interval = expiry / 4 if hasattr(layer, "refresh_memberships") else None
        self.keepalive_interval = None
        if keepalive_routed(alias):
            self.keepalive_interval = getattr(settings, "CHANNELS1_WEBSOCKET_KEEPALIVE_INTERVAL", expiry / 4)
        self._tasks = []

    def start(self):
        loop = asyncio.get_running_loop()
        if self.refresh_interval:
            self._tasks.append(loop.create_task(self._every(self.refresh_interval, self.refresh)))
        if self.keepalive_interval:
            self._tasks.append(loop.create_task(self._every(self.keepalive_interval, self.keepalive)))

    async def _every(self, interval, job):
        while True:
            await asyncio.sleep(interval)
            try:
                await job()
            except Exception as error:
                logger.warning("%s of the open sockets failed: %s; trying again in %s s",
                               job.__name__.capitalize(), error, interval)

    async def refresh(self):
        channels = [socket.reply_channel for socket in self.sockets()]
        if channels:
            renewed = await self.layer.refresh_memberships(channels)
            logger.debug("Renewed %d group membership(s) of %d open socket(s)", renewed, len(channels))

    async def keepalive(self):
        full = 0
        for socket in self.sockets():
            try:
                await self.layer.send(KEEPALIVE, {"reply_channel": socket.reply_channel, "path": socket.path})
            except ChannelFull:
                full += 1
        if full:
            logger.warning("Channel %s is full: %d socket(s) got no keepalive this time", KEEPALIVE, full)
