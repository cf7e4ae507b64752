"""`DelayedMessage`, the name 1.x code used for a message waiting for its time. Here
it is no database row: delayed messages wait in Redis (`channels1.layer.delayed`)."""

import json

from ..channel import Channel
from .server import DELAY_CHANNEL


class DelayedMessage:
    """A message for ``channel_name`` (``content`` a dict or its JSON) due ``delay``
    milliseconds after ``save()``, which sends it to the delay server; ``send()``
    delivers it at once instead."""

    def __init__(self, channel_name, content, delay=0):
        self.channel_name = channel_name
        self.content = content
        self.delay = delay

    @property
    def content_dict(self):
        return json.loads(self.content) if isinstance(self.content, (str, bytes)) else self.content

    def save(self):
        Channel(DELAY_CHANNEL).send(
            {"channel": self.channel_name, "content": self.content_dict, "delay": self.delay}, immediately=True
        )

    def send(self, channel_layer=None):
        Channel(self.channel_name, channel_layer=channel_layer).send(self.content_dict, immediately=True)

    def __repr__(self):
        return f"<DelayedMessage for {self.channel_name} in {self.delay} ms>"
