"""Watching the channel layer's Redis from a long-running process: whether it answers,
and whether it came back without its data (a restart without persistence), told by
a marker key beside the layer's keys (a flush() leaves it) that the first process to
miss it sets anew; on several hosts, one marker on each; on a cluster, one on each
primary, in the first slot it serves, so a primary or a promoted replica that came
back without its data is told by name."""

import asyncio
import logging
import uuid

import redis.asyncio.cluster
from redis.exceptions import ClusterDownError, ConnectionError, SlotNotCoveredError

from .exceptions import REDIS_UNREACHABLE
from .layer._tasks import end_if_cancelled
from .layer._doorbells import first_slots, tag_in_slot
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
        self.lost = []  # where the markers went missing at the last loss: host URLs, or primaries
        self._markers_seen = {}
        self.down_since = None
        self.told = False
        self._servers = []
        self._task = None

    def start(self):
        if self._task is None:
            self._servers = each_server(self._layer, socket_connect_timeout=2, socket_timeout=2)
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def epoch(self):
        """The markers' value now (raises if a server does not answer); a change from
        the last one seen has called ``on_data_lost`` first."""
        try:
            markers = [marker for label, client in self._servers for marker in await self._markers(label, client)]
        except (ClusterDownError, SlotNotCoveredError) as error:
            # A cluster between a primary's loss and its replica's promotion.
            unanswered = ConnectionError(f"the cluster is not serving every slot: {error}")
            self._unreachable(asyncio.get_running_loop().time(), unanswered)
            raise unanswered from error
        except REDIS_UNREACHABLE as error:
            self._unreachable(asyncio.get_running_loop().time(), error)
            raise
        epoch = b"|".join(marker for _, _, marker in markers)
        self._answered(epoch, markers)
        return epoch

    async def _markers(self, label, client):
        """``(place, where, marker)`` of each marker on a server: on a cluster, a marker
        per primary its client knows now (after a failover, the promoted replica), whose
        place is the slot it is kept in."""
        if not isinstance(client, redis.asyncio.cluster.RedisCluster):
            return [(label, label, await self._marker(client, self.key))]
        await client.initialize()
        return [
            (slot, f"redis://{node}", await self._marker(client, f"{self.key}{{{tag_in_slot(slot)}}}"))
            for node, slot in first_slots(client.nodes_manager.slots_cache).items()
        ]

    async def _marker(self, client, key):
        marker = await client.get(key)
        if marker is None:
            await client.set(key, uuid.uuid4().hex, nx=True)
            marker = await client.get(key)
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

    def _answered(self, epoch, markers):
        if self.down_since is not None:
            logger.info("Redis at %s answers again", self.url)
            self.down_since, self.told = None, False
        lost = [where for place, where, marker in markers if self._markers_seen.get(place, marker) != marker]
        self._markers_seen = {place: marker for place, _, marker in markers}
        if self.known is not None and epoch != self.known and lost:
            for where in lost:
                logger.warning("Redis at %s came back without its data (restarted without persistence)", where)
            self.lost = lost
            self.known = epoch
            self.on_data_lost(epoch)
        self.known = epoch
