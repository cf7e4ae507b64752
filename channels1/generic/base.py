"""``BaseConsumer``: a class routed with ``route_class`` whose instance is created for
each message and runs the method its ``method_mapping`` names for the channel."""

from ..auth import channel_session_user
from ..routing import route_class
from ..sessions import channel_session

__all__ = ["BaseConsumer"]


class BaseConsumer:
    """Base class of class-based consumers. The route calls the class with the
    message, so creating the instance handles the message: ``self.message`` and
    ``self.kwargs`` (the route's named groups) are kept, then ``dispatch`` runs the
    method that ``method_mapping`` names for the message's channel."""

    method_mapping = {}
    channel_session = False
    channel_session_user = False

    def __init__(self, message, **kwargs):
        self.message = message
        self.kwargs = kwargs
        self.dispatch(message, **kwargs)

    @classmethod
    def channel_names(cls):
        """The channels this consumer is routed on: the keys of ``method_mapping``."""
        return set(cls.method_mapping)

    @classmethod
    def as_route(cls, attrs=None, **filters):
        """A ``route_class`` of this consumer with ``filters``; ``attrs`` (a dict) set
        class attributes on a subclass made for this route."""
        consumer = cls
        if attrs:
            if not isinstance(attrs, dict):
                raise ValueError(f"as_route takes attrs as a dict of class attributes, not {type(attrs).__name__}")
            consumer = type(cls.__name__, (cls,), attrs)
        return route_class(consumer, **filters)

    def get_handler(self, message, **kwargs):
        """The bound method for the message's channel, wrapped in channel_session_user
        (if ``channel_session_user``) or channel_session (if ``channel_session``)."""
        channel = message.channel.name
        try:
            name = self.method_mapping[channel]
        except KeyError:
            raise ValueError(
                f"{type(self).__qualname__} got a message on {channel}, which its method_mapping "
                f"({sorted(self.method_mapping)}) does not name: route it only on channel_names()"
            ) from None
        handler = getattr(self, name)
        if self.channel_session_user:
            return channel_session_user(handler)
        if self.channel_session:
            return channel_session(handler)
        return handler

    def dispatch(self, message, **kwargs):
        """Run the handler of the message's channel."""
        return self.get_handler(message, **kwargs)(message, **kwargs)
