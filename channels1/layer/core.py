"""`RedisChannelLayer`: the channels 4 layer interface on Redis, plus what workers
need on top of it (many channels per receive, acknowledgements, redelivery)."""

import asyncio
import concurrent.futures
import functools
import logging
import os
import re
import socket
import threading
import time
import uuid
import weakref

from channels.exceptions import ChannelFull
from channels.layers import BaseChannelLayer
from redis.exceptions import ResponseError

from ._batcher import _log_failure
from ._codec import make_crypter, pack_envelope, pack_message
from ._dead_letters import is_wrong_type, move_aside, set_aside
from ._dead_members import DeadMembers
from ._loops import LastOnLoop
from ._group_sends import GROUP_SEND, WRONG_TYPE, GroupSends
from . import _memberships, _presence, _sockets
from ._memberships import joined_key
from ._process_channels import ProcessChannels, RecentIds
from ._replica_acks import ReplicaAcks
from ._send_once import SEND_ONCE
from ._scripts import EXTEND, FORGET_CONSUMER, FORGET_IDLE_CONSUMERS, RECLAIM, SEND
from ._cluster import is_cluster_url
from ._shards import Placement, SentinelConfig, Shards, tagged_key
from ._stats import Stats, Summary
from ._streams import Streams
from ._sync_sends import SyncSends

logger = logging.getLogger("channels1.layer")

DELIVERY_MODES = ("at-least-once", "at-most-once")
CHECKED_NAMES = 10_000
# The websocket.* channels are shared by every socket of every Daphne, so they hold far
# more than one socket's reply channel (the capacity); given capacities come first.
DEFAULT_CHANNEL_CAPACITY = {"websocket.*": 2000}


class ForeignChannel(ValueError, AssertionError):
    """A receive on a process-specific channel that another layer instance made:
    only the instance whose ``new_channel()`` made a name reads its messages.
    Also an AssertionError, which is what channels_redis raises here."""


class RedisChannelLayer(BaseChannelLayer):
    """A channel layer on Redis (or Valkey) 7.0 or newer: one server, several servers
    sharing the names (``hosts``), a Redis Cluster (``redis+cluster://``), or the
    primary that ``sentinels`` name for ``master_name``.

    Normal channels are streams read through a consumer group: a message goes to
    one receiver, and with ``delivery="at-least-once"`` (the default) it stays
    pending until acknowledged; a receiver that dies leaves it to another after
    ``visibility_timeout`` seconds, up to ``max_deliveries`` times. Process-specific
    channels (``name!local``) are lists with one reader per process. ``group_send``
    writes one envelope per receiving process. With ``replica_acks`` N, every write
    round trip ends with WAIT for N replicas (up to ``replica_ack_timeout`` seconds),
    so that a send resolves once a replica holds it as well.

    ``receive()`` on a normal channel takes only the message it returns, unless
    ``receive_prefetch`` is N > 1 (at least once only: at most once, a message read
    ahead would die with the process): then a read asks for up to N, and the next
    receives return the rest from memory, in order; what none takes within a second
    goes back to the other receivers, as it does when the layer closes.
    """

    extensions = ["groups", "flush"]

    # Channels 4's names, plus 1.x's single-reader names ("name?local", from the
    # 1.x new_channel() and enforce_ordering's wait channels).
    channel_name_regex = re.compile(r"^[a-zA-Z\d\-_.]+(\![\d\w\-_.]*|\?[\d\w\-_.]+)?$")

    def __init__(
        self,
        hosts=None,
        prefix="asgi",
        expiry=60,
        group_expiry=86400,
        capacity=100,
        channel_capacity=None,
        max_message_size=1024 * 1024,
        delivery="at-least-once",
        visibility_timeout=30,
        max_deliveries=5,
        receive_batch_size=100,
        receive_prefetch=1,
        block_timeout=1.0,
        retry_delay=1.0,
        symmetric_encryption_keys=None,
        connection_kwargs=None,
        sentinels=None,
        master_name=None,
        sentinel_kwargs=None,
        replica_acks=0,
        replica_ack_timeout=1.0,
    ):
        super().__init__(expiry=expiry, capacity=capacity)
        self.hosts = _parse_hosts(hosts)
        self.sentinel = SentinelConfig(sentinels, master_name, sentinel_kwargs) if sentinels else None
        # Sync sends go from the calling thread, unless replicas are to confirm writes:
        # then through the loop's batcher, which waits for them.
        self.sends_from_threads = not replica_acks
        if "{" in prefix or "}" in prefix:
            raise ValueError(f"prefix cannot contain braces: they would change where keys live ({prefix!r})")
        self.prefix = prefix
        self.group_expiry = group_expiry
        self.channel_capacity = self.compile_capacities({**(channel_capacity or {}), **{
            glob: capacity for glob, capacity in DEFAULT_CHANNEL_CAPACITY.items()
            if glob not in (channel_capacity or {})
        }})
        self.max_message_size = max_message_size
        if delivery not in DELIVERY_MODES:
            raise ValueError(f"delivery must be one of {DELIVERY_MODES}, not {delivery!r}")
        self.at_least_once = delivery == "at-least-once"
        self.visibility_timeout = visibility_timeout
        self.max_deliveries = max_deliveries
        self.reclaim_interval = min(1.0, visibility_timeout / 4)
        self.receive_batch_size = receive_batch_size
        if not isinstance(receive_prefetch, int) or receive_prefetch < 1:
            raise ValueError(f"receive_prefetch must be a whole number of at least 1, not {receive_prefetch!r}")
        self.receive_prefetch = receive_prefetch
        self.block_timeout = block_timeout
        self.retry_delay = retry_delay
        self.crypter = make_crypter(symmetric_encryption_keys)
        self.connection_kwargs = dict(connection_kwargs or {})
        self.replica_acks = ReplicaAcks(replica_acks, replica_ack_timeout) if replica_acks else None
        self.client_prefix = uuid.uuid4().hex
        self._own_mark = f".{self.client_prefix}"  # ends the part before "!" of the channels it makes
        self.consumer = f"{socket.gethostname()}.{os.getpid()}.{self.client_prefix[:12]}"
        self._runtimes = weakref.WeakKeyDictionary()  # event loop -> _Runtime
        self._runtimes_lock = threading.Lock()  # loops of other threads come and go
        self._last_runtime = LastOnLoop()
        self._handover_lock = threading.Lock()  # process channel messages cross loops
        self._envelopes_read = RecentIds()
        self._checked_names = set()
        self._own_names = set()  # process-specific channels of this layer received on
        self.stats = Stats()
        self._dead_members = DeadMembers(self)
        self._group_sends = GroupSends(self, Placement(self.hosts, self.sentinel))
        self._skipped_members = Summary(
            logger, "group_send skipped %d member(s) over capacity since the last such line; by group: %s")

    # The channels 4 interface

    async def send(self, channel, message):
        """Send a message to a channel; raises ChannelFull at capacity."""
        await self.send_tracked(channel, message)

    async def send_tracked(self, channel, message):
        """``send()`` that returns where the message went in a normal channel (its
        position, for ``untaken()``), or None on a process-specific channel."""
        self._check_channel_name(channel)
        runtime = self._last_runtime_here() or await self._runtime()
        key, kind, data, now = self._write_of(channel, message)
        sent = await runtime.shards.batcher(key).send(key, kind, self.get_capacity(channel), data, now, self.expiry * 1000)
        return self._sent(channel, kind, sent)

    def send_now(self, channel, message):
        """``send()`` for sync code, made on the calling thread: one blocking round
        trip, no event loop involved. Raises ChannelFull at capacity."""
        self._check_channel_name(channel)
        sync_sends = self._sync_sends
        sync_sends.set_clock()  # before the send's timestamp is taken
        key, kind, data, now = self._write_of(channel, message)
        sent = sync_sends.send(key, kind, self.get_capacity(channel), data, now)
        self._sent(channel, kind, sent)

    def group_send_now(self, group, message):
        """``group_send()`` for sync code, made on the calling thread."""
        self.require_valid_group_name(group)
        self._sync_sends.group_send(self._group_key(group), pack_message(group, message, self.max_message_size,
                                                                           self.crypter), group)

    def _write_of(self, channel, message):
        """What a send of ``message`` to ``channel`` writes: (key, kind, data, now_ms)."""
        body = pack_message(channel, message, self.max_message_size, self.crypter)
        now = self._now_ms()
        if "!" in channel:
            return self._process_key(channel), "l", pack_envelope(now, channel, body), now
        return self._stream_key(channel), "s", body, now

    def _sent(self, channel, kind, sent):
        if not sent:
            self.stats.count("full", channel)
            raise ChannelFull(f"Channel {channel!r} is at its capacity of {self.get_capacity(channel)}")
        self.stats.count("sent", channel)
        return sent if kind == "s" else None

    @functools.cached_property
    def _sync_sends(self):
        return SyncSends(self)

    async def untaken(self, channel, positions):
        """The positions (from ``send_tracked()``) of messages that still wait in the
        normal ``channel`` for a receiver to take them. Concurrent calls for one
        channel share one round trip."""
        runtime = await self._runtime()
        return await runtime.streams.untaken(channel, positions)

    async def receive(self, channel):
        """The next message on a channel. A cancelled receive loses no message and
        keeps the channel's order."""
        if channel in self._own_names:  # checked before: receives in a row are the hot path
            runtime = self._last_runtime_here() or await self._runtime()
            return await runtime.process_channels.receive(channel)
        self._check_channel_name(channel)
        if "!" in channel:
            self._check_own(channel)
            runtime = self._last_runtime_here() or await self._runtime()
            return await runtime.process_channels.receive(channel)
        runtime = self._last_runtime_here() or await self._runtime()
        return await runtime.streams.receive(channel)

    async def new_channel(self, prefix="specific"):
        """A new process-specific channel name, read by this process."""
        return f"{prefix}.{self.client_prefix}!{uuid.uuid4().hex}"

    async def group_add(self, group, channel):
        self.require_valid_group_name(group)
        self.require_valid_channel_name(channel)
        runtime = await self._runtime()
        key = self._group_key(group)
        for attempt in range(2):
            try:
                joined = joined_key(self.prefix, channel)
                batcher, joined_batcher = runtime.shards.batcher(key), runtime.shards.batcher(joined)
                await asyncio.gather(
                    batcher.command("ZADD", key, self._now_ms(), channel),
                    batcher.command("PEXPIRE", key, self.group_expiry * 1000),
                    joined_batcher.command("SADD", joined, key),
                    joined_batcher.command("PEXPIRE", joined, self.group_expiry * 1000),
                )
                return
            except ResponseError as error:
                if attempt or not is_wrong_type(error):
                    raise
                await move_aside(self, runtime.shards, key, "not a sorted set of members")

    async def group_discard(self, group, channel):
        self.require_valid_group_name(group)
        self.require_valid_channel_name(channel)
        runtime = await self._runtime()
        key, joined = self._group_key(group), joined_key(self.prefix, channel)
        await asyncio.gather(
            runtime.shards.batcher(key).command("ZREM", key, channel),
            runtime.shards.batcher(joined).command("SREM", joined, key),
        )

    async def group_send(self, group, message):
        """Send to every member of a group: one write per receiving process, and one
        round trip per host holding members. Members over capacity are skipped and
        counted, in one WARNING a minute at most, and removed if their socket is gone;
        never raises ChannelFull."""
        self.require_valid_group_name(group)
        runtime = await self._runtime()
        body = pack_message(group, message, self.max_message_size, self.crypter)
        key = self._group_key(group)
        now = self._now_ms()
        try:
            reply = await GROUP_SEND(runtime.shards.client(key), *self._group_sends.call(key, body, now))
        except ResponseError as error:
            if not is_wrong_type(error):
                raise
            await move_aside(self, runtime.shards, key, "not a sorted set of members")
            reply = [[], []]
        if runtime.shards.doorbells is not None and self._group_sends.wrote_streams(reply):
            await runtime.shards.ring(key)
        full, wrong_type, sends = self._group_sends.settle(
            key, body, now, reply, lambda member: self._member_channel(runtime, key, member))
        results = await asyncio.gather(*(
            runtime.shards.batcher(target).send(target, kind, self.get_capacity(channel), data, now, self.expiry * 1000)
            for channel, _, target, kind, data in sends
        ))
        for target in wrong_type:
            await move_aside(self, runtime.shards, target, WRONG_TYPE)
        skipped = 0
        for members in full + self._group_sent(sends, results):
            skipped += len(members)
            if "!" in members[0]:
                skipped -= await self._dead_members.remove(runtime.shards, group, key, members)
        if skipped:
            self._skipped_members.add(group, skipped)

    def _group_writes(self, members, body, now, member_channel):
        """The writes of a group send: (channel, its members, key, kind, data) for each
        normal channel and one for each process (an envelope addressing its members)."""
        by_process = {}
        sends = []
        for member in members:
            channel = member_channel(member)
            if channel is None:
                continue
            if "!" in channel:
                by_process.setdefault(self._process_key(channel), []).append(channel)
            else:
                sends.append((channel, [channel], self._stream_key(channel), "s", body))
        for process_key, channels in by_process.items():
            data = pack_envelope(now, channels, body)
            sends.append((channels[0], channels, process_key, "l", data))
        return sends

    def _group_sent(self, sends, results):
        """Count the writes of a group send; the members of each write that found its
        channel or list full."""
        full = []
        for (channel, members, _, _, _), sent in zip(sends, results):
            self.stats.count("sent" if sent else "full", channel, len(members))
            if not sent:
                full.append(members)
        return full

    async def flush(self):
        """Delete everything under this layer's prefix, and what the layer's event
        loops read from it and hold in memory. Usable from any event loop."""
        runtime = await self._runtime()
        flushed_ms = self._now_ms()
        for client in runtime.shards.clients:
            keys = [key async for key in client.scan_iter(match=f"{self.prefix}:*", count=1000)]
            for start in range(0, len(keys), 1000):
                await client.unlink(*keys[start:start + 1000])
        for other in self._live_runtimes():
            other.forget_unread(flushed_ms)

    async def close(self):
        """Stop the readers (by flag, never by cancelling a read), hand back what
        was taken but not consumed, and close the connections: of this event loop
        and of every other loop still running. Usable from any event loop; the layer
        starts afresh on its next use."""
        loop = asyncio.get_running_loop()
        closing = []
        for runtime in self._live_runtimes():
            if runtime.loop is loop:
                closing.append(self._close_runtime(runtime))
            elif runtime.loop.is_running():
                asyncio.run_coroutine_threadsafe(self._close_runtime(runtime), runtime.loop)
                closing.append(asyncio.wrap_future(runtime.closed))
            # A loop neither running nor closed closes its runtime when it is closed.
        sync_sends = self.__dict__.pop("_sync_sends", None)
        if sync_sends is not None:
            sync_sends.close()
        await asyncio.gather(*closing)

    close_pools = close  # the name channels_redis gives it, which projects call

    # For workers: many channels per receive, acknowledged after the consumer ran

    async def receive_batch(self, channels, max_messages=None, block=True):
        """Up to ``max_messages`` deliveries from any of the normal ``channels``, in
        one round trip (plus one bounded blocking read if there is nothing yet). Each
        delivery stays pending until ``ack(delivery)``."""
        if not channels:
            raise ValueError("receive_batch() needs at least one channel")
        for channel in channels:
            self.require_valid_channel_name(channel)
            if "!" in channel:
                raise ValueError(f"receive_batch() reads normal channels only, not {channel!r}")
        runtime = await self._runtime()
        return await runtime.streams.take(list(channels), max_messages or self.receive_batch_size, block)

    def ack(self, delivery):
        """Acknowledge a delivery from receive_batch(): its message is done. Must be
        called on the event loop that received it; the write is batched."""
        (self._last_runtime_here() or self._runtimes[asyncio.get_running_loop()]).streams.ack(delivery)

    def abandon(self, delivery):
        """Give up a delivery from receive_batch() without acknowledging it: it is
        no longer kept alive, and goes to a receiver again after the visibility
        timeout (counted as a delivery)."""
        self._runtimes[asyncio.get_running_loop()].streams.abandon(delivery)

    # For the status of the whole system

    async def heartbeat(self, kind, info, ttl):
        """Record this process (a ``kind`` of "worker" or "daphne", described by
        ``info``) as alive for ``ttl`` seconds, and store the counts of ``stats``."""
        runtime = await self._runtime()
        await _presence.beat(self, runtime.shards, kind, info, ttl)

    async def refresh_memberships(self, channels):
        """Renew the group memberships of ``channels`` (sockets still open) before
        the group expiry drops them; the number of memberships renewed."""
        runtime = await self._runtime()
        return await _memberships.refresh(self, runtime.shards, list(channels), self._now_ms())

    async def track_socket(self, reply_channel, path):
        """Note a socket this process has open (by its reply channel), for
        ``sweep_dead_sockets()`` to end if this process dies."""
        runtime = await self._runtime()
        key = _sockets.sockets_key(self.prefix, self.client_prefix)
        await runtime.shards.batcher(key).command("HSET", key, reply_channel, path)

    async def untrack_socket(self, reply_channel):
        runtime = await self._runtime()
        key = _sockets.sockets_key(self.prefix, self.client_prefix)
        await runtime.shards.batcher(key).command("HDEL", key, reply_channel)

    async def end_socket(self, reply_channel):
        """Mark a socket as ended, before its ``websocket.disconnect`` is sent, for
        ``socket_ended()`` to tell until its connect has expired."""
        runtime = await self._runtime()
        key = _sockets.ended_key(self.prefix, reply_channel)
        await runtime.shards.batcher(key).command("SET", key, 1, "PX", _sockets.ended_marker_ms(self))

    async def socket_ended(self, reply_channel):
        runtime = await self._runtime()
        key = _sockets.ended_key(self.prefix, reply_channel)
        return bool(await runtime.shards.batcher(key).command("EXISTS", key))

    async def forget_channel(self, channel):
        """Remove every group membership of a channel whose socket has ended; how many
        there were."""
        runtime = await self._runtime()
        return await _sockets.forget_channel(self, runtime.shards, channel)

    async def sweep_dead_sockets(self, suspected):
        """The sockets of Daphnes whose heartbeat record was gone on two calls in a
        row (``suspected``, a set, carries them between calls), with their memberships
        and process lists removed: ``[(reply channel, path)]``, to be disconnected."""
        runtime = await self._runtime()
        return await _sockets.sweep(self, runtime.shards, suspected)

    async def leave(self, kind):
        """Remove the record of this process: it stops on purpose."""
        runtime = await self._runtime()
        await _presence.leave(self, runtime.shards, kind)

    # Internals

    async def _runtime(self):
        loop = asyncio.get_running_loop()
        runtime = self._runtimes.get(loop)
        if runtime is None:
            with self._runtimes_lock:
                runtime = self._runtimes[loop] = _Runtime(self, loop)
            self._close_with(loop)
        if not runtime.started:
            await runtime.start()
        self._last_runtime.set(runtime, loop)
        return runtime

    def _last_runtime_here(self):
        """The runtime last looked up, if it is this loop's and ready: receive()'s fast
        path, with no coroutine, weak mapping nor system call to go through for each message."""
        runtime = self._last_runtime.get()
        if runtime is None or runtime._closing:
            return None
        return runtime

    def _process_channels_of_loops(self):
        with self._runtimes_lock:
            return [runtime.process_channels for runtime in self._runtimes.values()]

    def _live_runtimes(self):
        with self._runtimes_lock:
            return [runtime for runtime in self._runtimes.values() if not runtime.loop.is_closed()]

    async def _close_runtime(self, runtime):
        """Close a runtime on its own loop; it is forgotten first, so that the next
        use of the layer on that loop starts a fresh one."""
        with self._runtimes_lock:
            if self._runtimes.get(runtime.loop) is runtime:
                del self._runtimes[runtime.loop]
        await runtime.close()

    def _close_with(self, loop):
        """Close this loop's runtime (its readers and connections) when the loop is
        closed without close(), as async_to_sync's loops are after every call and
        pytest-asyncio's after every test. asyncio.run() has cancelled the readers by
        then: they ended quietly, and what they had read but nobody received goes back."""
        if getattr(loop.close, "closes_layers", None) is not None:
            loop.close.closes_layers.add(self)
            return
        close_loop = loop.close
        layers = weakref.WeakSet([self])

        def close():
            if not loop.is_closed() and not loop.is_running():
                for layer in list(layers):
                    with layer._runtimes_lock:
                        runtime = layer._runtimes.get(loop)
                    if runtime is None:
                        continue
                    try:
                        loop.run_until_complete(layer._close_runtime(runtime))
                    except (Exception, asyncio.CancelledError) as error:
                        logger.error("Closing the layer's connections with their event loop failed: %r", error)
            close_loop()

        close.closes_layers = layers
        try:
            loop.close = close
        except AttributeError:
            # A loop class without instance attributes: only close() closes the runtime.
            logger.debug("%r cannot close the layer's connections with it", loop)

    def _check_own(self, channel):
        if not channel.partition("!")[0].endswith(self._own_mark):
            raise ForeignChannel(
                f"Cannot receive on {channel!r}: it is a process-specific channel this layer "
                f"instance did not make (its new_channel() names are '<prefix>.{self.client_prefix}!...'). "
                "Receive on a process-specific channel with the layer instance that made it."
            )
        if len(self._own_names) > CHECKED_NAMES:
            self._own_names.clear()
        self._own_names.add(channel)

    def _member_channel(self, runtime, key, member):
        """The channel name of a group member; a member that is not one is removed
        and set aside."""
        try:
            channel = member.decode()
            self._check_channel_name(channel)
            return channel
        except Exception as error:
            runtime.shards.batcher(key).command("ZREM", key, member).add_done_callback(_log_failure)
            set_aside(self, runtime.shards, key, f"a member that is not a channel name: {error}", data=member)
            return None

    def _check_channel_name(self, channel):
        # Sends and receives are the hot path: each name is checked once.
        if channel not in self._checked_names:
            self.require_valid_channel_name(channel)
            if len(self._checked_names) > CHECKED_NAMES:
                self._checked_names.clear()
            self._checked_names.add(channel)

    def _now_ms(self):
        return int(time.time() * 1000) + self._clock_offset_ms

    _clock_offset_ms = 0

    def _expired(self, sent_ms):
        return sent_ms < self._now_ms() - self.expiry * 1000

    def _stream_key(self, channel):
        return tagged_key(self.prefix, "c", channel)

    def _process_key(self, channel):
        return tagged_key(self.prefix, "p", channel.partition("!")[0])

    def _group_key(self, group):
        return tagged_key(self.prefix, "g", group)

    def __str__(self):
        return f"{self.__class__.__name__}(hosts={self.hosts}, prefix={self.prefix!r})"


class _Runtime:
    """What the layer holds per event loop: connections, the write batcher and the
    readers. Redis connections and futures belong to one loop."""

    def __init__(self, layer, loop):
        self.layer = layer
        self.loop = loop
        self.closed = concurrent.futures.Future()  # done once close() has finished
        self.shards = Shards(layer.hosts, layer.connection_kwargs, layer.sentinel, layer.replica_acks, layer.prefix)
        self.streams = Streams(layer, self.shards, layer.consumer)
        self.process_channels = ProcessChannels(layer, self.shards, loop)
        self.started = False
        self._starting = None
        self._closing = False

    async def start(self):
        if self._starting is None:
            self._starting = asyncio.ensure_future(self._start())
        await asyncio.shield(self._starting)

    async def _start(self):
        try:
            before = time.time()
            seconds, micros = await self.shards.clients[0].time()
            after = time.time()
            self.layer._clock_offset_ms = int((seconds + micros / 1e6 - (before + after) / 2) * 1000)
            await asyncio.gather(*(_load_scripts(client) for client in self.shards.clients))
        except BaseException:
            self._starting = None
            raise
        self.started = True

    async def close(self):
        if self._closing:
            await asyncio.wrap_future(self.closed)
            return
        self._closing = True
        try:
            await self.process_channels.stop()
            await self.streams.stop()
            await asyncio.gather(*(batcher.close() for batcher in self.shards.batchers))
        finally:
            await asyncio.gather(*(client.aclose() for client in self.shards.clients))
            if not self.closed.done():
                self.closed.set_result(None)

    def forget_unread(self, flushed_ms):
        """Drop what was read and is held in memory, after a flush at ``flushed_ms``;
        called from any thread: each step is one atomic operation on a builtin container."""
        self.streams.forget_unread()
        self.process_channels.forget_unread(flushed_ms)


def _parse_hosts(hosts):
    if hosts is None:
        return ["redis://localhost:6379/0"]
    if isinstance(hosts, (str, bytes)):
        raise ValueError("hosts must be a list of Redis URLs, not a single string")
    urls = []
    for host in hosts:
        if isinstance(host, str):
            urls.append(host)
        elif isinstance(host, dict) and "address" in host:
            urls.append(host["address"])
        elif isinstance(host, (tuple, list)) and len(host) == 2:
            urls.append(f"redis://{host[0]}:{host[1]}/0")
        else:
            raise ValueError(f"Cannot use {host!r} as a Redis host: give a redis:// or unix:// URL")
    if not urls:
        raise ValueError("hosts must name at least one Redis host")
    if len(set(urls)) != len(urls):
        raise ValueError(f"hosts names a Redis host twice: {urls}")
    if len({is_cluster_url(url) for url in urls}) > 1:
        raise ValueError(f"hosts mixes redis+cluster:// URLs with plain ones: {urls}")
    return urls


async def _load_scripts(client):
    for script in (SEND, SEND_ONCE, RECLAIM, EXTEND, FORGET_CONSUMER, FORGET_IDLE_CONSUMERS):
        await script.load(client)
