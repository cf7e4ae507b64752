"""A Redis channel layer built for workers: many channels per receive, at-least-once
delivery on normal channels, and one write per process on group fan-out."""

from ._streams import Delivery
from .core import ForeignChannel, RedisChannelLayer

__all__ = ["Delivery", "ForeignChannel", "RedisChannelLayer"]
