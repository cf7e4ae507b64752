"""Class-based WebSocket consumers, as 1.x had them: ``WebsocketConsumer`` (text and
bytes), ``JsonWebsocketConsumer`` (JSON), and several streams over one socket with
``WebsocketDemultiplexer`` and the ``{"stream", "payload"}`` frames of
``WebsocketMultiplexer``."""

import functools
import json

from django.core.serializers.json import DjangoJSONEncoder

from ..auth import channel_and_http_session_user_from_http, channel_session_user_from_http
from ..channel import Group
from ..exceptions import InvalidFrame, SendNotAvailableOnDemultiplexer
from ..sessions import enforce_ordering
from .base import BaseConsumer

__all__ = ["JsonWebsocketConsumer", "WebsocketConsumer", "WebsocketDemultiplexer", "WebsocketMultiplexer"]


def _reply(text=None, bytes=None, close=False):
    """A reply message: ``text`` or ``bytes`` (one is needed), and ``close`` if set."""
    message = {"close": close} if close else {}
    if text is not None:
        message["text"] = text
    elif bytes is not None:
        message["bytes"] = bytes
    else:
        raise ValueError("You must pass text or bytes")
    return message


class WebsocketConsumer(BaseConsumer):
    """A WebSocket's connect, frames and disconnect: override ``connect``, ``receive``
    and ``disconnect``. ``groups`` (or ``connection_groups()``) are joined on connect
    and left on disconnect; ``http_user`` (or ``http_user_and_session``) gives every
    handler ``message.user`` from the login of the page that opened the socket;
    ``strict_ordering`` runs the socket's messages in the order it sent them."""

    method_mapping = {
        "websocket.connect": "raw_connect",
        "websocket.receive": "raw_receive",
        "websocket.disconnect": "raw_disconnect",
    }
    http_user = False
    http_user_and_session = False
    strict_ordering = False
    groups = None

    def get_handler(self, message, **kwargs):
        """The handler with the session, user and ordering decorators the class
        attributes ask for; also sets ``self.path``."""
        if getattr(self, "slight_ordering", False):
            raise ValueError("Slight ordering is always on now: remove slight_ordering=True")
        if self.http_user or self.http_user_and_session:
            self.channel_session_user = True
        self.path = message["path"]
        handler = super().get_handler(message, **kwargs)
        if self.http_user_and_session:
            handler = channel_and_http_session_user_from_http(handler)
        elif self.http_user:
            handler = channel_session_user_from_http(handler)
        if self.strict_ordering:
            handler = enforce_ordering(handler)
        return handler

    def connection_groups(self, **kwargs):
        """The groups a socket joins on connect and leaves on disconnect; ``kwargs``
        are the route's named groups."""
        return self.groups or []

    def raw_connect(self, message, **kwargs):
        for group in self.connection_groups(**kwargs):
            Group(group, channel_layer=message.channel_layer).add(message.reply_channel)
        self.connect(message, **kwargs)

    def connect(self, message, **kwargs):
        """Called on websocket.connect; accepts the socket unless overridden."""
        self.message.reply_channel.send({"accept": True})

    def raw_receive(self, message, **kwargs):
        if "text" in message:
            self.receive(text=message["text"], **kwargs)
        else:
            self.receive(bytes=message["bytes"], **kwargs)

    def receive(self, text=None, bytes=None, **kwargs):
        """Called with each frame's ``text`` or ``bytes``."""

    def send(self, text=None, bytes=None, close=False):
        """Send a text or bytes frame to this socket, and close it after if ``close``
        (True, or a close code)."""
        self.message.reply_channel.send(_reply(text, bytes, close))

    @classmethod
    def group_send(cls, name, text=None, bytes=None, close=False):
        """Send a frame to every socket of the group ``name``."""
        Group(name).send(_reply(text, bytes, close))

    def close(self, status=True):
        """Close this socket (with code ``status``, or 1000 for True)."""
        self.message.reply_channel.send({"close": status})

    def raw_disconnect(self, message, **kwargs):
        for group in self.connection_groups(**kwargs):
            Group(group, channel_layer=message.channel_layer).discard(message.reply_channel)
        self.disconnect(message, **kwargs)

    def disconnect(self, message, **kwargs):
        """Called on websocket.disconnect, after the socket left its groups."""


class JsonWebsocketConsumer(WebsocketConsumer):
    """A WebsocketConsumer speaking JSON: ``receive(content)`` gets each text frame
    decoded, ``send(content)`` encodes. A frame that is bytes or not JSON is dropped
    with a warning naming the channel and path."""

    def raw_receive(self, message, **kwargs):
        if "text" not in message:
            raise InvalidFrame(f"{type(self).__qualname__} takes JSON text frames, and this one is bytes")
        try:
            content = self.decode_json(message["text"])
        except ValueError as error:
            raise InvalidFrame(f"the frame is not JSON ({error})") from None
        self.receive(content, **kwargs)

    def receive(self, content, **kwargs):
        """Called with each frame, decoded."""

    def send(self, content, close=False):
        """Send ``content`` as JSON, and close the socket after if ``close``."""
        super().send(text=self.encode_json(content), close=close)

    @classmethod
    def decode_json(cls, text):
        return json.loads(text)

    @classmethod
    def encode_json(cls, content):
        return json.dumps(content)

    @classmethod
    def group_send(cls, name, content, close=False):
        """Send ``content`` as JSON to every socket of the group ``name``."""
        WebsocketConsumer.group_send(name, cls.encode_json(content), close=close)


class WebsocketMultiplexer:
    """Sends one stream's payloads to a socket, framed as ``{"stream", "payload"}``;
    the demultiplexer gives one to its consumers as the ``multiplexer`` argument."""

    stream = None
    reply_channel = None

    def __init__(self, stream, reply_channel):
        self.stream = stream
        self.reply_channel = reply_channel

    def send(self, payload):
        """Send ``payload`` on our stream to our socket."""
        self.reply_channel.send(self.encode(self.stream, payload))

    @classmethod
    def encode_json(cls, content):
        return json.dumps(content, cls=DjangoJSONEncoder)

    @classmethod
    def encode(cls, stream, payload):
        """The reply message carrying ``payload`` on ``stream``."""
        return {"text": cls.encode_json({"stream": stream, "payload": payload})}

    @classmethod
    def group_send(cls, name, stream, payload, close=False):
        """Send ``payload`` on ``stream`` to every socket of the group ``name``."""
        message = cls.encode(stream, payload)
        if close:
            message["close"] = True
        Group(name).send(message)


class WebsocketDemultiplexer(JsonWebsocketConsumer):
    """Several streams over one socket: ``consumers`` maps a stream name to the
    consumer of its frames (a consumer class, or a callable such as a binding's
    ``consumer``). Frames are ``{"stream": name, "payload": {...}}``; the consumer
    gets the message with the payload as its text and a ``multiplexer`` to answer
    through. Connect and disconnect reach every stream's consumer."""

    consumers = {}
    multiplexer_class = WebsocketMultiplexer

    def connect(self, message, **kwargs):
        self.message.reply_channel.send({"accept": True})
        self._call_every_consumer(message, kwargs)

    def disconnect(self, message, **kwargs):
        self._call_every_consumer(message, kwargs)

    def _call_every_consumer(self, message, kwargs):
        for stream, consumer in self.consumers.items():
            multiplexer = self.multiplexer_class(stream, message.reply_channel)
            _framed(consumer)(message, **{**kwargs, "multiplexer": multiplexer})

    def receive(self, content, **kwargs):
        if not isinstance(content, dict):
            raise InvalidFrame(f"a multiplexed frame must be a JSON object, not {type(content).__name__}")
        for key in ("stream", "payload"):
            if key not in content:
                raise InvalidFrame(f"a multiplexed frame needs a {key!r} key")
        stream, payload = content["stream"], content["payload"]
        if not isinstance(payload, dict):
            raise InvalidFrame(f"the payload of a multiplexed frame must be a JSON object, not {type(payload).__name__}")
        try:
            consumer = self.consumers[stream]
        except (KeyError, TypeError):
            raise InvalidFrame(f"no consumer for stream {stream!r} (streams: {', '.join(map(repr, self.consumers))})")
        self.message.content["text"] = self.encode_json(payload)
        multiplexer = self.multiplexer_class(stream, self.message.reply_channel)
        _framed(consumer)(self.message, **{**kwargs, "multiplexer": multiplexer})

    def send(self, *args, **kwargs):
        raise SendNotAvailableOnDemultiplexer("Use multiplexer.send of the multiplexer kwarg.")

    @classmethod
    def group_send(cls, name, stream, payload, close=False):
        raise SendNotAvailableOnDemultiplexer("Use WebsocketMultiplexer.group_send")


def _framed(consumer):
    """The consumer as a demultiplexer runs it: a consumer class's ``send`` would
    write unframed frames, so it runs as a subclass whose ``send`` raises
    SendNotAvailableOnDemultiplexer (the class itself is left as it is)."""
    if not isinstance(consumer, type) or not hasattr(consumer, "send"):
        return consumer
    return _subclass_without_send(consumer)


@functools.cache
def _subclass_without_send(consumer_class):
    return type(consumer_class.__name__, (consumer_class,), {
        "send": WebsocketDemultiplexer.send,
        "__qualname__": consumer_class.__qualname__,
        "__module__": consumer_class.__module__,
    })
