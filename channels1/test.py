"""Testing a 1.x project's consumers without Redis, as `channels.test` did:
ChannelTestCase swaps in the in-memory layer with a copy of the routing, Client and
WSClient send to it and run the routed consumer as a worker would."""

import copy
import functools
import inspect
import json
import random
import string
import warnings

from channels.layers import channel_layers
from django.apps import apps
from django.conf import settings
from django.http import HttpRequest
from django.test import TestCase, TransactionTestCase

from . import _sync
from ._held_sends import holding_sends
from ._ordering import one_at_a_time
from .asgi import ChannelLayerWrapper
from .asgi import channel_layers as legacy_channel_layers
from .channel import DEFAULT_CHANNEL_LAYER, Group, send_held
from .exceptions import ChannelSocketException
from .inmemory import ChannelLayer
from .message import Message
from .routing import Router, include
from .sessions import session_for_reply_channel
from .signals import consumer_finished, consumer_started, database_connections_kept

__all__ = [
    "ChannelTestCase",
    "ChannelTestCaseMixin",
    "Client",
    "HttpClient",
    "TransactionChannelTestCase",
    "WSClient",
    "apply_routes",
]


def swap_channel_layer(alias, layer):
    """Make ``layer`` what ``get_channel_layer(alias)`` returns (channels 4's and 1.x's
    ``channels.asgi``), and so the layer that Channel and Group use, or forget the
    alias's layer if ``layer`` is None (it is built from settings again on next use).
    Returns the layer it replaced."""
    legacy_channel_layers.backends.pop(alias, None)  # rebuilt over channels 4's on next use
    if layer is None:
        return channel_layers.backends.pop(alias, None)
    if isinstance(layer, ChannelLayer):
        legacy_channel_layers.set(alias, ChannelLayerWrapper(layer, alias, getattr(layer, "routing", None)))
    return channel_layers.set(alias, layer)


def _routing_of(alias):
    """A copy of the routing of ``alias``: its current layer's, else from settings
    (``CHANNEL_LAYERS[alias]["ROUTING"]``, or CHANNEL_ROUTING for the default alias)."""
    routing = getattr(channel_layers.backends.get(alias), "routing", None)
    if routing is None:
        routing = getattr(settings, "CHANNEL_LAYERS", {}).get(alias, {}).get("ROUTING")
    if routing is None and alias == DEFAULT_CHANNEL_LAYER:
        routing = getattr(settings, "CHANNEL_ROUTING", None)
    return [] if routing is None else Router.resolve_routing(routing)


def _route(layer, routing):
    # The layer carries its routing, as 1.x's layer wrapper did.
    layer.routing = routing
    layer.router = Router(routing)


def _next_message(alias, channel):
    layer = channel_layers[alias]
    received_channel, content = layer.receive_many([channel])
    if received_channel is None:
        return None
    return Message(content, received_channel, layer)


class ChannelTestCaseMixin:
    """Swaps in a fresh in-memory layer for each alias in ``test_channel_aliases``
    during each test, routed like the real one (without the fallbacks workers add)."""

    test_channel_aliases = [DEFAULT_CHANNEL_LAYER]

    @classmethod
    def _pre_setup(cls):
        super()._pre_setup()
        cls._old_layers = {}
        for alias in cls.test_channel_aliases:
            layer = ChannelLayer()
            _route(layer, _routing_of(alias))
            cls._old_layers[alias] = swap_channel_layer(alias, layer)

    def _post_teardown(self):
        for alias, old_layer in type(self)._old_layers.items():
            swap_channel_layer(alias, old_layer)
        del type(self)._old_layers
        super()._post_teardown()

    def get_next_message(self, channel, alias=DEFAULT_CHANNEL_LAYER, require=False):
        """The next message sent to ``channel`` during the test, or None; with
        ``require``, no message fails the test."""
        message = _next_message(alias, channel)
        if message is None and require:
            self.fail(f"Expected a message on channel {channel}, got none")
        return message


class ChannelTestCase(ChannelTestCaseMixin, TestCase):
    """A Django TestCase whose consumers run on the in-memory layer."""


class TransactionChannelTestCase(ChannelTestCaseMixin, TransactionTestCase):
    """A Django TransactionTestCase whose consumers run on the in-memory layer."""


def _run_consumer(consumer, message, kwargs):
    """Run a consumer as a worker would: between consumer_started and
    consumer_finished, with its sends held until it has returned (also when it
    raised); a ChannelSocketException answers the socket, other errors reach the test.
    Ordered consumers leave each message for the test to consume (``one_at_a_time``)."""
    one_at_a_time_token = one_at_a_time.set(True)
    with database_connections_kept(), holding_sends() as held:
        consumer_started.send(sender=Client, environ={})
        try:
            if inspect.iscoroutinefunction(consumer):
                return _sync.call(lambda: consumer(message, **kwargs))
            return consumer(message, **kwargs)
        except ChannelSocketException as error:
            error.run(message)
        finally:
            consumer_finished.send(sender=Client)
            _sync.call(lambda: send_held(held))
            one_at_a_time.reset(one_at_a_time_token)


class Client:
    """Sends messages with a reply channel of its own and runs the consumer each one
    is routed to, on the layer of ``alias``."""

    def __init__(self, alias=DEFAULT_CHANNEL_LAYER):
        self.reply_channel = alias + "".join(random.choice(string.ascii_letters) for _ in range(5))
        self.alias = alias

    @property
    def channel_layer(self):
        return channel_layers[self.alias]

    def _router(self):
        router = getattr(self.channel_layer, "router", None)
        if router is None:
            raise RuntimeError(
                f"The channel layer {self.alias!r} has no routing: use the client inside a "
                "ChannelTestCase or TransactionChannelTestCase, or within apply_routes"
            )
        return router

    def get_next_message(self, channel):
        """The next message on ``channel``, or None."""
        return _next_message(self.alias, channel)

    def get_consumer_by_channel(self, channel):
        """The consumer routed for a message on ``channel`` (with no other keys), or None."""
        match = self._router().match(Message({"text": ""}, channel, self.channel_layer))
        return match[0] if match else None

    def send(self, to, content={}):
        """Send ``content`` to the channel ``to`` at once, with our reply channel."""
        content = copy.deepcopy(content)
        content.setdefault("reply_channel", self.reply_channel)
        self.channel_layer.send(to, content)

    def consume(self, channel, fail_on_none=True):
        """Take the next message on ``channel`` and run its consumer; returns what the
        consumer returned. No message or no route fails, unless not ``fail_on_none``."""
        message = self.get_next_message(channel)
        if message is None:
            if fail_on_none:
                raise AssertionError(f"No message for channel {channel}")
            return None
        match = self._router().match(message)
        if match is None:
            if fail_on_none:
                raise AssertionError(f"Can't find consumer for message on {channel}: {message.content}")
            return None
        consumer, kwargs = match
        return _run_consumer(consumer, message, kwargs)

    def send_and_consume(self, channel, content={}, fail_on_none=True):
        """``send`` then ``consume``."""
        self.send(channel, content)
        return self.consume(channel, fail_on_none=fail_on_none)

    def receive(self):
        """The content of the next message on our reply channel, or None."""
        message = self.get_next_message(self.reply_channel)
        return message.content if message is not None else None

    def join_group(self, group_name):
        """Add our reply channel to a group."""
        Group(group_name, alias=self.alias).add(self.reply_channel)


class WSClient(Client):
    """A WebSocket client: messages carry a path, headers with its cookies (the
    session's among them until the first send) and, if ``ordered``, an ``order``;
    ``receive`` decodes JSON text."""

    def __init__(self, ordered=False, **kwargs):
        super().__init__(**kwargs)
        self._ordered = ordered
        self._session = None
        self._headers = {}
        self._cookies = {}
        self._session_cookie = True
        self.order = 0

    def set_cookie(self, key, value):
        self._cookies[key] = value

    def set_header(self, key, value):
        if key.lower() == "cookie":
            raise ValueError("Use set_cookie method for cookie header")
        self._headers[key] = value

    def get_cookies(self):
        """Our cookies, with the session's while no message has been sent yet."""
        cookies = dict(self._cookies)
        if self._session_cookie and apps.is_installed("django.contrib.sessions"):
            cookies[settings.SESSION_COOKIE_NAME] = self.session.session_key
        return cookies

    @property
    def headers(self):
        """The headers we send, by name, with the cookies as one cookie header."""
        headers = copy.deepcopy(self._headers)
        headers.setdefault("cookie", "; ".join(f"{key}={value}" for key, value in self.get_cookies().items()))
        return headers

    @property
    def session(self):
        """Our channel session (that of our reply channel); it is also the HTTP
        session our cookies name."""
        if not apps.is_installed("django.contrib.sessions"):
            raise EnvironmentError("Add django.contrib.sessions to the INSTALLED_APPS to use session")
        if self._session is None:
            self._session = session_for_reply_channel(self.reply_channel)
        return self._session

    def send(self, to, content={}, text=None, path="/"):
        """Send to the channel ``to``: ``path`` may carry a query string (kept for
        websocket.connect), and ``text`` that is not a str goes as JSON."""
        self.channel_layer.send(to, self._content(to, content, text, path))
        self._session_cookie = False

    def _content(self, to, content, text, path):
        content = copy.deepcopy(content)
        content.setdefault("reply_channel", self.reply_channel)
        path, _, query_string = path.partition("?")
        content.setdefault("path", path)
        if to == "websocket.connect":
            content.setdefault("query_string", query_string)
        content.setdefault("headers", [[_bytes(name.lower()), _bytes(value)] for name, value in self.headers.items()])
        if self._ordered:
            if "order" in content:
                raise ValueError('Do not use "order" manually with "ordered=True"')
            content["order"] = self.order
            self.order += 1
        text = text if text is not None else content.get("text")
        if text is not None:
            content["text"] = text if isinstance(text, str) else json.dumps(text)
        return content

    def receive(self, json=True):
        """The next reply: its text decoded as JSON (``json=True``), its text, or the
        whole content if it has no text; None if there is none."""
        content = super().receive()
        if content is None:
            return None
        if json and isinstance(content.get("text"), str):
            return _json_loads(content["text"])
        return content.get("text", content)

    def consume(self, channel, fail_on_none=True, check_accept=True):
        """As Client.consume; on websocket.connect with ``check_accept``, the reply
        must be exactly ``{"accept": True}``."""
        result = super().consume(channel, fail_on_none=fail_on_none)
        if channel == "websocket.connect" and check_accept:
            received = self.receive(json=False)
            if received != {"accept": True}:
                raise AssertionError(f"Connection rejected: {received} != {{'accept': True}}")
        return result

    def send_and_consume(self, channel, content={}, text=None, path="/", fail_on_none=True, check_accept=True):
        """``send`` then ``consume``."""
        self.send(channel, content, text, path)
        return self.consume(channel, fail_on_none=fail_on_none, check_accept=check_accept)

    def login(self, **credentials):
        """Log in with ``authenticate(**credentials)``; False if that fails, the user
        is inactive or sessions are not installed."""
        from django.contrib.auth import authenticate

        user = authenticate(**credentials)
        if user is None or not user.is_active or not apps.is_installed("django.contrib.sessions"):
            return False
        self._login(user)
        return True

    def force_login(self, user, backend=None):
        """Log ``user`` in without credentials (with the first backend unless given)."""
        user.backend = backend or settings.AUTHENTICATION_BACKENDS[0]
        self._login(user)

    def _login(self, user):
        from django.contrib.auth import login

        request = HttpRequest()
        request.session = self.session
        login(request, user)
        self.session.save()


class HttpClient(WSClient):
    """The old name of WSClient."""

    def __init__(self, **kwargs):
        warnings.warn("HttpClient is deprecated: use WSClient", DeprecationWarning, stacklevel=2)
        super().__init__(**kwargs)


def _bytes(value):
    return value if isinstance(value, bytes) else str(value).encode("latin-1")


_json_loads = json.loads  # WSClient.receive's argument named json hides the module


class apply_routes:
    """Routes the layers of ``aliases`` with ``routes`` for a while: as a context
    manager, a test function decorator, or a TestCase class decorator (from setUp
    to tearDown). ``routes`` is a route, a list of routes, or a list of lists."""

    def __init__(self, routes, aliases=[DEFAULT_CHANNEL_LAYER]):
        self.routes = routes
        self._aliases = aliases
        self._old_routing = {}

    def _routing(self):
        if not isinstance(self.routes, (list, tuple)):
            return [self.routes]
        if self.routes and isinstance(self.routes[0], (list, tuple)):
            return [include(routes) for routes in self.routes]
        return list(self.routes)

    def enter(self):
        for alias in self._aliases:
            layer = channel_layers[alias]
            self._old_routing[alias] = getattr(layer, "routing", [])
            _route(layer, self._routing())

    def exit(self, exc_type=None, exc_val=None, exc_tb=None):
        for alias in self._aliases:
            _route(channel_layers[alias], self._old_routing.pop(alias))

    __enter__ = enter
    __exit__ = exit

    def __call__(self, test):
        if isinstance(test, type):
            old_setup, old_teardown = test.setUp, test.tearDown

            def setUp(this):
                self.enter()
                old_setup(this)

            def tearDown(this):
                self.exit()
                old_teardown(this)

            test.setUp, test.tearDown = setUp, tearDown
            return test

        @functools.wraps(test)
        def inner(*args, **kwargs):
            with self:
                return test(*args, **kwargs)

        return inner
