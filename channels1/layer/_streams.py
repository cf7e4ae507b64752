"""Normal channels: one Redis stream each, read through one consumer group, so that
each message goes to one receiver and stays pending until that receiver acknowledges
it. Messages of a receiver that went silent are taken over by another."""

import asyncio
import collections
import dataclasses
import functools
import logging
import time

from redis.exceptions import NoScriptError, ResponseError

from ._batcher import GROUP, _log_failure
from ._codec import unpack_message
from ._dead_letters import is_wrong_type, move_aside, set_aside
from ._node_takes import stop_doorbell_waits, take_by_node
from ._read_ahead import ReadAhead
from ._scripts import EXTEND, FORGET_CONSUMER, FORGET_IDLE_CONSUMERS, READ_AFTER_ACKS, RECLAIM
from ._tasks import end_if_cancelled

logger = logging.getLogger("channels1.layer")

# Turns of the event loop an acknowledgement of receive() waits for the next read of its
# channel to carry it, before it is written on its own.
ACK_WAIT_TURNS = 3


@dataclasses.dataclass(eq=False)
class Delivery:
    """A message taken from a normal channel, pending until acknowledged."""

    channel: str
    message: dict
    key: str
    id: bytes
    deliveries: int = 1

    @property
    def sent_ms(self):
        return int(self.id.split(b"-", 1)[0])

    @property
    def message_id(self):
        """The same on every delivery of this message: ``<channel>:<entry id>``."""
        return f"{self.channel}:{self.id.decode()}"


class Streams:
    def __init__(self, layer, shards, consumer):
        self._layer = layer
        self._shards = shards
        self._consumer = consumer
        self._groups = set()
        self._held = {}  # stream key -> {id: Delivery} taken and not yet acknowledged
        self._buffered = collections.defaultdict(collections.deque)
        self._waiters = collections.defaultdict(collections.deque)
        self._fetchers = {}
        self._blocking_reads = {}  # stream keys of one host -> its blocking take in flight
        self._last_reclaim = 0.0
        self._started = time.monotonic()
        self._last_forget = {}  # host index (or slot) -> when its idle consumers were last removed
        self._keeper = None
        self._stopping = False
        self._taken_queries = {}  # stream key -> future of its group's last delivered id
        self._acks_due = {}  # stream key -> ids that receive() returned, written with the next read
        self._taking = set()  # channels whose fetcher is in a take
        self._read_ahead = ReadAhead(self, layer.receive_prefetch, layer.at_least_once)

    # Receiving for workers: many channels, a batch at a time

    async def take(self, channels, max_messages, block):
        """Up to max_messages deliveries from any of the channels: what this process
        already holds first, then messages whose receiver went silent, then new ones
        in one read over all channels of each host (blocking, bounded, if block and
        none yet)."""
        taken = self._take_buffered(channels, max_messages)
        if taken:
            return taken
        keys = [self._layer._stream_key(channel) for channel in channels]
        by_shard = self._shards.split(keys)
        if len(by_shard) == 1:
            taken = await self._take_from(channels, keys, max_messages, block, self._reclaim_due())
        elif self._shards.doorbells is not None:
            taken = await take_by_node(self, dict(zip(keys, channels)), by_shard, max_messages, block)
        else:
            taken = await self._take_from_shards(dict(zip(keys, channels)), by_shard, max_messages, block)
        # A fair share per channel can come to a few more than asked for: keep those.
        for delivery in taken[max_messages:]:
            self._buffered[delivery.channel].append(delivery)
        return taken[:max_messages]

    async def _take_from_shards(self, channel_of, by_shard, max_messages, block):
        """Channels on several hosts: a non-blocking take on each at once; if none
        has anything, a blocking read on each, and the first to answer answers. The
        others are never cancelled: they keep what they read for the next take."""
        share = -(-max_messages // len(by_shard))
        results = await self._take_each(channel_of, list(by_shard.values()), share, self._reclaim_due())
        taken = [delivery for result in results for delivery in result]
        busy = [keys for keys, result in zip(by_shard.values(), results) if len(result) >= share]
        if busy and len(taken) < max_messages:
            # Quiet hosts left part of the batch unused: busy ones fill it.
            more = await self._take_each(channel_of, busy, -(-(max_messages - len(taken)) // len(busy)), False)
            taken += [delivery for result in more for delivery in result]
        if taken or not block or self._stopping:
            return taken
        reads = []
        for keys in by_shard.values():
            read = self._blocking_reads.get(tuple(keys))
            if read is None:
                read = asyncio.ensure_future(
                    self._take_from([channel_of[key] for key in keys], keys, max_messages, True, False)
                )
                read.add_done_callback(functools.partial(self._blocking_read_done, tuple(keys)))
                self._blocking_reads[tuple(keys)] = read
            reads.append(read)
        done, _ = await asyncio.wait(reads, return_when=asyncio.FIRST_COMPLETED)
        for read in done:
            if not read.cancelled() and read.exception() is not None:
                raise read.exception()
        return self._take_buffered(list(channel_of.values()), max_messages)

    async def _take_each(self, channel_of, key_groups, count, reclaim):
        """A non-blocking take of ``count`` from each group of keys at once; if any
        fails, what the others took goes back and the failure is raised."""
        results = await asyncio.gather(*(
            self._take_from([channel_of[key] for key in keys], keys, count, False, reclaim) for keys in key_groups
        ), return_exceptions=True)
        failed = [result for result in results if isinstance(result, BaseException)]
        if failed:
            self._hand_back([delivery for result in results if not isinstance(result, BaseException) for delivery in result])
            raise failed[0]
        return results

    def _blocking_read_done(self, keys, read):
        del self._blocking_reads[keys]
        if not read.cancelled() and read.exception() is None:
            for delivery in read.result():
                self._buffered[delivery.channel].append(delivery)

    async def _take_from(self, channels, keys, max_messages, block, reclaim):
        """A take from channels whose streams are all on one host."""
        present = await self._ensure_groups(keys, create=block)
        if len(present) < len(keys):
            channels = [channel for channel, key in zip(channels, keys) if key in present]
            keys = [key for key in keys if key in present]
            if not keys:
                return []
        taken = []
        try:
            if reclaim:
                taken = await self._reclaim(channels, keys, max_messages)
                await self._forget_idle_consumers(channels, keys)
            if len(taken) < max_messages:
                blocking = block and not taken and not self._stopping
                wanted = max_messages - len(taken)
                fresh = await self._read(channels, keys, wanted, blocking)
                taken += fresh
                share = -(-wanted // len(keys))
                # A share of one says nothing about what is left: no second read then.
                busy = [c for c in channels if sum(d.channel == c for d in fresh) == share] if share > 1 else []
                if busy and len(taken) < max_messages:
                    # Quiet channels left part of the batch unused: busy ones fill it.
                    busy_keys = [self._layer._stream_key(c) for c in busy]
                    taken += await self._read(busy, busy_keys, max_messages - len(taken), False)
        except ResponseError as error:
            if is_wrong_type(error):
                self._hand_back(taken)
                await self._move_aside_non_streams(keys)
                return []
            if "NOGROUP" not in str(error):
                self._hand_back(taken)
                raise
            # The streams were flushed or deleted under us: make the groups again.
            self._groups.difference_update(keys)
            return taken
        except BaseException:
            # What was read before the failure goes back at once, not held forever.
            self._hand_back(taken)
            raise
        return taken

    def abandon(self, delivery):
        self._held.get(delivery.key, {}).pop(delivery.id, None)

    def _hand_back(self, deliveries):
        """Make deliveries this process will not run available to other receivers
        now, in their place in the channel, without counting as a delivery."""
        if not self._layer.at_least_once:
            return
        idle = int(self._layer.visibility_timeout * 1000)
        for delivery in deliveries:
            self._held.get(delivery.key, {}).pop(delivery.id, None)
            # Counted where it is taken again instead.
            self._layer.stats.count("received", delivery.channel, -1)
            if delivery.deliveries > 1:
                self._layer.stats.count("redelivered", delivery.channel, -1)
            self._shards.batcher(delivery.key).command(
                "XCLAIM", delivery.key, GROUP, self._consumer, 0, delivery.id,
                "IDLE", idle, "RETRYCOUNT", delivery.deliveries - 1, "JUSTID",
            ).add_done_callback(_log_failure)

    def ack(self, delivery):
        """Acknowledge a delivery: its message is done and deleted."""
        held = self._held.get(delivery.key)
        if held is not None:
            held.pop(delivery.id, None)
        self._shards.batcher(delivery.key).ack(delivery.key, GROUP, delivery.id)

    async def untaken(self, channel, positions):
        """The positions (entry ids) beyond the last one the group has delivered."""
        key = self._layer._stream_key(channel)
        query = self._taken_queries.get(key)
        if query is None:
            query = self._taken_queries[key] = self._shards.batcher(key).command("XINFO", "GROUPS", key)
            query.add_done_callback(lambda _: self._taken_queries.pop(key, None))
        try:
            groups = await asyncio.shield(query)
        except ResponseError as error:
            if "no such key" in str(error).lower():
                return []  # the stream went away, and the messages with it
            raise
        taken = (0, 0)
        for fields in groups:
            info = fields if isinstance(fields, dict) else dict(zip(fields[::2], fields[1::2]))
            if info.get(b"name") == GROUP.encode():
                taken = _entry_id(info[b"last-delivered-id"])
        return [position for position in positions if _entry_id(position) > taken]

    # Receiving one channel at a time (the channels 4 interface)

    async def receive(self, channel):
        buffered = self._buffered.get(channel)
        if buffered:
            delivery = buffered.popleft()
            self._ack_received(delivery)
            return delivery.message
        waiter = asyncio.get_running_loop().create_future()
        self._waiters[channel].append(waiter)
        fetcher = self._fetchers.get(channel)
        if fetcher is None or fetcher.done():
            self._fetchers[channel] = asyncio.get_running_loop().create_task(self._fetch(channel))
        try:
            delivery = await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._buffered[channel].appendleft(waiter.result())
            raise
        finally:
            waiters = self._waiters[channel]
            if waiter in waiters:
                waiters.remove(waiter)
        self._ack_received(delivery)
        return delivery.message

    async def _fetch(self, channel):
        """Reads for the waiters of one channel while there are any; a read in flight
        is never cancelled, and what comes back for nobody is kept for the next."""
        waiters = self._waiters[channel]
        try:
            while waiters and not self._stopping:
                self._taking.add(channel)
                try:
                    deliveries = await self.take([channel], self._read_ahead.count(len(waiters)), block=True)
                except Exception as error:
                    end_if_cancelled()
                    logger.error("Receiving from channel %s failed: %s", channel, error)
                    await asyncio.sleep(self._layer.retry_delay)
                    continue
                finally:
                    self._taking.discard(channel)
                for delivery in deliveries:
                    while waiters and waiters[0].done():
                        waiters.popleft()
                    if waiters:
                        waiters.popleft().set_result(delivery)
                    else:
                        self._read_ahead.keep(channel, delivery)
                end_if_cancelled()
        finally:
            self._write_acks_due(self._layer._stream_key(channel))

    def _ack_received(self, delivery):
        """Acknowledge a message that receive() returns. The acknowledgement rides with
        the next read of its channel when one begins within a few event loop turns (one
        round trip for both); else it is written on its own."""
        held = self._held.get(delivery.key)
        if held is not None:
            held.pop(delivery.id, None)
        due = self._acks_due.setdefault(delivery.key, [])
        due.append(delivery.id)
        if len(due) == 1:
            asyncio.get_running_loop().call_soon(self._ack_unless_read_soon, delivery.channel, delivery.key, ACK_WAIT_TURNS)

    def _ack_unless_read_soon(self, channel, key, turns):
        fetcher = self._fetchers.get(channel)
        if fetcher is None or fetcher.done():
            # The next receive() may come a few turns later (wait_for() and channels'
            # dispatch receive in tasks of their own): wait that long for its read.
            if turns:
                asyncio.get_running_loop().call_soon(self._ack_unless_read_soon, channel, key, turns - 1)
            else:
                self._write_acks_due(key)
        elif channel in self._taking:
            self._write_acks_due(key)
        # Else the fetcher has not begun its next take: its read carries them, or its end writes them.

    def _write_acks_due(self, key):
        batcher = self._shards.batcher(key)
        for id in self._acks_due.pop(key, ()):
            batcher.ack(key, GROUP, id)

    # Internals

    def _take_buffered(self, channels, max_messages):
        taken = []
        for channel in channels:
            buffered = self._buffered.get(channel)
            while buffered and len(taken) < max_messages:
                taken.append(buffered.popleft())
        return taken

    async def _ensure_groups(self, keys, create=True):
        """Make the consumer group of each stream; the keys that have one. Without
        ``create``, streams that do not exist are left alone: nothing to take."""
        missing = [key for key in keys if key not in self._groups]
        if not missing:
            return keys
        pipe = self._shards.client(missing[0]).pipeline(transaction=False)
        for key in missing:
            # Id 0: a group made after the first sends still delivers them.
            if create:
                pipe.execute_command("XGROUP", "CREATE", key, GROUP, "0", "MKSTREAM")
            else:
                pipe.execute_command("XGROUP", "CREATE", key, GROUP, "0")
        absent = set()
        for key, reply in zip(missing, await pipe.execute(raise_on_error=False)):
            if isinstance(reply, Exception) and is_wrong_type(reply):
                await move_aside(self._layer, self._shards, key, "not a stream")
                absent.add(key)  # made anew by the next take
                continue
            if isinstance(reply, Exception) and "BUSYGROUP" not in str(reply):
                if not create and "MKSTREAM" in str(reply):
                    absent.add(key)
                    continue
                raise reply
            self._groups.add(key)
        return [key for key in keys if key not in absent]

    async def _move_aside_non_streams(self, keys):
        """One of the keys read is not a stream, which fails the read of them all."""
        for key, kind in zip(keys, await self._shards.execute([("TYPE", key) for key in keys])):
            if kind not in (b"stream", b"none"):
                self._groups.discard(key)
                await move_aside(self._layer, self._shards, key, f"not a stream but a {kind.decode()}")

    def _reclaim_due(self):
        if not self._layer.at_least_once:
            return False
        now = time.monotonic()
        if now - self._last_reclaim < self._layer.reclaim_interval:
            return False
        self._last_reclaim = now
        return True

    async def _forget_idle_consumers(self, channels, keys):
        """Every few visibility timeouts: remove the names of consumers that hold
        nothing and stopped reading, as crashed processes leave them."""
        idle = self._layer.visibility_timeout * 3
        unit = self._shards.index(keys[0])
        if time.monotonic() - self._last_forget.get(unit, self._started) < idle:
            return
        self._last_forget[unit] = time.monotonic()
        forgotten = await FORGET_IDLE_CONSUMERS(self._shards.client(keys[0]), keys, [GROUP, int(idle * 1000)])
        for index, name in zip(*[iter(forgotten)] * 2):
            logger.info("Removed consumer %s of channel %s: it held nothing and read nothing for %s s",
                        name.decode(), channels[index - 1], idle)

    async def _reclaim(self, channels, keys, max_messages):
        reply = await RECLAIM(self._shards.client(keys[0]), keys, self._reclaim_args(max_messages))
        return self._reclaimed(channels, keys, reply)

    def _reclaim_args(self, max_messages):
        layer = self._layer
        return [GROUP, self._consumer, max_messages, int(layer.visibility_timeout * 1000), layer.max_deliveries]

    def _reclaimed(self, channels, keys, reply):
        layer = self._layer
        taken, dropped = reply
        for index, id, deliveries in zip(*[iter(dropped)] * 3):
            layer.stats.count("dropped", channels[index - 1])
            logger.error(
                "Dropped message %s on channel %s: delivered %d times and never acknowledged",
                id.decode(), channels[index - 1], deliveries,
            )
        return self._deliveries(
            (channels[index - 1], keys[index - 1], id, body, deliveries)
            for index, id, body, deliveries in zip(*[iter(taken)] * 4)
        )

    async def _read(self, channels, keys, max_messages, block):
        """One XREADGROUP over every channel, each for its fair share of the batch,
        so that a busy channel never starves a quiet one; a receive()'s read carries
        the acknowledgements of what the receives before it returned."""
        if keys[0] in self._acks_due and len(keys) == 1:
            reply = await self._read_after_acks(keys[0], max_messages)
            if reply or not block:
                return self._read_deliveries(channels, keys, reply)
        reply = await self._shards.client(keys[0]).execute_command(*self._read_command(keys, max_messages, block))
        return self._read_deliveries(channels, keys, reply)

    def _read_command(self, keys, max_messages, block):
        layer = self._layer
        share = -(-max_messages // len(keys))
        args = ["XREADGROUP", "GROUP", GROUP, self._consumer, "COUNT", share]
        if not layer.at_least_once:
            args.append("NOACK")
        if block:
            args += ["BLOCK", int(layer.block_timeout * 1000)]
        args += ["STREAMS", *keys]
        args += [">"] * len(keys)
        return args

    def _read_deliveries(self, channels, keys, reply):
        return self._deliveries(_entries(reply, dict(zip(keys, channels))))

    async def _read_after_acks(self, key, count):
        """receive()'s acknowledgements and a read that does not block, in one script
        call that rides the batcher's round trip. If it fails, the acknowledgements are
        written again on their own (writing one twice is harmless)."""
        ids = self._acks_due.pop(key)
        args = [GROUP, self._consumer, count, "0" if self._layer.at_least_once else "1", *ids]
        batcher = self._shards.batcher(key)
        try:
            try:
                return await batcher.command("EVALSHA", READ_AFTER_ACKS.sha, 1, key, *args)
            except NoScriptError:
                await READ_AFTER_ACKS.load(self._shards.client(key))
                return await batcher.command("EVALSHA", READ_AFTER_ACKS.sha, 1, key, *args)
        except BaseException:
            for id in ids:
                batcher.ack(key, GROUP, id)
            raise

    def _deliveries(self, rows):
        deliveries = []
        for channel, key, id, body, count in rows:
            delivery = Delivery(channel, None, key, id, count)
            if self._layer._expired(delivery.sent_ms):
                self._layer.stats.count("expired", channel)
                logger.info("Dropped expired message %s on channel %s", id.decode(), channel)
                self.ack(delivery)
                continue
            problem = None
            if body is None:
                problem = "the entry has no message (field m)"
            else:
                try:
                    delivery.message = unpack_message(body, self._layer.crypter)
                except Exception as error:
                    problem = f"undecodable message: {error!r}"
                else:
                    if not isinstance(delivery.message, dict):
                        problem = f"the message is a {type(delivery.message).__name__}, not a dict"
            if problem is not None:
                set_aside(self._layer, self._shards, key, problem, id, body, counted_as=channel)
                self.ack(delivery)
                continue
            deliveries.append(delivery)
            self._layer.stats.count("received", channel)
            if count > 1:
                self._layer.stats.count("redelivered", channel)
            if self._layer.at_least_once:
                self._held.setdefault(key, {})[id] = delivery
        if deliveries and self._layer.at_least_once and self._keeper is None:
            self._keeper = asyncio.get_running_loop().create_task(self._keep())
        return deliveries

    async def _keep(self):
        """While this process holds messages, keep telling Redis it is working on them."""
        interval = self._layer.visibility_timeout / 3
        while not self._stopping:
            await asyncio.sleep(interval)
            for key, held in list(self._held.items()):
                if not held:
                    continue
                try:
                    await EXTEND(self._shards.client(key), [key], [GROUP, self._consumer, *held])
                except Exception as error:
                    end_if_cancelled()
                    logger.error("Extending the visibility of messages on %s failed: %s", key, error)
            end_if_cancelled()

    def forget_unread(self):
        """The streams were deleted: what this process read from them is gone too."""
        self._groups.clear()
        self._buffered.clear()
        self._held.clear()

    async def stop(self):
        """Take nothing new; hand back what was taken but never given to a consumer,
        so that another receiver gets it without waiting for the visibility timeout."""
        self._stopping = True
        if self._fetchers:
            # Not shield(): fetchers cancelled with their event loop have ended, quietly.
            await asyncio.wait(list(self._fetchers.values()))
        stop_doorbell_waits(self)
        if self._blocking_reads:
            await asyncio.wait(list(self._blocking_reads.values()))
        fail_waiters(self._waiters)
        if self._keeper is not None:
            self._keeper.cancel()
            await asyncio.wait([self._keeper])
        for key in list(self._acks_due):
            self._write_acks_due(key)
        buffered = [delivery for queue in self._buffered.values() for delivery in queue]
        self._buffered.clear()
        self._hand_back(buffered)
        await asyncio.gather(*(batcher.drained() for batcher in self._shards.batchers))
        if self._groups and not any(self._held.values()):
            await asyncio.gather(*(
                FORGET_CONSUMER(self._shards.client(keys[0]), keys, [GROUP, self._consumer])
                for keys in self._shards.split(sorted(self._groups)).values()
            ))


def _entries(reply, channel_of):
    """(channel, key, id, body, 1) for each entry of an XREADGROUP reply, parsed (a
    dict of fields) or raw (a flat list of them, as a pipelined command returns)."""
    for key, entries in (reply.items() if isinstance(reply, dict) else reply or ()):
        key = key.decode()
        for id, fields in entries:
            if not isinstance(fields, dict):
                fields = dict(zip(fields[::2], fields[1::2])) if fields else {}
            yield channel_of[key], key, id, fields.get(b"m"), 1


def _entry_id(id):
    milliseconds, _, sequence = id.partition(b"-")
    return int(milliseconds), int(sequence or 0)


def fail_waiters(waiters_by_channel):
    """Tell receives still waiting that the layer was closed, instead of leaving
    them waiting for ever."""
    for channel, waiters in waiters_by_channel.items():
        for waiter in waiters:
            if not waiter.done():
                waiter.set_exception(RuntimeError(f"The channel layer was closed while receiving on {channel}"))
