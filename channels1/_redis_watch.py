"""Watching the channel layer's Redis from a long-running process: whether it answers,
and whether it came back without its data (a restart without persistence), told by
a marker key beside the layer's keys (a flush() leaves it) that the first process to
miss it sets anew; on several hosts, one marker on each."""

import asyncio
import logging
import uuid

from .exceptions import REDIS_UNREACHABLE
from .layer._tasks import end_if_cancelled
from .layer.hosts import each_server
from .redis_server import redact

logger = logging.getLogger("channels1.redis")

CHECK_INTERVAL = 1.0


class RedisWatch:
    """Checks the layer's Redis every ``CHECK_INTERVAL`` seconds on the running loop,
    and whenever ``epoch()`` is awaited. ``on_unreachable()`` is called once per
    outage, after ``grace`` seconds without an answer; ``on_data_lost(epoch)`` when
    Redis answers with its marker gone or changed (``epoch`` is the new marker).
    """

    def __init__(self, layer, on_unreachable, on_data_lost, grace):
        self._layer = layer
        self.url = ", ".join(redact(url) for url in layer.hosts)
        self.key = f"{layer.prefix}.epoch"
        self.on_unreachable = on_unreachable
        self.on_data_lost = on_data_lost
        self.grace = grace
        self.known = None
        self.down_since = None
        self.told = False
        self._clients = []
        self._task = None

    def start(self):
        if self._task is None:
            self._clients = [client for _, client in each_server(self._layer, socket_connect_timeout=2, socket_timeout=2)]
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def epoch(self):
        """The markers' value now (raises if a server does not answer); a change from
        the last one seen has called ``on_data_lost`` first."""
        try:
            epoch = b"|".join([await self._marker(client) for client in self._clients])
        except REDIS_UNREACHABLE as error:
            self._unreachable(asyncio.get_running_loop().time(), error)
            raise
        self._answered(epoch)
        return epoch

    async def _marker(self, client):
        marker = await client.get(self.key)
        if marker is None:
            await client.set(self.key, uuid.uuid4().hex, nx=True)
            marker = await client.get(self.key)
        return marker

    async def _run(self):
        while True:
            try:
                await self.epoch()
            except REDIS_UNREACHABLE:
                pass
            end_if_cancelled()
            await asyncio.sleep(CHECK_INTERVAL)

    def _unreachable(self, now, error):
        if self.down_since is None:
            self.down_since = now
            logger.warning("Redis at %s does not answer: %s", self.url, error)
        elif not self.told and now - self.down_since >= self.grace:
            self.told = True
            self.on_unreachable()

    def _answered(self, epoch):
        if self.down_since is not None:
            logger.info("Redis at %s answers again", self.url)
            self.down_since, self.told = None, False
        if self.known is not None and epoch != self.known:
            logger.warning("Redis at %s came back without its data (restarted without persistence)", self.url)
            self.known = epoch
            self.on_data_lost(epoch)
        self.known = epoch
