"""`Message`, what a consumer receives: the content dict with its channel, reply
channel and layer."""

import copy

from .channel import Channel


class Message:
    """A message on a channel: ``content`` (the dict), ``channel``, ``reply_channel``
    (a Channel, or None) and ``channel_layer``; dict access reads the content.

    A worker also sets ``id``, the same on every delivery of this message, and
    ``deliveries``, 1 the first time and more when it is delivered again (at-least-once:
    its first receiver went silent), so that a consumer can skip what it already did."""

    def __init__(self, content, channel_name, channel_layer, id=None, deliveries=1):
        self.content = content
        self.id = id
        self.deliveries = deliveries
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
        return type(self)(copy.deepcopy(self.content), self.channel.name, self.channel_layer,
                          self.id, self.deliveries)

    def __repr__(self):
        return f"<Message on {self.channel.name}>"
