"""The asgiref 1.x in-memory channel layer, for a 1.x project's unit tests: the sync
ASGI 1.0 API within one process, and the async calls the engine makes on a layer,
so consumers run by `channels1.test` can send, join groups and keep sessions."""

import asyncio
import collections
import collections.abc
import copy
import dataclasses
import random
import re
import string
import threading
import time
import uuid

from channels.layers import BaseChannelLayer

from .exceptions import ChannelFull, MessageTooLarge

# How long a blocking receive_batch waits for a message before returning none.
BLOCK_SECONDS = 1.0


@dataclasses.dataclass(eq=False)
class Delivery:
    """A message taken by ``receive_batch``; it left the layer when it was taken."""

    channel: str
    message: dict
    deliveries: int = 1
    message_id: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex)


class _Completed(collections.abc.Coroutine):
    """What ``send``, ``group_add``, ``group_discard`` and ``flush`` return: their work
    is already done, and the result is also a finished coroutine, so the engine's
    channels 4 style ``await layer.send(...)`` works on this sync layer too."""

    def __init__(self, result=None):
        self.result = result

    def __await__(self):
        return self

    def __next__(self):
        raise StopIteration(self.result)

    def send(self, value):
        raise StopIteration(self.result)

    def throw(self, error, value=None, traceback=None):
        raise error if isinstance(error, BaseException) else error(value)


class ChannelLayer(BaseChannelLayer):
    """In-memory layer with the asgiref 1.x API and defaults (capacity 10), thread
    safe; FIFO per channel, at-most-once, messages expire after ``expiry`` seconds
    and a channel whose message expired leaves its groups. Channels whose name holds
    ``!`` are received up to the ``!``; ``new_channel`` patterns end in ``?``."""

    extensions = ["groups", "flush"]
    ChannelFull = ChannelFull
    MessageTooLarge = MessageTooLarge

    channel_name_regex = re.compile(r"^[a-zA-Z\d\-_.]+([?!][\d\w\-_.]*)?$")

    def __init__(self, expiry=60, group_expiry=86400, capacity=10, channel_capacity=None):
        super().__init__(expiry=expiry, capacity=capacity)
        self.group_expiry = group_expiry
        self.channel_capacity = self.compile_capacities(channel_capacity or {})
        self._channels = {}  # channel name up to any "!" -> deque of (deadline, full name, message)
        self._groups = {}  # group -> {channel: when it was last added}
        self._changed = threading.Condition()  # its lock guards both dicts

    def require_valid_channel_name(self, name, receive=False):
        super().require_valid_channel_name(name, receive=receive)
        if name.endswith("?"):
            raise TypeError(f"Channel name {name!r} ends in '?': a single-reader channel needs a part after it")
        return True

    # The ASGI 1.0 API

    def send(self, channel, message):
        """Put a copy of ``message`` (a dict) on ``channel``; ChannelFull at capacity."""
        if not isinstance(message, dict):
            raise TypeError(f"Messages are dicts, not {type(message).__name__}")
        self.require_valid_channel_name(channel)
        queue_name = self.non_local_name(channel)
        with self._changed:
            self._clean_expired()
            queue = self._channels.setdefault(queue_name, collections.deque())
            if len(queue) >= self.get_capacity(queue_name):
                raise self.ChannelFull(f"Channel {channel!r} is at its capacity of {self.get_capacity(queue_name)}")
            queue.append((time.monotonic() + self.expiry, channel, copy.deepcopy(message)))
            self._changed.notify_all()
        return _Completed()

    def receive(self, channels, block=False):
        """``(channel, message)`` for the first message on any of ``channels`` (tried in
        random order so none starves), or ``(None, None)``. Never waits."""
        taken = self._take(channels, 1)
        if not taken:
            return None, None
        return taken[0].channel, taken[0].message

    # 1.1.8's worker and test client still call it by this name.
    receive_many = receive

    def new_channel(self, pattern):
        """A new, unused channel name: ``pattern`` (ending in ``?``) plus random letters."""
        if not isinstance(pattern, str) or not pattern.endswith("?"):
            raise TypeError(f"new_channel() needs a pattern ending in '?', not {pattern!r}")
        with self._changed:
            while True:
                name = pattern + "".join(random.choice(string.ascii_letters) for _ in range(12))
                if name not in self._channels:
                    return name

    def group_add(self, group, channel):
        """Add ``channel`` to ``group``, or refresh its membership."""
        self.require_valid_group_name(group)
        self.require_valid_channel_name(channel)
        with self._changed:
            self._groups.setdefault(group, {})[channel] = time.monotonic()
        return _Completed()

    def group_discard(self, group, channel):
        """Remove ``channel`` from ``group``, if it is there."""
        self.require_valid_group_name(group)
        self.require_valid_channel_name(channel)
        with self._changed:
            self._groups.get(group, {}).pop(channel, None)
        return _Completed()

    def group_channels(self, group):
        """The channels in ``group``, as a list."""
        self.require_valid_group_name(group)
        with self._changed:
            self._clean_expired()
            return list(self._groups.get(group, {}))

    def send_group(self, group, message):
        """Send ``message`` to every channel in ``group``; full ones are skipped."""
        if not isinstance(message, dict):
            raise TypeError(f"Messages are dicts, not {type(message).__name__}")
        for channel in self.group_channels(group):
            try:
                self.send(channel, message)
            except self.ChannelFull:
                pass

    def flush(self):
        """Forget every message and group."""
        with self._changed:
            self._channels.clear()
            self._groups.clear()
        return _Completed()

    # What the engine awaits beyond the calls above (channels 4 names, worker batches)

    async def group_send(self, group, message):
        self.send_group(group, message)

    async def receive_batch(self, channels, max_messages=None, block=True):
        """Up to ``max_messages`` deliveries from ``channels``; if there are none and
        ``block``, waits up to BLOCK_SECONDS for one."""
        taken = self._take(channels, max_messages)
        if not taken and block:
            await asyncio.to_thread(self._wait_for_any, channels, BLOCK_SECONDS)
            taken = self._take(channels, max_messages)
        return taken

    def ack(self, delivery):
        """Nothing to do: a message leaves this layer when it is taken."""

    def abandon(self, delivery):
        """Put a taken message back at the head of its channel."""
        with self._changed:
            queue = self._channels.setdefault(self.non_local_name(delivery.channel), collections.deque())
            queue.appendleft((time.monotonic() + self.expiry, delivery.channel, delivery.message))
            self._changed.notify_all()

    async def close(self):
        pass

    # Internals

    def _take(self, channels, max_messages):
        if isinstance(channels, (str, bytes)):
            raise TypeError(f"Receive from a list of channel names, not the name {channels!r} alone")
        for channel in channels:
            self.require_valid_channel_name(channel, receive=True)
        channels = list(channels)
        random.shuffle(channels)
        taken = []
        with self._changed:
            self._clean_expired()
            # One message per channel in turn, so a busy channel cannot starve a quiet one.
            while max_messages is None or len(taken) < max_messages:
                ready = [channel for channel in channels if self._channels.get(channel)]
                if not ready:
                    break
                for channel in ready[: None if max_messages is None else max_messages - len(taken)]:
                    _, full_name, message = self._channels[channel].popleft()
                    taken.append(Delivery(full_name, message))
        return taken

    def _wait_for_any(self, channels, timeout):
        with self._changed:
            self._changed.wait_for(lambda: any(self._channels.get(channel) for channel in channels), timeout)

    def _clean_expired(self):
        """Drop expired messages (their channels leave every group) and group members
        not added again within group_expiry. Called with the lock held."""
        now = time.monotonic()
        for name, queue in list(self._channels.items()):
            while queue and queue[0][0] <= now:
                _, full_name, _ = queue.popleft()
                for members in self._groups.values():
                    members.pop(full_name, None)
            if not queue:
                del self._channels[name]
        oldest = now - self.group_expiry
        for members in self._groups.values():
            for channel, added in list(members.items()):
                if added <= oldest:
                    del members[channel]
