"""The Django Channels 1.x programming model on today's stack: Channel, Group and
Message, routing, runworker workers, and a Daphne bridge, on a Redis layer."""

from .asgi import channel_layers
from .channel import DEFAULT_CHANNEL_LAYER, Channel, Group
from .message import Message
from .nonblocking import nonblocking
from .routing import include, route, route_class

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_CHANNEL_LAYER", "Channel", "Group", "Message", "channel_layers", "include", "nonblocking", "route",
    "route_class",
]
