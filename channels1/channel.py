"""`Channel` and `Group`: named destinations that consumers, views, signal receivers
and background jobs send to. Inside a consumer, sends wait until it has returned."""

import asyncio
import logging
import time

from channels.exceptions import ChannelFull

from . import _sync
from ._held_sends import hold
from .exceptions import REDIS_UNREACHABLE

logger = logging.getLogger("channels1.worker")

DEFAULT_CHANNEL_LAYER = "default"
FLUSH_RETRY_INTERVAL = 0.2
FLUSH_RETRY_TIMEOUT = 2.0
# Seconds a send is tried again while Redis does not answer (restarting, say) before
# its error is raised, or logged for a consumer's held send.
REDIS_RETRY_TIMEOUT = 10.0


class _Destination:
    """What Channel and Group share: a name on a layer alias, and sends that are held
    inside a consumer."""

    content_error = TypeError
    send_now_method = "send_now"  # the layer's sync send, where it has one

    def __init__(self, name, alias=DEFAULT_CHANNEL_LAYER, channel_layer=None):
        self.name = name.decode("ascii") if isinstance(name, bytes) else name
        self.alias = alias
        # The 1.x layer object (get_channel_layer(), message.channel_layer) works too.
        self._channel_layer = getattr(channel_layer, "async_layer", channel_layer)

    @property
    def channel_layer(self):
        """The async layer sends go to: the one given, else the alias's in
        ``channel_layers`` (which tests may swap with ``channel_layers.set``)."""
        if self._channel_layer is None:
            from .asgi import channel_layers  # channels1.asgi builds on this module

            layer = channel_layers[self.alias].channel_layer
            self._channel_layer = getattr(layer, "async_layer", layer)
        return self._channel_layer

    def send(self, content, immediately=False):
        """Send ``content`` (a dict). Inside a consumer it goes out when the consumer
        has returned, unless ``immediately``; elsewhere at once, tried again while
        Redis does not answer for up to ``REDIS_RETRY_TIMEOUT`` seconds."""
        self._check(content)
        if immediately or not hold(self, content):
            _sync.refuse_in_async_code()
            pauses = _retry_pauses()
            while True:
                try:
                    return self._deliver_now(content)
                except REDIS_UNREACHABLE:
                    pause = next(pauses, None)
                    if pause is None:
                        raise
                    time.sleep(pause)

    async def asend(self, content, immediately=False):
        """``send`` for async code."""
        self._check(content)
        if immediately or not hold(self, content):
            await _deliver_while_redis_returns(self, content)

    def _deliver_now(self, content):
        # The Redis layer sends from this thread; other layers on the process loop.
        layer = self.channel_layer
        if getattr(layer, "sends_from_threads", False):
            getattr(layer, self.send_now_method)(self.name, content)
        else:
            _sync.call(lambda: self._deliver(content))

    def _check(self, content):
        if not isinstance(content, dict):
            kind = type(self).__name__.lower()
            raise self.content_error(f"You can only send dicts as content on {kind}s, not {type(content).__name__}")

    def __str__(self):
        return self.name

    def __repr__(self):
        return f"<{type(self).__name__} {self.name}>"


class Channel(_Destination):
    """A channel to send to: ``Channel("thumbnails").send({...})``. A send made at once
    raises ChannelFull when the channel is at capacity."""

    async def _deliver(self, content):
        await self.channel_layer.send(self.name, content)

    def __eq__(self, other):
        return isinstance(other, Channel) and (self.name, self.alias) == (other.name, other.alias)

    def __hash__(self):
        return hash((self.name, self.alias))


class Group(_Destination):
    """A named set of channels: ``Group("notifications").add(message.reply_channel)``.
    Adding and discarding happen at once; sends are held inside consumers, and
    members over capacity are skipped."""

    content_error = ValueError  # as in 1.x, where Channel raised TypeError
    send_now_method = "group_send_now"

    def add(self, channel):
        """Add a channel (a Channel or its name) to the group."""
        _sync.call(lambda: self.aadd(channel))

    def discard(self, channel):
        """Remove a channel (a Channel or its name) from the group."""
        _sync.call(lambda: self.adiscard(channel))

    async def aadd(self, channel):
        await self.channel_layer.group_add(self.name, str(channel))

    async def adiscard(self, channel):
        await self.channel_layer.group_discard(self.name, str(channel))

    async def _deliver(self, content):
        await self.channel_layer.group_send(self.name, content)


async def send_held(held):
    """Send what a consumer held, in order; a full channel is retried every 0.2 s for
    2 s, then the send is given up with an error naming the channel."""
    i = 0
    while i < len(held):
        # Consecutive channel sends share one round trip; group sends go one by one.
        j = i + 1
        if isinstance(held[i][0], Channel):
            while j < len(held) and isinstance(held[j][0], Channel):
                j += 1
        if j - i == 1:
            await _send_with_retry(*held[i])
        else:
            await asyncio.gather(*(_send_with_retry(target, content) for target, content in held[i:j]))
        i = j


async def _send_with_retry(target, content):
    deadline = time.monotonic() + FLUSH_RETRY_TIMEOUT  # the loop's clock, read without looking the loop up
    while True:
        try:
            await _deliver_while_redis_returns(target, content)
            return
        except ChannelFull:
            if time.monotonic() >= deadline:
                logger.error("Gave up a held send to %s: channel full for %.0f s", target.name, FLUSH_RETRY_TIMEOUT)
                break
            await asyncio.sleep(FLUSH_RETRY_INTERVAL)
        except REDIS_UNREACHABLE as error:
            logger.error("Gave up a held send to %s: Redis did not answer for %g s: %s",
                         target.name, REDIS_RETRY_TIMEOUT, error)
            break
        except Exception as error:
            logger.error("A held send to %s failed: %s", target.name, error)
            break
    stats = getattr(target.channel_layer, "stats", None)  # the in-memory layer counts nothing
    if stats is not None:
        stats.count("dropped", target.name)


async def _deliver_while_redis_returns(target, content):
    return await while_redis_returns(lambda: target._deliver(content))


async def while_redis_returns(operation):
    """``await operation()``, tried again while Redis does not answer, for up to
    ``REDIS_RETRY_TIMEOUT`` seconds; then its error is raised."""
    pauses = _retry_pauses()
    while True:
        try:
            return await operation()
        except REDIS_UNREACHABLE:
            pause = next(pauses, None)
            if pause is None:
                raise
            await asyncio.sleep(pause)


def _retry_pauses():
    """The pauses between tries of a send while Redis does not answer: from 0.05 s,
    doubling up to 1 s, until ``REDIS_RETRY_TIMEOUT`` seconds have passed."""
    deadline = time.monotonic() + REDIS_RETRY_TIMEOUT
    pause = 0.05
    while time.monotonic() + pause <= deadline:
        yield pause
        pause = min(pause * 2, 1.0)
