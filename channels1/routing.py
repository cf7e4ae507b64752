"""Channel routing: ``route``, ``route_class`` and ``include`` map a message's channel
(and, via regex filters, its keys such as ``path``) to a consumer; ``Router`` holds
the routing of a channel layer and finds the consumer for each message."""

import copy
import re

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

__all__ = [
    "Include",
    "Route",
    "RouteClass",
    "Router",
    "accept_connection",
    "ignore_message",
    "include",
    "route",
    "route_class",
]


def _import(path, what):
    """Import a dotted path, or raise ImproperlyConfigured naming it."""
    try:
        return import_string(path)
    except ImportError as error:
        raise ImproperlyConfigured(
            f"Cannot import {what} {path!r}: {error}. Give the full dotted path of an "
            f"object in an importable module (e.g. 'myapp.consumers.ws_connect')."
        ) from error


def _text(value):
    """A message value or regex as str: bytes are decoded as ASCII. Returns None for
    values that can't be matched (not text, or bytes that aren't ASCII)."""
    if isinstance(value, bytes):
        try:
            return value.decode("ascii")
        except UnicodeDecodeError:
            return None
    return value if isinstance(value, str) else None


def _compile(key, pattern, where):
    """Compile a filter/prefix regex given as str, bytes (ASCII) or a compiled str pattern."""
    if isinstance(pattern, re.Pattern):
        if isinstance(pattern.pattern, bytes):
            return re.compile(pattern.pattern.decode("ascii"), pattern.flags)
        return pattern
    if isinstance(pattern, bytes):
        pattern = pattern.decode("ascii")
    if not isinstance(pattern, str):
        raise ValueError(
            f"The {where} for {key!r} must be a regex string (str or bytes), not {type(pattern).__name__}."
        )
    return re.compile(pattern)


def _check_entry(entry):
    """Make sure a routing entry can be matched and listed, or say how to fix it."""
    if not (callable(getattr(entry, "match", None)) and callable(getattr(entry, "channel_names", None))):
        hint = " (wrap a nested list in include())" if isinstance(entry, (list, tuple)) else ""
        raise ImproperlyConfigured(
            f"Routing entry {entry!r} is not a route{hint}: use route(), route_class() or "
            f"include(), or an object with match(message) and channel_names() methods."
        )
    return entry


class Route:
    """Routes one channel name, or a list of them, to a consumer (a callable or its
    dotted path), optionally only for messages whose keys match regex filters:
    ``route("websocket.connect", ws_connect, path=r"^/chat/(?P<room>[^/]+)/$")``."""

    def __init__(self, channels, consumer, **filters):
        if isinstance(channels, (str, bytes)):
            channels = [channels]
        self.channels = [c.decode("ascii") if isinstance(c, bytes) else c for c in channels]
        self.consumer = self._resolve_consumer(consumer)
        self.filters = {key: _compile(key, value, "filter") for key, value in filters.items()}
        for key, regex in self.filters.items():
            if regex.groups != len(regex.groupindex):
                raise ValueError(
                    f"The filter for {key!r} on {self} has positional groups; only named "
                    f"groups are allowed: use (?P<name>...), or (?:...) for a group that "
                    f"captures nothing."
                )

    @staticmethod
    def _resolve_consumer(consumer):
        """The consumer itself, imported first if given as a dotted path."""
        if isinstance(consumer, str):
            return _import(consumer, "consumer")
        return consumer

    def match(self, message):
        """``(consumer, kwargs)`` if the message is on one of our channels and every
        filter matches the start of its key (named groups become kwargs), else None."""
        if message.channel.name not in self.channels:
            return None
        kwargs = {}
        for key, regex in self.filters.items():
            if key not in message:
                return None
            value = _text(message[key])
            found = regex.match(value) if value is not None else None
            if found is None:
                return None
            kwargs.update(found.groupdict())
        return self.consumer, kwargs

    def channel_names(self):
        """The set of channel names this route listens on."""
        return set(self.channels)

    def __str__(self):
        filters = ", ".join(f"{key}={regex.pattern}" for key, regex in self.filters.items())
        consumer = getattr(self.consumer, "__qualname__", None) or repr(self.consumer)
        module = getattr(self.consumer, "__module__", None)
        name = f"{module}.{consumer}" if module else consumer
        return "/".join(self.channels) + (f" ({filters})" if filters else "") + f" -> {name}"

    def __repr__(self):
        return f"<{type(self).__name__} {self}>"


class RouteClass(Route):
    """Routes a class-based consumer (or its dotted path) on the channels given by
    its ``channel_names()`` classmethod, with the same filters as Route."""

    def __init__(self, consumer_class, **filters):
        consumer_class = self._resolve_consumer(consumer_class)
        if not callable(getattr(consumer_class, "channel_names", None)):
            raise ValueError(
                f"The consumer passed to route_class ({consumer_class!r}) has no channel_names() "
                f"method: subclass BaseConsumer (from channels.generic, or channels1.generic) and "
                f"fill its method_mapping, or use route() for a function consumer."
            )
        super().__init__(list(consumer_class.channel_names()), consumer_class, **filters)


class Include:
    """Includes another routing (a list, a ``{channel: consumer}`` dict, or the dotted
    path of either), optionally under key prefixes: ``include("chat.routing",
    path=r"^/chat")`` cuts ``/chat`` off the path before the inner routes see it."""

    def __init__(self, routing, **prefixes):
        self.routing = Router.resolve_routing(routing)
        self.prefixes = {key: _compile(key, value, "prefix") for key, value in prefixes.items()}

    def match(self, message):
        """``(consumer, kwargs)`` of the first inner entry that matches once our
        prefixes are cut off (matched on a copy; the consumer still gets the original
        message), with our named groups merged under the inner ones; else None."""
        kwargs = {}
        if self.prefixes:
            content = dict(message.content)
            for key, regex in self.prefixes.items():
                if key not in content:
                    return None
                value = _text(content[key])
                found = regex.match(value) if value is not None else None
                if found is None:
                    return None
                kwargs.update(found.groupdict())
                content[key] = value[found.end() :]
            # The inner routing sees a shallow copy of the message with the cut content.
            message = copy.copy(message)
            message.content = content
        for entry in self.routing:
            found = entry.match(message)
            if found is not None:
                consumer, inner_kwargs = found
                return consumer, {**kwargs, **inner_kwargs}
        return None

    def channel_names(self):
        """The set of channel names of every included entry."""
        names = set()
        for entry in self.routing:
            names.update(entry.channel_names())
        return names

    def __repr__(self):
        prefixes = ", ".join(f"{key}={regex.pattern}" for key, regex in self.prefixes.items())
        return f"<Include of {len(self.routing)} entries" + (f" ({prefixes})>" if prefixes else ">")


def accept_connection(message, **kwargs):
    """Default websocket.connect consumer: accepts every connection."""
    message.reply_channel.send({"accept": True})


def ignore_message(message, **kwargs):
    """Default websocket.receive / websocket.disconnect consumer: does nothing."""


class Router:
    """The routing of a channel layer: finds the consumer for a message by trying
    each entry in order. Entries are routes, includes, or any object with
    ``match(message)`` and ``channel_names()``."""

    def __init__(self, routing):
        self.root = Include(routing)
        self.channels = self.root.channel_names()

    def add_route(self, route):
        """Append an entry at the end of the routing (it only wins if nothing before
        it matches)."""
        self.root.routing.append(_check_entry(route))
        self.channels = self.root.channel_names()

    def match(self, message):
        """``(consumer, kwargs)`` for the first entry matching the message, else None."""
        return self.root.match(message)

    def check_default(self, http_consumer=None):
        """Append the fallbacks workers rely on: websocket.connect accepts, and
        websocket.receive / websocket.disconnect do nothing. Routes already present
        come first and so win. HTTP is served by Django itself, so http.request
        is only routed if an ``http_consumer`` is given."""
        if http_consumer is not None:
            self.add_route(Route("http.request", http_consumer))
        self.add_route(Route("websocket.connect", accept_connection))
        self.add_route(Route("websocket.receive", ignore_message))
        self.add_route(Route("websocket.disconnect", ignore_message))

    @staticmethod
    def resolve_routing(routing):
        """A routing as a new list of entries: imports a dotted path, and turns a
        ``{channel: consumer}`` dict into routes."""
        if isinstance(routing, str):
            routing = _import(routing, "channel routing")
        if isinstance(routing, dict):
            return [Route(channel, consumer) for channel, consumer in routing.items()]
        if isinstance(routing, (list, tuple)):
            return [_check_entry(entry) for entry in routing]
        raise ImproperlyConfigured(
            f"Channel routing must be a list of routes, a {{channel: consumer}} dict, or the "
            f"dotted path of one, not {type(routing).__name__}."
        )


# Lowercase names, as in urls.py.
route = Route
route_class = RouteClass
include = Include
