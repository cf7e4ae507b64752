"""Process-specific channels (`name!local`): one reader per process (and per host
holding its lists) takes every envelope sent to this process's lists in one blocking
call and hands each message to the local waiters of its channel. A layer running on
several event loops (one per async_to_sync call) has a reader on each; they hand
messages to each other."""

import asyncio
import collections
import functools
import logging
import time
import uuid

from redis.exceptions import ResponseError

from ._codec import pack_envelope, unpack_envelope, unpack_message, unpack_shared
from ._dead_letters import is_wrong_type, move_aside, set_aside
from ._shards import hash_tag
from ._streams import fail_waiters
from ._tasks import end_if_cancelled

logger = logging.getLogger("channels1.layer")

KNOWN_CHANNELS = 100_000
# Envelope ids a process remembers: those it read in the seconds before a failover
# are still among them when the promoted replica hands the same envelopes back.
ENVELOPES_REMEMBERED = 100_000


class ProcessChannels:
    """The process-specific channels of one layer on one event loop. Its queues and
    waiters change only under the layer's hand-over lock, since the readers of the
    layer's other loops look into them from their threads."""

    def __init__(self, layer, shards, loop):
        self._layer = layer
        self._shards = shards
        self._loop = loop
        self._lock = layer._handover_lock
        self._keys = {}  # host index (or slot) -> the lists of this process there: usually one list in all
        self._known = set()  # channels whose list is among them
        self._queues = {}  # channel -> deque of (sent_ms, body) read for nobody yet
        self._waiters = {}  # channel -> futures of receives, first in line first (a list: most hold one)
        self._readers = {}  # host index -> its _Reader
        self._stopping = False
        self._last_sweep = time.monotonic()
        self._flushed_ms = 0  # messages sent before it were flushed
        self._new_future = _future_maker(loop)

    async def receive(self, channel):
        """The next message of a process-specific channel, waiting if needed; one
        that does not decode to a dict is set aside."""
        while True:
            with self._lock:
                queued = self._take_queued(channel) if channel in self._queues else None
                if queued is None and len(self._layer._runtimes.data) > 1:
                    # The usual single loop is told without the weak mapping's len(),
                    # which counts in Python (its data may hold runtimes gone: then the
                    # other loops are looked at, as with several).
                    queued = self._take_queued_elsewhere(channel)
                if queued is None:
                    waiter = self._new_future()
                    waiters = self._waiters.get(channel)
                    if waiters is None:
                        self._waiters[channel] = [waiter]
                    else:
                        waiters.append(waiter)
            if queued is not None:
                body = queued[1]
            else:
                # Awaited here, not in a coroutine of its own: one frame less to wake
                # for each member of a group.
                try:
                    if channel not in self._known:
                        await self._listen(channel)
                    sent_ms, body = await waiter
                except BaseException:
                    self._forget_waiter(channel, waiter)
                    raise
                # _give_to_waiter() took the waiter from the waiters.
            try:
                message = body.message()
            except Exception as error:
                problem = f"undecodable message for {channel}: {error!r}"
            else:
                if isinstance(message, dict):
                    return message
                problem = f"the message for {channel} is a {type(message).__name__}, not a dict"
            set_aside(self._layer, self._shards, self._layer._process_key(channel), problem,
                      data=body.data, counted_as=channel)

    def _forget_waiter(self, channel, waiter):
        """The waiter of a receive that failed or was cancelled."""
        with self._lock:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                # Handed over just as the receive failed or was cancelled: keep it first in line.
                self._queues.setdefault(channel, collections.deque()).appendleft(waiter.result())
            waiters = self._waiters.get(channel)
            if waiters is not None:
                if waiter in waiters:
                    waiters.remove(waiter)
                if not waiters:
                    del self._waiters[channel]

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
        """Make the reader of its host cover the list of this channel's process."""
        key = self._layer._process_key(channel)
        index = self._shards.index(key)
        keys = self._keys.setdefault(index, [])
        if key not in keys:
            keys.append(key)
            if index in self._readers:
                # Wake the reader so its next blocking read covers the new key.
                await self._readers[index].wake()
            else:
                reader = self._readers[index] = _Reader(self._layer.prefix, self._shards.client(key), keys)
                reader.task = self._loop.create_task(self._read(reader))
        if len(self._known) > KNOWN_CHANNELS:
            self._known.clear()
        self._known.add(channel)

    def forget_unread(self, flushed_ms):
        """The lists were deleted: messages read from them and not received go too, and
        so do those sent before the flush that a read in flight brings in after it."""
        with self._lock:
            self._flushed_ms = flushed_ms
            self._queues.clear()

    async def stop(self):
        """Stop by flag, waking the readers from their blocking reads. What such a read
        took is handed over even when its reader was cancelled with its event loop,
        and messages read but never received go back to the front of their lists."""
        with self._lock:
            self._stopping = True  # no more hand-overs from other loops
        await asyncio.sleep(0)  # those already on their way arrive first
        readers = list(self._readers.values())
        for reader in readers:
            if not reader.task.done() or reader.reply_due:
                try:
                    await reader.wake()
                except Exception as error:  # the read ends with its timeout instead
                    logger.error("Waking the reader of process channels %s failed: %s", reader.keys, error)
        if readers:
            # Not shield(): a reader cancelled with its event loop has ended, quietly.
            await asyncio.wait([reader.task for reader in readers])
        for reader in readers:
            try:
                reply = await reader.finish()
            except Exception as error:
                logger.error("Reading process channels %s as the reader stopped failed: %s", reader.keys, error)
            else:
                if reply:
                    self._dispatch_reply(reply)
        with self._lock:
            fail_waiters(self._waiters)
            unread = [(channel, queue) for channel, queue in self._queues.items() if queue]
            self._queues.clear()
        woken = [reader for reader in readers if reader.woken]
        if not unread and not woken:
            return
        pipes = {}
        for channel, queue in unread:
            key = self._layer._process_key(channel)
            pipe = pipes.get(self._shards.index(key))
            if pipe is None:
                pipe = pipes[self._shards.index(key)] = self._shards.client(key).pipeline(transaction=False)
            envelopes = [pack_envelope(sent_ms, channel, body.data) for sent_ms, body in queue]
            pipe.lpush(key, *reversed(envelopes))
        for reader in woken:
            index = self._shards.index(reader.wake_key)
            if index not in pipes:
                pipes[index] = reader.client.pipeline(transaction=False)
            pipes[index].delete(reader.wake_key)
        results = await asyncio.gather(*(pipe.execute() for pipe in pipes.values()), return_exceptions=True)
        for error in results:
            if isinstance(error, Exception):
                if unread:
                    logger.error("Handing back %d unread process channel message(s) failed: %s", len(unread), error)
                else:
                    logger.warning("Removing the wake-up lists of process channels failed: %s", error)

    async def _read(self, reader):
        layer = self._layer
        keys = reader.keys
        while not self._stopping:
            try:
                reply = await reader.pop(layer.block_timeout, layer.receive_batch_size)
            except Exception as error:
                end_if_cancelled()
                if is_wrong_type(error):
                    await self._move_aside_non_lists(keys)
                    continue
                logger.error("Reading process channels %s failed: %s", keys, error)
                await asyncio.sleep(layer.retry_delay)
                continue
            if reply:
                self._dispatch_reply(reply)
                if len(keys) > 1:
                    # BLMPOP pops from the first non-empty list: take turns.
                    keys.append(keys.pop(0))
            self._sweep()
            end_if_cancelled()

    def _dispatch_reply(self, reply):
        key, entries = reply
        for data in entries:
            if data:  # not a wake-up
                self._dispatch_entry(key.decode() if isinstance(key, bytes) else key, data)

    def _dispatch_entry(self, key, data):
        try:
            sent_ms, channels, body, envelope_id = unpack_envelope(data)
            if not isinstance(sent_ms, int) or not isinstance(body, bytes):
                raise ValueError("it is not (time sent, channels, message)")
        except Exception as error:
            set_aside(self._layer, self._shards, key, f"malformed envelope: {error}", data=data)
            return
        if envelope_id is not None:
            with self._lock:
                repeated = not self._layer._envelopes_read.first_time(envelope_id)
            if repeated:
                self._layer.stats.count_each("repeated", channels)
                logger.info("Dropped a message for %s read before: its envelope was written again or came back "
                            "with a promoted replica", channels)
                return
        self._dispatch(sent_ms, channels, body)

    async def _move_aside_non_lists(self, keys):
        """One of a reader's keys is not a list, which fails the read of them all."""
        keys = list(keys)
        for key, kind in zip(keys, await self._shards.execute([("TYPE", key) for key in keys])):
            if kind not in (b"list", b"none"):
                await move_aside(self._layer, self._shards, key, f"not a list but a {kind.decode()}")

    def _dispatch(self, sent_ms, channels, body):
        layer = self._layer
        if sent_ms < self._flushed_ms:
            return
        if layer._expired(sent_ms):
            for channel in channels:
                layer.stats.count("expired", channel)
            logger.info("Dropped an expired message for %s", channels)
            return
        layer.stats.count_each("received", channels)
        message = (sent_ms, Body(body, len(channels), layer.crypter))
        with self._lock:  # once for a whole group's receives waiting here, the usual case
            unwaited = [channel for channel in channels if not self._give_to_waiter(channel, message)]
        for channel in unwaited:
            self._hand_over(channel, message)

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
        if waiters is None:
            return False
        if len(waiters) == 1 and not waiters[0].done():  # the usual case: a group's members are many
            del self._waiters[channel]
            waiters[0].set_result(message)
            return True
        given = False
        while waiters and not given:
            waiter = waiters.pop(0)
            if not waiter.done():
                waiter.set_result(message)
                given = True
        if not waiters:
            del self._waiters[channel]
        return given

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


class RecentIds:
    """The last ``size`` envelope ids a process read, oldest forgotten first; used
    under the layer's hand-over lock."""

    def __init__(self, size=ENVELOPES_REMEMBERED):
        self._size = size
        self._ids = set()
        self._order = collections.deque()

    def first_time(self, envelope_id):
        """Whether ``envelope_id`` was not read before; it is remembered from now."""
        if envelope_id in self._ids:
            return False
        self._ids.add(envelope_id)
        self._order.append(envelope_id)
        if len(self._order) > self._size:
            self._ids.discard(self._order.popleft())
        return True


class Body:
    """A message body read for one or more channels of this process. For a group's
    members it is unpacked once, as it is read, and each receive gets a dict of its
    own from ``message()``; a body that does not unpack raises there, for each."""

    __slots__ = ("data", "message")

    def __init__(self, data, readers, crypter=None):
        self.data = data
        # A callable made once: the receives of a group's members call no Python code.
        if readers > 1:
            try:
                self.message = unpack_shared(data, crypter)
                return
            except Exception:
                pass
        self.message = functools.partial(unpack_message, data, crypter)


def _future_maker(loop):
    """``loop.create_future``, or for asyncio's own loops the same made without a
    Python call."""
    if type(loop).create_future is asyncio.BaseEventLoop.create_future:
        return functools.partial(asyncio.Future, loop=loop)
    return loop.create_future


class _Reader:
    """The blocking read of one host's (or slot's) lists of this process, with a
    wake-up list of its own read first: an entry in it ends the blocking read, and
    no other reader can take it."""

    def __init__(self, prefix, client, keys):
        self.client = client
        self.keys = keys  # shared with ProcessChannels, which adds to it
        # Tagged like the lists, so that one command may read them all on a cluster too.
        self.wake_key = f"{prefix}:wake:{uuid.uuid4().hex}:{{{hash_tag(keys[0])}}}"
        self.woken = False  # the wake list may exist
        self.task = None
        self.reply_due = False  # a blocking read was sent and its reply not yet read
        self._connection = None
        self._cluster = not hasattr(client, "connection_pool")

    async def wake(self):
        self.woken = True
        await self.client.execute_command("RPUSH", self.wake_key, b"")

    async def pop(self, timeout, count):
        """One bounded blocking read of the wake list and the lists, on a connection of
        the reader's own, not through execute_command(), which drops the connection
        when the read is cancelled: the event loop's end cancels the reader, and what
        Redis popped for it would be lost. The reply is then left for finish()."""
        keys = [self.wake_key, *self.keys]
        if self._connection is None:
            self._connection = self._new_connection()
        try:
            # Connected here, not by send_command(): a Sentinel's connection finds its
            # primary only in connect().
            await self._connection.connect()
            await self._connection.send_command("BLMPOP", timeout, len(keys), *keys, "LEFT", "COUNT", count)
        except BaseException:
            await self._drop()
            raise
        self.reply_due = True
        return await self._take_reply()

    def _new_connection(self):
        if not self._cluster:
            return self.client.connection_pool.make_connection()
        node = self.client.get_node_from_key(self.keys[0])  # the primary of the lists' slot
        return node.connection_class(**node.connection_kwargs)

    async def _take_reply(self):
        try:
            reply = await self._connection.read_response(disconnect_on_error=False)
        except asyncio.CancelledError:
            raise  # the connection keeps the reply
        except ResponseError:
            self.reply_due = False
            if self._cluster:  # MOVED, ASK or a failover: find the slot's primary again
                await self._drop()
            raise
        except BaseException:
            self.reply_due = False
            await self._drop()
            raise
        self.reply_due = False
        return reply

    async def _drop(self):
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.disconnect()
        if self._cluster:
            try:
                await self.client.nodes_manager.initialize()
            except Exception as error:  # the next read tries again
                logger.warning("Reading the cluster's slots failed: %s", error)

    async def finish(self):
        """The reply of a read that the reader's cancellation interrupted (Redis popped
        its entries all the same, and they exist nowhere else), or None; then the
        connection closes."""
        connection = self._connection
        if connection is None:
            return None
        try:
            return await self._take_reply() if self.reply_due else None
        finally:
            self._connection = None
            await connection.disconnect()
