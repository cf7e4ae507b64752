"""`Channel` and `Group`: named destinations that consumers, views, signal receivers
and background jobs send to. Inside a consumer, sends wait until it has returned."""

from channels.layers import get_channel_layer

from . import _sync
from .message import hold

DEFAULT_CHANNEL_LAYER = "default"


class Channel:
    """A channel to send to: ``Channel("thumbnails").send({...})``."""

    def __init__(self, name, alias=DEFAULT_CHANNEL_LAYER, channel_layer=None):
        self.name = name.decode("ascii") if isinstance(name, bytes) else name
        self.alias = alias
        self._channel_layer = channel_layer

    @property
    def channel_layer(self):
        if self._channel_layer is None:
            self._channel_layer = get_channel_layer(self.alias)
        return self._channel_layer

    def send(self, content, immediately=False):
        """Send ``content`` (a dict). Inside a consumer it goes out when the consumer
        has returned, unless ``immediately``; elsewhere at once. ChannelFull is
        raised by sends made at once."""
        if not isinstance(content, dict):
            raise TypeError(f"You can only send dicts as content on channels, not {type(content).__name__}")
        if immediately or not hold(self, content):
            _sync.call(lambda: self.channel_layer.send(self.name, content))

    async def asend(self, content, immediately=False):
        """``send`` for async code."""
        if not isinstance(content, dict):
            raise TypeError(f"You can only send dicts as content on channels, not {type(content).__name__}")
        if immediately or not hold(self, content):
            await self.channel_layer.send(self.name, content)

    async def _deliver(self, content):
        await self.channel_layer.send(self.name, content)

    def __str__(self):
        return self.name

    def __repr__(self):
        return f"<Channel {self.name}>"

    def __eq__(self, other):
        return isinstance(other, Channel) and (self.name, self.alias) == (other.name, other.alias)

    def __hash__(self):
        return hash((self.name, self.alias))


class Group:
    """A named set of channels: ``Group("notifications").add(message.reply_channel)``.
    Adding and discarding happen at once; sends are held inside consumers."""

    def __init__(self, name, alias=DEFAULT_CHANNEL_LAYER, channel_layer=None):
        self.name = name.decode("ascii") if isinstance(name, bytes) else name
        self.alias = alias
        self._channel_layer = channel_layer

    channel_layer = Channel.channel_layer

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

    def send(self, content, immediately=False):
        """Send ``content`` (a dict) to every channel in the group; held inside a
        consumer unless ``immediately``. Members over capacity are skipped."""
        if not isinstance(content, dict):
            raise ValueError(f"You can only send dicts as content on groups, not {type(content).__name__}")
        if immediately or not hold(self, content):
            _sync.call(lambda: self._deliver(content))

    async def asend(self, content, immediately=False):
        """``send`` for async code."""
        if not isinstance(content, dict):
            raise ValueError(f"You can only send dicts as content on groups, not {type(content).__name__}")
        if immediately or not hold(self, content):
            await self._deliver(content)

    async def _deliver(self, content):
        await self.channel_layer.group_send(self.name, content)

    def __str__(self):
        return self.name

    def __repr__(self):
        return f"<Group {self.name}>"
