"""Data binding, as 1.x had it: a model bound to a stream sends every save and
delete to the groups that follow it, and takes creates, updates and deletes from
sockets that have permission. ``Binding`` here; ``websockets`` has the WebSocket ones."""

from .base import Binding

__all__ = ["Binding"]
