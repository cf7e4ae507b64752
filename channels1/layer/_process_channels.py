"""Process-specific channels (`name!local`): one reader per process takes every
envelope sent to this process's lists in one blocking call and hands each message
to the local waiters of its channel. A layer running on several event loops (one
per async_to_sync call) has a reader on each; they hand messages to each other."""

import asyncio
import collections
import logging
import time

from ._codec import pack_envelope, unpack_envelope, unpack_message
from ._dead_letters import is_wrong_type, move_aside, set_aside
from ._streams import fail_waiters
from ._tasks import end_if_cancelled

logger = logging.getLogger("channels1.layer")

KNOWN_CHANNELS = 100_000


class ProcessChannels:
    """The process-specific channels of one layer on one event loop. Its queues and
    waiters change only under the layer's hand-over lock, since the readers of the
    layer's other loops look into them from their threads."""

    def __init__(self, layer, client, batcher, loop):
        self._layer = layer
        self._client = client
        self._batcher = batcher
        self._loop = loop
        self._lock = layer._handover_lock
        self._keys = []  # the lists of this process: usually one
        self._known = set()  # channels whose list is among them
        self._queues = {}  # channel -> deque of (sent_ms, body) read for nobody yet
        self._waiters = collections.defaultdict(collections.deque)  # channel -> futures of receives
        self._task = None
        self._stopping = False
        self._last_sweep = time.monotonic()

    async def receive(self, channel):
        """The next message of a process-specific channel, waiting if needed; one
        that does not decode to a dict is set aside."""
        while True:
            body = await self._next_body(channel)
            try:
                message = unpack_message(body, self._layer.crypter)
            except Exception as error:
                problem = f"undecodable message for {channel}: {error!r}"
            else:
                if isinstance(message, dict):
                    return message
                problem = f"the message for {channel} is a {type(message).__name__}, not a dict"
            set_aside(self._layer, self._batcher, self._layer._process_key(channel), problem,
                      data=body, counted_as=channel)

    async def _next_body(self, channel):
        with self._lock:
            queued = self._take_queued(channel) or self._take_queued_elsewhere(channel)
            if queued is None:
                waiter = self._loop.create_future()
                self._waiters[channel].append(waiter)
        if queued is not None:
            return queued[1]
        try:
            if channel not in self._known:
                await self._listen(channel)
            if self._task is None:
                self._task = asyncio.get_running_loop().create_task(self._read())
            sent_ms, body = await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                # Handed over just as the receive failed or was cancelled: keep it first in line.
                with self._lock:
                    self._queues.setdefault(channel, collections.deque()).appendleft(waiter.result())
            raise
        finally:
            with self._lock:
                waiters = self._waiters.get(channel)
                if waiters is not None:
                    if waiter in waiters:
                        waiters.remove(waiter)
                    if not waiters:
                        del self._waiters[channel]
        return body

    def _take_queued(self, channel):
        queue = self._queues.get(channel)
        while queue:
            queued = queue.popleft()
            if not self._layer._expired(queued[0]):
                return queued
            self._layer.stats.count("expired", channel)
        return None

    def _take_queued_elsewhere(self, channel):
        """A message that the reader of another loop read for this channel while no
        receive was waiting for it anywhere."""
        if len(self._layer._runtimes) < 2:
            return None  # the usual case, checked without taking the layer's lock
        for other in self._layer._process_channels_of_loops():
            if other is not self:
                queued = other._take_queued(channel)
                if queued is not None:
                    return queued
        return None

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

    def forget_unread(self):
        """The lists were deleted: messages read from them and not received go too."""
        with self._lock:
            self._queues.clear()

    async def stop(self):
        """Stop by flag: the reader ends after its bounded blocking read returns.
        Messages read but never received go back to the front of their lists."""
        with self._lock:
            self._stopping = True  # no more hand-overs from other loops
        await asyncio.sleep(0)  # those already on their way arrive first
        if self._task is not None:
            # Not shield(): a reader cancelled with its event loop has ended, quietly.
            await asyncio.wait([self._task])
        with self._lock:
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
                end_if_cancelled()
                if is_wrong_type(error):
                    await self._move_aside_non_lists()
                    continue
                logger.error("Reading process channels %s failed: %s", self._keys, error)
                await asyncio.sleep(layer.retry_delay)
                continue
            if reply:
                for data in reply[1]:
                    if data:
                        self._dispatch_entry(reply[0].decode(), data)
                if len(self._keys) > 1:
                    # BLMPOP pops from the first non-empty list: take turns.
                    self._keys.append(self._keys.pop(0))
            self._sweep()
            end_if_cancelled()

    def _dispatch_entry(self, key, data):
        try:
            sent_ms, channels, body = unpack_envelope(data)
            if not isinstance(sent_ms, int) or not isinstance(body, bytes):
                raise ValueError("it is not (time sent, channels, message)")
        except Exception as error:
            set_aside(self._layer, self._batcher, key, f"malformed envelope: {error}", data=data)
            return
        self._dispatch(sent_ms, channels, body)

    async def _move_aside_non_lists(self):
        """One of this process's keys is not a list, which fails the read of them all."""
        pipe = self._client.pipeline(transaction=False)
        for key in self._keys:
            pipe.type(key)
        for key, kind in zip(list(self._keys), await pipe.execute()):
            if kind not in (b"list", b"none"):
                await move_aside(self._layer, self._client, key, f"not a list but a {kind.decode()}")

    def _dispatch(self, sent_ms, channels, body):
        layer = self._layer
        if layer._expired(sent_ms):
            for channel in channels:
                layer.stats.count("expired", channel)
            logger.info("Dropped an expired message for %s", channels)
            return
        layer.stats.count_each("received", channels)
        for channel in channels:
            self._hand_over(channel, (sent_ms, body))

    def _hand_over(self, channel, message):
        """To a receive waiting on this loop; else to one waiting on another loop of
        the layer, whose reader may be reading the same lists; else into the queue."""
        with self._lock:
            if self._give_to_waiter(channel, message):
                return
            for other in self._layer._process_channels_of_loops():
                if other is not self and not other._stopping and other._waiters.get(channel):
                    try:
                        other._loop.call_soon_threadsafe(other._deliver, channel, message)
                        return
                    except RuntimeError:  # its loop has just closed
                        continue
            self._enqueue(channel, message)

    def _deliver(self, channel, message):
        """On this loop: a message that another loop's reader read for a receive here."""
        with self._lock:
            if not self._give_to_waiter(channel, message):
                self._enqueue(channel, message)

    def _give_to_waiter(self, channel, message):
        waiters = self._waiters.get(channel)
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(message)
                return True
        return False

    def _enqueue(self, channel, message):
        queue = self._queues.setdefault(channel, collections.deque())
        queue.append(message)
        if len(queue) > self._layer.get_capacity(channel):
            queue.popleft()
            self._layer.stats.count("dropped", channel)
            logger.warning("Channel %s is over capacity: dropped its oldest message", channel)

    def _sweep(self):
        """Forget queued messages nobody came for within the expiry."""
        now = time.monotonic()
        if now - self._last_sweep < self._layer.expiry:
            return
        self._last_sweep = now
        with self._lock:
            for channel, queue in list(self._queues.items()):
                while queue and self._layer._expired(queue[0][0]):
                    queue.popleft()
                    self._layer.stats.count("expired", channel)
                if not queue:
                    del self._queues[channel]
