"""Process-specific channels (`name!local`): one reader per process takes every
envelope sent to this process's lists in one blocking call and hands each message
to the local waiters of its channel."""

import asyncio
import collections
import logging
import time

from ._codec import pack_envelope, unpack_envelope, unpack_message
from ._streams import fail_waiters

logger = logging.getLogger("channels1.layer")

KNOWN_CHANNELS = 100_000


class ProcessChannels:
    def __init__(self, layer, client):
        self._layer = layer
        self._client = client
        self._keys = []  # the lists of this process: usually one
        self._known = set()  # channels whose list is among them
        self._queues = {}
        self._waiters = collections.defaultdict(collections.deque)
        self._task = None
        self._stopping = False
        self._last_sweep = time.monotonic()

    async def receive(self, channel):
        """The next message of a process-specific channel, waiting if needed."""
        queue = self._queues.get(channel)
        while queue:
            sent_ms, body = queue.popleft()
            if not self._layer._expired(sent_ms):
                return unpack_message(body, self._layer.crypter)
        waiter = asyncio.get_running_loop().create_future()
        self._waiters[channel].append(waiter)
        try:
            if channel not in self._known:
                await self._listen(channel)
            if self._task is None:
                self._task = asyncio.get_running_loop().create_task(self._read())
            sent_ms, body = await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                # Handed over just as the receive failed or was cancelled: keep it first in line.
                self._queues.setdefault(channel, collections.deque()).appendleft(waiter.result())
            raise
        finally:
            waiters = self._waiters.get(channel)
            if waiters is not None:
                if waiter in waiters:
                    waiters.remove(waiter)
                if not waiters:
                    del self._waiters[channel]
        return unpack_message(body, self._layer.crypter)

    async def _listen(self, channel):
        """Make the reader cover the list of this channel's process."""
        key = self._layer._process_key(channel)
        if key not in self._keys:
            self._keys.append(key)
            if self._task is not None:
                # Wake the reader so its next blocking read covers the new key.
                await self._client.execute_command("RPUSH", self._keys[0], b"")
        if len(self._known) > KNOWN_CHANNELS:
            self._known.clear()
        self._known.add(channel)

    async def stop(self):
        """Stop by flag: the reader ends after its bounded blocking read returns.
        Messages read but never received go back to the front of their lists."""
        self._stopping = True
        if self._task is not None:
            await asyncio.shield(self._task)
        fail_waiters(self._waiters)
        unread = [(channel, queue) for channel, queue in self._queues.items() if queue]
        self._queues.clear()
        if not unread:
            return
        pipe = self._client.pipeline(transaction=False)
        for channel, queue in unread:
            envelopes = [pack_envelope(sent_ms, channel, body) for sent_ms, body in queue]
            pipe.lpush(self._layer._process_key(channel), *reversed(envelopes))
        try:
            await pipe.execute()
        except Exception as error:
            logger.error("Handing back %d unread process channel message(s) failed: %s", len(unread), error)

    async def _read(self):
        layer = self._layer
        while not self._stopping:
            try:
                reply = await self._client.execute_command(
                    "BLMPOP", layer.block_timeout, len(self._keys), *self._keys,
                    "LEFT", "COUNT", layer.receive_batch_size,
                )
            except Exception as error:
                logger.error("Reading process channels %s failed: %s", self._keys, error)
                await asyncio.sleep(layer.retry_delay)
                continue
            if reply:
                for data in reply[1]:
                    if data:
                        self._dispatch(*unpack_envelope(data))
                if len(self._keys) > 1:
                    # BLMPOP pops from the first non-empty list: take turns.
                    self._keys.append(self._keys.pop(0))
            self._sweep()

    def _dispatch(self, sent_ms, channels, body):
        layer = self._layer
        if layer._expired(sent_ms):
            logger.debug("Dropped an expired message for %s", channels)
            return
        for channel in channels:
            waiters = self._waiters.get(channel)
            while waiters:
                waiter = waiters.popleft()
                if not waiter.done():
                    waiter.set_result((sent_ms, body))
                    break
            else:
                queue = self._queues.setdefault(channel, collections.deque())
                queue.append((sent_ms, body))
                if len(queue) > layer.get_capacity(channel):
                    queue.popleft()
                    logger.warning("Channel %s is over capacity: dropped its oldest message", channel)

    def _sweep(self):
        """Forget queued messages nobody came for within the expiry."""
        now = time.monotonic()
        if now - self._last_sweep < self._layer.expiry:
            return
        self._last_sweep = now
        for channel, queue in list(self._queues.items()):
            while queue and self._layer._expired(queue[0][0]):
                queue.popleft()
            if not queue:
                del self._queues[channel]
