"""`Message`, what a consumer receives, and the holding of a consumer's sends until
it has returned (so whoever reacts sees the state it saved)."""

import asyncio
import contextvars
import copy
import logging

from channels.exceptions import ChannelFull

logger = logging.getLogger("channels1.worker")

_held = contextvars.ContextVar("channels1_held_sends", default=None)

FLUSH_RETRY_INTERVAL = 0.2
FLUSH_RETRY_TIMEOUT = 2.0


class Message:
    """A message on a channel: ``content`` (the dict), ``channel``, ``reply_channel``
    (a Channel, or None) and ``channel_layer``; dict access reads the content."""

    def __init__(self, content, channel_name, channel_layer):
        from .channel import Channel

        self.content = content
        self.channel_layer = channel_layer
        self.channel = Channel(channel_name, channel_layer=channel_layer)
        reply_channel = content.get("reply_channel")
        self.reply_channel = Channel(reply_channel, channel_layer=channel_layer) if reply_channel else None

    def __getitem__(self, key):
        return self.content[key]

    def __setitem__(self, key, value):
        self.content[key] = value

    def __contains__(self, key):
        return key in self.content

    def keys(self):
        return self.content.keys()

    def values(self):
        return self.content.values()

    def items(self):
        return self.content.items()

    def get(self, key, default=None):
        return self.content.get(key, default)

    def copy(self):
        """A new Message with a deep copy of the content (decorator attributes such
        as channel_session are not copied)."""
        return type(self)(copy.deepcopy(self.content), self.channel.name, self.channel_layer)

    def __repr__(self):
        return f"<Message on {self.channel.name}>"


class _Held(list):
    """The sends a consumer held; closed once it returned, so that tasks it left
    running (which copied its context) send at once instead of into a list nobody
    will read again."""

    closed = False


def hold(target, content):
    """Inside a consumer, keep a send to ``target`` (Channel or Group) for later and
    return True; outside one, return False."""
    held = _held.get()
    if held is None or held.closed:
        return False
    held.append((target, content))
    return True


class holding_sends:
    """Context in which sends are held: ``with holding_sends() as held:``; the list
    is filled with (target, content) pairs, to be sent by ``send_held``."""

    def __enter__(self):
        self.held = _Held()
        self._token = _held.set(self.held)
        return self.held

    def __exit__(self, *exc_info):
        self.held.closed = True
        _held.reset(self._token)


async def send_held(held):
    """Send what a consumer held, in order; a full channel is retried every 0.2 s for
    2 s, then the send is given up with an error naming the channel."""
    from .channel import Channel

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
    loop = asyncio.get_running_loop()
    deadline = loop.time() + FLUSH_RETRY_TIMEOUT
    while True:
        try:
            await target._deliver(content)
            return
        except ChannelFull:
            if loop.time() >= deadline:
                logger.error("Gave up a held send to %s: channel full for %.0f s", target.name, FLUSH_RETRY_TIMEOUT)
                return
            await asyncio.sleep(FLUSH_RETRY_INTERVAL)
        except Exception as error:
            logger.error("A held send to %s failed: %s", target.name, error)
            return
