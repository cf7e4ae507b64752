"""The heartbeat of a long-running process (a worker, a Daphne): every
``CHANNELS1_HEARTBEAT_INTERVAL`` seconds it records the process in the channel
layer's Redis, with what it is doing, for `channels_status`, /healthz and /metrics."""

import asyncio
import logging

from django.conf import settings

from .layer._tasks import end_if_cancelled

logger = logging.getLogger("channels1.heartbeat")

DEFAULT_INTERVAL = 5
# A record outlives its process by this many intervals at most.
MISSED_BEATS = 3


def interval():
    return getattr(settings, "CHANNELS1_HEARTBEAT_INTERVAL", DEFAULT_INTERVAL)


class Heartbeat:
    """Calls ``layer.heartbeat(kind, describe(), ttl)`` on the running loop until
    ``stop()``, which removes the record. Layers without heartbeats (the in-memory
    one) are left alone."""

    def __init__(self, layer, kind, describe):
        self.layer = layer
        self.kind = kind
        self.describe = describe
        self.interval = interval()
        self._task = None

    def start(self):
        if self._task is None and hasattr(self.layer, "heartbeat"):
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self):
        failing = False
        while True:
            try:
                await self.layer.heartbeat(self.kind, self.describe(), self.interval * MISSED_BEATS)
                if failing:
                    logger.info("Heartbeat of this %s recorded again", self.kind)
                failing = False
            except Exception as error:
                end_if_cancelled()
                if not failing:  # once per outage
                    logger.warning("Recording the heartbeat of this %s failed: %s", self.kind, error)
                failing = True
            # stop() may have cancelled a beat that redis-py retried or turned into an error.
            end_if_cancelled()
            await asyncio.sleep(self.interval)

    async def stop(self):
        """Stop beating and remove the record (counts not yet stored go with it)."""
        if self._task is None:
            return
        self._task.cancel()
        await asyncio.wait([self._task])
        self._task = None
        try:
            await self.layer.heartbeat(self.kind, self.describe(), 1)
            await self.layer.leave(self.kind)
        except Exception as error:
            logger.warning("Removing the record of this %s failed: %s", self.kind, error)
