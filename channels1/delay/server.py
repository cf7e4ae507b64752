"""`DelayServer`: takes requests from ``asgi.delay`` into the layer's sorted sets of
delayed messages and moves them onto their channels when due. Several servers
can run on one layer: each request is scheduled once and each message moved once."""

import asyncio
import logging

from channels.exceptions import MessageTooLarge

from ..layer.delayed import move_due, schedule

logger = logging.getLogger("channels1.delay")

DELAY_CHANNEL = "asgi.delay"
MOVE_LIMIT = 100


class DelayServer:
    """Serves delayed messages on ``layer`` (a `channels1.layer.RedisChannelLayer`)
    until ``stop()``. Due messages are moved as soon as they are due; the sorted
    set is also looked at every ``sleep`` seconds, for messages other servers took."""

    def __init__(self, layer, sleep=1.0):
        self.layer = layer
        self.sleep = sleep
        self.stopping = False
        self._wakeup = asyncio.Event()

    def stop(self):
        self.stopping = True
        self._wakeup.set()

    async def run(self):
        logger.info("Listening on %s (delayed messages)", DELAY_CHANNEL)
        tasks = [asyncio.ensure_future(self._take_requests()), asyncio.ensure_future(self._move_due())]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks)
            await self.layer.close()

    async def _take_requests(self):
        while not self.stopping:
            try:
                deliveries = await self.layer.receive_batch([DELAY_CHANNEL], MOVE_LIMIT)
            except Exception as error:
                logger.error("Receiving from %s failed: %s", DELAY_CHANNEL, error)
                await asyncio.sleep(1)
                continue
            for delivery in deliveries:
                await self._schedule(delivery)
            if deliveries:
                self._wakeup.set()

    async def _schedule(self, delivery):
        """Schedule one request, due ``delay`` ms after it was sent; a malformed one
        is logged and dropped, one that could not be stored is left for redelivery."""
        try:
            channel, content, delay = parse_request(delivery.message)
            await schedule(self.layer, channel, content, delivery.sent_ms + delay, delivery.id.decode())
        except (ValueError, TypeError, MessageTooLarge) as problem:
            logger.error("Dropped a malformed message on %s: %s", DELAY_CHANNEL, problem)
        except Exception as error:
            logger.error("Could not schedule a message on %s for %r: %s", DELAY_CHANNEL,
                         delivery.message.get("channel"), error)
            self.layer.abandon(delivery)
            return
        self.layer.ack(delivery)

    async def _move_due(self):
        while not self.stopping:
            # Cleared before looking, so a request scheduled meanwhile wakes the next wait.
            self._wakeup.clear()
            try:
                sent, full, wait = await move_due(self.layer, MOVE_LIMIT)
            except Exception as error:
                logger.error("Moving due delayed messages failed: %s", error)
                await asyncio.sleep(1)
                continue
            if full:
                logger.warning("%d due message(s) found their channel full; trying again in a second", full)
            if sent + full >= MOVE_LIMIT:
                continue
            wait = self.sleep if wait is None else min(self.sleep, wait)
            if wait > 0:
                try:
                    await asyncio.wait_for(self._wakeup.wait(), wait)
                except TimeoutError:
                    pass


def parse_request(message):
    """``(channel, content, delay_ms)`` of an ``asgi.delay`` message, or ValueError."""
    if not isinstance(message, dict):
        raise ValueError(f"a message must be a dict, not {type(message).__name__}")
    missing = [key for key in ("channel", "content", "delay") if key not in message]
    if missing:
        raise ValueError(f"missing key(s) {', '.join(missing)} in {sorted(message)}")
    channel, content, delay = message["channel"], message["content"], message["delay"]
    if not isinstance(channel, str):
        raise ValueError(f"channel must be a str, not {type(channel).__name__}")
    if not isinstance(content, dict):
        raise ValueError(f"content for {channel!r} must be a dict, not {type(content).__name__}")
    if isinstance(delay, bool) or not isinstance(delay, int) or delay < 0:
        raise ValueError(f"delay for {channel!r} must be a whole number of milliseconds >= 0, not {delay!r}")
    return channel, content, delay
