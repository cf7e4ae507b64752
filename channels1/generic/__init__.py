"""Class-based consumers, as 1.x had them: ``BaseConsumer`` here, and the WebSocket
consumers, multiplexer and demultiplexer in ``websockets``."""

from .base import BaseConsumer

__all__ = ["BaseConsumer"]
