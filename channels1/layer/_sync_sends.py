"""Sends made by sync code (views, signal receivers, jobs, scripts) straight from the
calling thread, on blocking connections the process's threads share: no hop to an
event loop thread, on one host, over shards, on a cluster or behind Sentinels."""

import itertools
import threading
import time

import redis
import redis.cluster
import redis.sentinel
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError, ResponseError
from redis.retry import Retry

from ._batcher import GROUP, pause_before_writing_again
from ._cluster import cluster_client
from ._doorbells import Doorbells
from ._dead_letters import is_wrong_type, move_aside_now, set_aside_now
from ._group_sends import GROUP_SEND, WRONG_TYPE
from ._scripts import SEND
from ._shards import CLIENT_DEFAULTS, Placement


class SyncHosts(Placement):
    """Blocking clients of a layer's hosts, one per host (one for a cluster, the
    primary's behind Sentinels), with keys placed as the layer's event loops place them."""

    def __init__(self, layer):
        super().__init__(layer.hosts, layer.sentinel)
        client_kwargs = {**CLIENT_DEFAULTS, **layer.connection_kwargs}
        self._sentinel = None
        self.doorbells = None
        if self.cluster:
            self.clients = [cluster_client(layer.hosts, client_kwargs, module=redis.cluster)]
            self.doorbells = Doorbells(self.clients[0], layer.prefix)
            return
        # A failed write is written again by SyncSends, as the batcher does, not inside redis-py too.
        client_kwargs = {"retry": Retry(NoBackoff(), 0), **client_kwargs}
        if layer.sentinel is not None:
            self._sentinel = redis.sentinel.Sentinel(layer.sentinel.sentinels,
                                                     sentinel_kwargs=layer.sentinel.sentinel_kwargs)
            self.clients = [self._sentinel.master_for(layer.sentinel.master_name, **client_kwargs)]
        else:
            self.clients = [redis.Redis.from_url(url, **client_kwargs) for url in self.urls]

    def client(self, key):
        return self.clients[0] if len(self.clients) == 1 else self.clients[self._host(key)]

    def units(self, keys):
        """The indexes of ``keys`` by the unit (host or slot) that one script call may span."""
        if len(keys) == 1 or (len(self.clients) == 1 and not self.cluster):
            return [range(len(keys))]
        by_unit = {}
        for index, key in enumerate(keys):
            by_unit.setdefault(self.index(key), []).append(index)
        return by_unit.values()

    def ring(self, key):
        """On a cluster, ring the doorbell of the primary holding ``key``, a stream just
        written to, so that receivers waiting there read it now."""
        if self.doorbells is not None:
            self.clients[0].execute_command(*self.doorbells.ring(self.index(key)))

    def execute(self, commands, raise_on_error=True):
        """Run ``commands`` (tuples of a command and its key first) in one pipeline per host."""
        by_host = {}
        for index, command in enumerate(commands):
            by_host.setdefault(self._host(command[1]), []).append(index)
        replies = [None] * len(commands)
        for host, indexes in by_host.items():
            pipe = self.clients[host].pipeline(transaction=False)
            for index in indexes:
                pipe.execute_command(*commands[index])
            for index, reply in zip(indexes, pipe.execute(raise_on_error=raise_on_error)):
                replies[index] = reply
        return replies

    def close(self):
        for client in self.clients:
            client.close()
        if self.cluster:
            # Closing a cluster client leaves its nodes' connections open.
            for node in self.clients[0].get_nodes():
                if node.redis_connection is not None:
                    node.redis_connection.connection_pool.disconnect()
        for sentinel in self._sentinel.sentinels if self._sentinel is not None else ():
            sentinel.close()


class SyncSends:
    """A layer's writes for sync callers; what is written is the layer's own (its
    keys, envelopes and capacities), through the same atomic scripts as its async sends."""

    def __init__(self, layer):
        self._layer = layer
        self._hosts = SyncHosts(layer)
        self._clock_lock = threading.Lock()
        self._clock_set = False

    def send(self, key, kind, capacity, data, now_ms):
        """One push, as the batcher makes it: False when full, else the entry id (a
        normal channel) or True (a process's list); timestamped after ``set_clock()``."""
        (sent,) = self._deliver([(key, kind, capacity, data)], now_ms)
        return sent

    def group_send(self, group_key, body, group):
        """``group_send()`` of a packed message: one script call where the group's
        members live beside it, then the writes of the others, one call per host or slot."""
        layer, group_sends = self._layer, self._layer._group_sends
        self.set_clock()
        now = layer._now_ms()
        keys, args = group_sends.call(group_key, body, now)
        try:
            reply = self._written(lambda: GROUP_SEND.call_now(self._hosts.client(group_key), keys, args))
        except ResponseError as error:
            if not is_wrong_type(error):
                raise
            move_aside_now(layer, self._hosts, group_key, "not a sorted set of members")
            reply = [[], []]
        if group_sends.wrote_streams(reply):
            self._hosts.ring(group_key)
        full, wrong_type, sends = group_sends.settle(group_key, body, now, reply,
                                                     lambda member: self._member_channel(group_key, member))
        if sends:
            results = self._deliver([(key, kind, layer.get_capacity(channel), data)
                                     for channel, _, key, kind, data in sends], now)
            full += layer._group_sent(sends, results)
        for key in wrong_type:
            move_aside_now(layer, self._hosts, key, WRONG_TYPE)
        skipped = sum(len(members) for members in full)
        if skipped:
            layer._skipped_members.add(group, skipped)

    def close(self):
        """Close the connections; a send still in flight on one fails as Redis unreachable."""
        self._hosts.close()

    def _deliver(self, writes, now_ms):
        """``(key, kind, capacity, data)`` writes, one script call per host (per slot on a
        cluster); what each sent, in their order."""
        results = [None] * len(writes)
        for indexes in self._hosts.units([write[0] for write in writes]):
            keys = [writes[index][0] for index in indexes]
            args = [now_ms, self._layer.expiry * 1000, GROUP]
            for index in indexes:
                args += writes[index][1:]
            replies = self._written(lambda: SEND.call_now(self._hosts.client(keys[0]), keys, args))
            if any(writes[index][1] == "s" for index in indexes):
                self._hosts.ring(keys[0])
            for index, sent in zip(indexes, replies):
                results[index] = sent if isinstance(sent, bytes) else bool(sent)
        return results

    def _written(self, write):
        """``write()``; made again on a new connection if its connection fails, as the
        batcher does (the server restarted, or failed over behind Sentinels)."""
        for attempt in itertools.count(1):
            try:
                return write()
            except ConnectionError as error:
                time.sleep(pause_before_writing_again(attempt, 1, error))

    def _member_channel(self, group_key, member):
        """A member's channel name; a member that is not one is removed and set aside."""
        try:
            channel = member.decode()
            self._layer._check_channel_name(channel)
            return channel
        except Exception as error:
            self._hosts.execute([("ZREM", group_key, member)])
            set_aside_now(self._layer, self._hosts, group_key, f"a member that is not a channel name: {error}",
                          data=member)
            return None

    def set_clock(self):
        """Take the server's clock for the layer's timestamps, once, as the event
        loops' runtimes do when they start."""
        if self._clock_set:
            return
        with self._clock_lock:
            if not self._clock_set:
                before = time.time()
                seconds, micros = self._written(lambda: self._hosts.clients[0].execute_command("TIME"))
                after = time.time()
                self._layer._clock_offset_ms = int((int(seconds) + int(micros) / 1e6 - (before + after) / 2) * 1000)
                self._clock_set = True
