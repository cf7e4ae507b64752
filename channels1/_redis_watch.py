"""Watching the channel layer's Redis from a long-running process: whether it answers,
and whether it came back without its data (a restart without persistence), told by
a marker key beside the layer's keys (a flush() leaves it) that the first process to
miss it sets anew."""

import asyncio
import logging
import uuid

import redis.asyncio

from .exceptions import REDIS_UNREACHABLE
from .redis_server import redact

logger = logging.getLogger("channels1.redis")

CHECK_INTERVAL = 1.0


class RedisWatch:
    """Checks the layer's Redis every ``CHECK_INTERVAL`` seconds on the running loop.
    ``on_unreachable()`` is called once per outage, after ``grace`` seconds without
    an answer; ``on_data_lost()`` when Redis answers with its marker gone or changed.
    """

    def __init__(self, layer, on_unreachable, on_data_lost, grace):
        self.url = redact(layer.hosts[0])
        self._address = layer.hosts[0]
        self.key = f"{layer.prefix}.epoch"
        self.on_unreachable = on_unreachable
        self.on_data_lost = on_data_lost
        self.grace = grace
        self.epoch = None
        self.down_since = None
        self.told = False
        self._task = None

    def start(self):
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self):
        client = redis.asyncio.Redis.from_url(self._address, socket_connect_timeout=2, socket_timeout=2)
        loop = asyncio.get_running_loop()
        try:
            while True:
                try:
                    epoch = await self._epoch(client)
                except REDIS_UNREACHABLE as error:
                    self._unreachable(loop.time(), error)
                else:
                    self._answered(epoch)
                await asyncio.sleep(CHECK_INTERVAL)
        finally:
            await client.aclose()

    async def _epoch(self, client):
        epoch = await client.get(self.key)
        if epoch is None:
            await client.set(self.key, uuid.uuid4().hex, nx=True)
            epoch = await client.get(self.key)
        return epoch

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
        if self.epoch is not None and epoch != self.epoch:
            logger.warning("Redis at %s came back without its data (restarted without persistence)", self.url)
            self.epoch = epoch
            self.on_data_lost()
        self.epoch = epoch
