"""Sends made by sync code (views, signal receivers, jobs, scripts) straight from the
calling thread, on a blocking connection of a pool the process's threads share: no
hop to an event loop thread, and one round trip per channel send."""

import threading
import time

import redis
from redis.exceptions import NoScriptError, ResponseError

from ._batcher import GROUP
from ._dead_letters import is_wrong_type, move_aside_now, set_aside_now
from ._scripts import SEND


class SyncSends:
    """A layer's writes for sync callers; what is written is the layer's own (its
    keys, envelopes and capacities), through the same atomic script as its batcher."""

    def __init__(self, layer):
        self._layer = layer
        self._client = redis.Redis.from_url(layer.hosts[0], **{
            "socket_connect_timeout": 5, "health_check_interval": 30, **layer.connection_kwargs,
        })
        self._clock_lock = threading.Lock()
        self._clock_set = False

    def send(self, key, kind, capacity, data, now_ms):
        """One push, as the batcher makes it: False when full, else the entry id (a
        normal channel) or True (a process's list); timestamped after ``set_clock()``."""
        (sent,) = self._deliver([key], [(kind, capacity, data)], now_ms)
        return sent

    def group_send(self, group_key, body, group):
        """``group_send()`` of a packed message: the members read, then one write per
        normal channel and per process, in one script call."""
        layer = self._layer
        self.set_clock()
        now = layer._now_ms()
        pipe = self._client.pipeline(transaction=False)
        pipe.execute_command("ZREMRANGEBYSCORE", group_key, "-inf", now - layer.group_expiry * 1000)
        pipe.execute_command("ZRANGE", group_key, 0, -1)
        _, members = pipe.execute(raise_on_error=False)
        if isinstance(members, ResponseError):
            if not is_wrong_type(members):
                raise members
            move_aside_now(layer, self._client, group_key, "not a sorted set of members")
            return
        sends = layer._group_writes(members, body, now, lambda member: self._member_channel(group_key, member))
        if not sends:
            return
        results = self._deliver([key for _, _, key, _, _ in sends],
                                [(kind, layer.get_capacity(channel), data) for channel, _, _, kind, data in sends], now)
        skipped = sum(len(members) for members in layer._group_sent(sends, results))
        if skipped:
            layer._skipped_members.add(group, skipped)

    def close(self):
        """Close the connections; a send still in flight on one fails as Redis unreachable."""
        self._client.close()

    def _deliver(self, keys, writes, now_ms):
        args = [now_ms, self._layer.expiry * 1000, GROUP]
        for write in writes:
            args += write
        command = ("EVALSHA", SEND.sha, len(keys), *keys, *args)
        try:
            replies = self._client.execute_command(*command)
        except NoScriptError:  # a server restarted or flushed its scripts: nothing was sent
            self._client.execute_command("SCRIPT", "LOAD", SEND.source)
            replies = self._client.execute_command(*command)
        return [sent if isinstance(sent, bytes) else bool(sent) for sent in replies]

    def _member_channel(self, group_key, member):
        """A member's channel name; a member that is not one is removed and set aside."""
        try:
            channel = member.decode()
            self._layer._check_channel_name(channel)
            return channel
        except Exception as error:
            self._client.zrem(group_key, member)
            set_aside_now(self._layer, self._client, group_key, f"a member that is not a channel name: {error}",
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
                seconds, micros = self._client.time()
                after = time.time()
                self._layer._clock_offset_ms = int((seconds + micros / 1e6 - (before + after) / 2) * 1000)
                self._clock_set = True
