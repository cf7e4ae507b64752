"""Process-specific channels (`name!local`): one reader per process takes every
envelope sent to this process's lists in one blocking call and hands each message
to the local waiters of its channel. A layer running on several event loops (one
per async_to_sync call) has a reader on each; they hand messages to each other."""

import asyncio
import collections
import logging
import time
import uuid

from redis.exceptions import ResponseError

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
        # A list of this reader alone, read first: an entry in it ends the blocking read.
        self._wake_key = f"{layer.prefix}:wake:{uuid.uuid4().hex}"
        self._woken = False  # the wake list may exist
        self._connection = None  # the reader's own, see _pop()
        self._reply_due = False  # a blocking read was sent and its reply not yet read
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
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
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
                await self._wake()
        if len(self._known) > KNOWN_CHANNELS:
            self._known.clear()
        self._known.add(channel)

    def forget_unread(self):
        """The lists were deleted: messages read from them and not received go too."""
        with self._lock:
            self._queues.clear()

    async def stop(self):
        """Stop by flag, waking the reader from its blocking read. What that read took
        is handed over even when the reader was cancelled with its event loop, and
        messages read but never received go back to the front of their lists."""
        with self._lock:
            self._stopping = True  # no more hand-overs from other loops
        await asyncio.sleep(0)  # those already on their way arrive first
        if self._task is not None:
            if not self._task.done() or self._reply_due:
                try:
                    await self._wake()
                except Exception as error:  # the read ends with its timeout instead
                    logger.error("Waking the reader of process channels %s failed: %s", self._keys, error)
            # Not shield(): a reader cancelled with its event loop has ended, quietly.
            await asyncio.wait([self._task])
            await self._finish_read()
        with self._lock:
            fail_waiters(self._waiters)
            unread = [(channel, queue) for channel, queue in self._queues.items() if queue]
            self._queues.clear()
        if not unread and not self._woken:
            return
        pipe = self._client.pipeline(transaction=False)
        for channel, queue in unread:
            envelopes = [pack_envelope(sent_ms, channel, body) for sent_ms, body in queue]
            pipe.lpush(self._layer._process_key(channel), *reversed(envelopes))
        if self._woken:
            pipe.delete(self._wake_key)
        try:
            await pipe.execute()
        except Exception as error:
            if unread:
                logger.error("Handing back %d unread process channel message(s) failed: %s", len(unread), error)
            else:
                logger.warning("Removing the wake-up list %s failed: %s", self._wake_key, error)

    async def _wake(self):
        self._woken = True
        await self._client.execute_command("RPUSH", self._wake_key, b"")

    async def _finish_read(self):
        """Take the reply of a read that the reader's cancellation interrupted: Redis
        popped its entries all the same, and they exist nowhere else."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if self._reply_due:
                reply = await self._take_reply(connection)
                if reply:
                    self._dispatch_reply(reply)
        except Exception as error:
            logger.error("Reading process channels %s as the reader stopped failed: %s", self._keys, error)
        finally:
            await connection.disconnect()

    async def _read(self):
        layer = self._layer
        while not self._stopping:
            try:
                reply = await self._pop()
            except Exception as error:
                end_if_cancelled()
                if is_wrong_type(error):
                    await self._move_aside_non_lists()
                    continue
                logger.error("Reading process channels %s failed: %s", self._keys, error)
                await asyncio.sleep(layer.retry_delay)
                continue
            if reply:
                self._dispatch_reply(reply)
                if len(self._keys) > 1:
                    # BLMPOP pops from the first non-empty list: take turns.
                    self._keys.append(self._keys.pop(0))
            self._sweep()
            end_if_cancelled()

    async def _pop(self):
        """One bounded blocking read of the wake list and this process's lists, on the
        reader's own connection. Not through execute_command(), which drops the
        connection when the read is cancelled: the event loop's end cancels the reader,
        and what Redis popped for it would be lost. The reply is left for stop()."""
        if self._connection is None:
            self._connection = self._client.connection_pool.make_connection()
        keys = [self._wake_key, *self._keys]
        await self._connection.send_command(
            "BLMPOP", self._layer.block_timeout, len(keys), *keys, "LEFT", "COUNT", self._layer.receive_batch_size,
        )
        self._reply_due = True
        return await self._take_reply(self._connection)

    async def _take_reply(self, connection):
        try:
            reply = await connection.read_response(disconnect_on_error=False)
        except asyncio.CancelledError:
            raise  # the connection keeps the reply
        except ResponseError:
            self._reply_due = False
            raise
        except BaseException:
            self._reply_due = False
            await connection.disconnect()
            raise
        self._reply_due = False
        return reply

    def _dispatch_reply(self, reply):
        key, entries = reply
        for data in entries:
            if data:  # not a wake-up
                self._dispatch_entry(key.decode(), data)

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
        for channel in channels:
            layer.stats.count("received", channel)
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
        """On this loop: a message that another loop's reader read for a receive here.
        That receive may have ended meanwhile, and another begun on a third loop."""
        self._hand_over(channel, message)

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
