"""`WebSocketBridge`: the WebSocket half of Daphne 1.x as an ASGI application. Each
socket's events become ASGI 1.0 messages on the websocket.* channels of the channel
layer, and the replies workers send to its reply channel are applied to the socket."""

import asyncio
import collections
import logging
import time
import weakref

from channels.exceptions import ChannelFull, MessageTooLarge
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from . import _daphne
from ._daphne import DENIAL_EXTENSION, EXTRA_CLOSE_CODES
from ._dead_daphnes import ABNORMAL_CLOSURE
from ._disconnects import Disconnects
from ._heartbeat import Heartbeat
from ._socket_upkeep import SocketUpkeep
from ._redis_watch import RedisWatch
from .exceptions import REDIS_UNREACHABLE

_daphne.install()

logger = logging.getLogger("channels1.bridge")

DEFAULT_HANDSHAKE_TIMEOUT = 5
DEFAULT_FULL_TIMEOUT = 30
DEFAULT_WINDOW = 20
DEFAULT_OUTAGE_GRACE = 5
REPLY_KEYS = frozenset({"accept", "text", "bytes", "close"})
# Pauses between tries of a send that found no room: doubling from the first to the last.
RETRY_PAUSES = (0.01, 0.25)

# Close codes: Redis did not answer for a while (1011), or came back without its data,
# so the socket's group memberships are gone and the page must connect again (1012).
REDIS_UNREACHABLE_CODE = 1011
REDIS_DATA_LOST_CODE = 1012

# Socket states, as seen from the bridge.
HANDSHAKE, OPEN, CLOSED = "handshake", "open", "closed"


class WebSocketBridge:
    """ASGI 3 application for ``websocket`` scopes that does what Daphne 1.x did.

    On connect it sends ``websocket.connect`` (with a new ``daphne.response.*`` reply
    channel) to the layer of ``alias``, then applies the replies on that channel:
    ``accept``, ``text``/``bytes`` and ``close``. A connect not answered within
    ``handshake_timeout`` seconds (default: the ``CHANNELS1_WEBSOCKET_HANDSHAKE_TIMEOUT``
    setting, else 5) is rejected with HTTP 403. Frames become ``websocket.receive``
    and the end of the socket ``websocket.disconnect``, in order.

    Backpressure instead of disconnects: at most ``window`` messages of one socket
    (``CHANNELS1_WEBSOCKET_WINDOW``, 20) wait in websocket.receive for a worker; while
    they do, or while the channel is full or Redis does not answer, the bridge stops
    reading the socket (TCP pushes back on the client) and tries again. Only after
    ``full_timeout`` seconds (``CHANNELS1_WEBSOCKET_FULL_TIMEOUT``, 30) does it close
    the socket, with 1013 (no room) or 1011 (Redis unreachable); a connect waits up to
    the handshake timeout before HTTP 503. Sockets are closed with 1011 once Redis has
    not answered for ``outage_grace`` seconds (``CHANNELS1_REDIS_OUTAGE_GRACE``, 5),
    and with 1012 when it comes back without its data, so that pages connect again.
    A socket's ``websocket.disconnect`` is never given up: it is tried again, backing
    off, until it is sent (see ``_disconnects``).

    Daphne 4 also drops sockets still handshaking after its own
    ``--websocket_connect_timeout`` (5 s by default): keep it above
    ``handshake_timeout`` (the Procfile gives 10 s), so that the bridge's 403 or 503
    reaches the client.
    """

    def __init__(self, alias="default", handshake_timeout=None, full_timeout=None, window=None,
                 outage_grace=None):
        self.handshake_timeout = _setting(
            handshake_timeout, "CHANNELS1_WEBSOCKET_HANDSHAKE_TIMEOUT", DEFAULT_HANDSHAKE_TIMEOUT,
            "The WebSocket handshake timeout", "handshake_timeout")
        self.full_timeout = _setting(
            full_timeout, "CHANNELS1_WEBSOCKET_FULL_TIMEOUT", DEFAULT_FULL_TIMEOUT,
            "The time a socket may wait for room in a channel", "full_timeout")
        self.window = int(_setting(
            window, "CHANNELS1_WEBSOCKET_WINDOW", DEFAULT_WINDOW,
            "The window of a socket's messages waiting in websocket.receive", "window"))
        self.outage_grace = _setting(
            outage_grace, "CHANNELS1_REDIS_OUTAGE_GRACE", DEFAULT_OUTAGE_GRACE,
            "The time Redis may not answer before sockets are closed", "outage_grace")
        if get_channel_layer(alias) is None:
            raise ImproperlyConfigured(
                f"WebSocketBridge needs the channel layer {alias!r}: add it to CHANNEL_LAYERS"
            )
        self.alias = alias
        self._sockets = weakref.WeakSet()
        self._watch = None
        self._heartbeat = None
        self._disconnects = Disconnects(warn_after=self.full_timeout)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError(f"WebSocketBridge serves websocket scopes only, not {scope['type']!r}")
        layer = get_channel_layer(self.alias)
        self._watch_redis(layer)
        if self._heartbeat is None:
            # Listed by channels_status from its first socket on.
            self._heartbeat = Heartbeat(layer, "daphne", lambda: {
                "sockets": len(self.open_sockets()), "owner": getattr(layer, "client_prefix", None),
            })
            self._heartbeat.start()
            SocketUpkeep(layer, self.alias, self.open_sockets).start()
        socket = _Socket(layer, scope, receive, send, self)
        self._sockets.add(socket)
        await socket.run()

    def _watch_redis(self, layer):
        if self._watch is None and hasattr(layer, "hosts"):
            self._watch = RedisWatch(
                layer, grace=self.outage_grace,
                on_unreachable=lambda: self._close_all(REDIS_UNREACHABLE_CODE, "Redis does not answer"),
                on_data_lost=lambda epoch: self._close_all(REDIS_DATA_LOST_CODE, "Redis lost its data",
                                                           keep_epoch=epoch),
            )
            self._watch.start()

    def open_sockets(self):
        return [socket for socket in self._sockets if socket.state is OPEN]

    async def _epoch(self):
        """The marker of the data Redis has now (None without a watch): a socket
        whose connect went out with another one lost its group memberships."""
        return None if self._watch is None else await self._watch.epoch()

    def _close_all(self, code, cause, keep_epoch=None):
        sockets = [socket for socket in self._sockets
                   if socket.state is OPEN and (keep_epoch is None or socket.epoch != keep_epoch)]
        if sockets:
            logger.warning("Closing %d WebSocket(s) with code %d: %s", len(sockets), code, cause)
        for socket in sockets:
            asyncio.ensure_future(socket._close(code))


def _setting(value, name, default, what, argument):
    if value is None:
        value = getattr(settings, name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ImproperlyConfigured(f"{what} must be a positive number, not {value!r} ({name} or {argument})")
    return value


class _Socket:
    """One WebSocket: its client events go to the layer in order while its replies
    are applied from a second task."""

    __slots__ = ("layer", "scope", "receive", "send", "bridge", "path", "can_deny", "reply_channel",
                 "state", "order", "muted", "deadline", "waiting", "epoch", "ended", "__weakref__")

    def __init__(self, layer, scope, receive, send, bridge):
        self.layer = layer
        self.scope = scope
        self.receive = receive
        self.send = send
        self.bridge = bridge
        self.path = scope["path"]
        self.can_deny = DENIAL_EXTENSION in (scope.get("extensions") or {})
        self.reply_channel = None
        self.state = HANDSHAKE
        self.order = 0
        # Set once a message of this socket could not be delivered: workers would see
        # a gap in "order", so the socket is closed and nothing more of it is sent.
        self.muted = False
        self.deadline = None  # of the handshake
        # Positions of this socket's messages in websocket.receive no worker took yet.
        self.waiting = collections.deque()
        self.epoch = None  # the marker of the Redis data its connect went to
        self.ended = False  # its websocket.disconnect was handed to the bridge

    async def run(self):
        event = await self.receive()
        self.deadline = asyncio.get_running_loop().time() + self.bridge.handshake_timeout
        if event["type"] != "websocket.connect":
            return
        connected = False
        try:
            if not await self._connect():
                return
            connected = True
            replies = asyncio.get_running_loop().create_task(self._replies())
            try:
                await self._events()
            finally:
                replies.cancel()
                await asyncio.wait([replies])
        finally:
            if not connected:
                await self._untrack()
            elif not self.ended:  # cancelled before the client's close came
                self._end(ABNORMAL_CLOSURE)

    async def _connect(self):
        """Send websocket.connect, trying again while the channel is full or Redis
        does not answer; reject the handshake if it cannot be sent in time."""
        scope = self.scope
        self.reply_channel = await self.layer.new_channel("daphne.response")
        message = {
            "reply_channel": self.reply_channel,
            "scheme": scope.get("scheme") or "ws",
            "root_path": scope.get("root_path") or "",
            "path": self.path,
            "headers": [[bytes(name).lower(), bytes(value)] for name, value in scope.get("headers", ())],
            "query_string": scope.get("query_string") or b"",
            "client": _address(scope.get("client")),
            "server": _address(scope.get("server")),
            "order": 0,
        }
        pauses = _pauses()
        while True:
            try:
                self.epoch = await self.bridge._epoch()
                if hasattr(self.layer, "track_socket"):
                    await self.layer.track_socket(self.reply_channel, self.path)
                await self.layer.send("websocket.connect", message)
                return True
            except ChannelFull:
                problem = "channel websocket.connect is full"
            except REDIS_UNREACHABLE as error:
                problem = f"Redis does not answer: {_cause(error)}"
            except Exception as error:
                logger.error("Rejected WebSocket %s (%s) with HTTP 500: sending websocket.connect failed: %s",
                             self.reply_channel, self.path, _cause(error))
                await self._deny(500)
                return False
            pause = next(pauses)
            if asyncio.get_running_loop().time() + pause > self.deadline:
                logger.error("Rejected WebSocket %s (%s) with HTTP 503 after %s s: %s",
                             self.reply_channel, self.path, self.bridge.handshake_timeout, problem)
                await self._deny(503)
                return False
            await asyncio.sleep(pause)

    async def _events(self):
        """Forward frames and the disconnect, each send awaited before the next."""
        while True:
            event = await self.receive()
            kind = event["type"]
            if kind == "websocket.receive":
                if self.muted:
                    continue
                self.order += 1
                message = {"reply_channel": self.reply_channel, "path": self.path, "order": self.order}
                text = event.get("text")
                if text is not None:
                    message["text"] = text
                else:
                    message["bytes"] = event.get("bytes") or b""
                await self._forward("websocket.receive", message)
            elif kind == "websocket.disconnect":
                code = event.get("code")
                self._end(1005 if code is None else code)
                return

    def _end(self, code):
        """Hand the socket's websocket.disconnect to the bridge, which sends it however
        long that takes, then untracks the socket."""
        self.state = CLOSED
        self.ended = True
        # A muted socket's disconnect takes the order of the message it lost, so that
        # ordered consumers see no gap.
        self.bridge._disconnects.send(self.layer, {
            "reply_channel": self.reply_channel,
            "code": code,
            "path": self.path,
            "order": self.order if self.muted else self.order + 1,
        }, then=self._untrack)

    async def _forward(self, channel, message):
        """Send one message; while there is no room for it (the socket's window, the
        channel) or Redis does not answer, wait and try again, up to the full timeout.
        The socket is not read meanwhile, so TCP pushes back on its client."""
        deadline = time.monotonic() + self.bridge.full_timeout  # the loop's clock, without a system call
        pauses = _pauses()
        while True:
            try:
                if channel != "websocket.receive" or len(self.waiting) < self.bridge.window \
                        or await self._window_has_room():  # the usual case without a coroutine
                    position = await self.layer.send_tracked(channel, message)
                    if position is not None and channel == "websocket.receive":
                        self.waiting.append(position)
                    return
                code, problem = 1013, (f"its last {self.bridge.window} messages still wait "
                                       f"in channel {channel}")
            except ChannelFull:
                code, problem = 1013, f"channel {channel} is full"
            except MessageTooLarge as error:
                await self._give_up(1009, str(error))
                return
            except REDIS_UNREACHABLE as error:
                code, problem = REDIS_UNREACHABLE_CODE, f"Redis does not answer: {_cause(error)}"
            except Exception as error:
                await self._give_up(1011, f"sending to {channel} failed: {_cause(error)}")
                return
            pause = next(pauses)
            if time.monotonic() + pause > deadline:
                await self._give_up(code, f"{problem} for {self.bridge.full_timeout} s")
                return
            await asyncio.sleep(pause)

    async def _untrack(self):
        if not hasattr(self.layer, "untrack_socket"):
            return
        try:
            await self.layer.untrack_socket(self.reply_channel)
        except Exception as error:  # a stale entry only costs a late sweep's disconnect
            logger.warning("Could not remove WebSocket %s from this Daphne's sockets: %s", self.reply_channel, error)

    async def _window_has_room(self):
        if len(self.waiting) < self.bridge.window:
            return True
        self.waiting = collections.deque(await self.layer.untaken("websocket.receive", list(self.waiting)))
        return len(self.waiting) < self.bridge.window

    async def _give_up(self, code, cause):
        self.muted = True
        stats = getattr(self.layer, "stats", None)  # the in-memory layer counts nothing
        if stats is not None:
            stats.count("dropped", "websocket.receive")  # the one channel whose frames are given up
        if self.state is OPEN:
            logger.error("Closed WebSocket %s (%s) with code %d: %s", self.reply_channel, self.path, code, cause)
            await self._close(code)
        else:
            logger.error("Lost a message of WebSocket %s (%s): %s", self.reply_channel, self.path, cause)

    async def _replies(self):
        """Apply the replies on the reply channel until the bridge closed the socket."""
        layer, channel = self.layer, self.reply_channel
        try:
            while self.state is HANDSHAKE:
                try:
                    async with asyncio.timeout_at(self.deadline):
                        message = await layer.receive(channel)
                except TimeoutError:
                    if self.state is HANDSHAKE:
                        logger.warning("Rejected WebSocket %s (%s) with HTTP 403: no reply to "
                                       "websocket.connect within %s s",
                                       channel, self.path, self.bridge.handshake_timeout)
                        await self._deny(403)
                    return
                await self._apply(message)
            while self.state is OPEN:
                await self._apply(await layer.receive(channel))
        except Exception as error:
            logger.error("Closing WebSocket %s (%s): applying its replies failed: %s",
                         channel, self.path, _cause(error), exc_info=True)
            if self.state is HANDSHAKE:
                await self._deny(500)
            else:
                await self._close(1011)

    async def _apply(self, message):
        """Apply one reply as Daphne 1.x did; a malformed one is logged and ignored."""
        try:
            accept, data, binary, close = parse_reply(message)
        except ValueError as problem:
            logger.error("Ignored a reply on %s (%s): %s", self.reply_channel, self.path, problem)
            return
        if self.state is HANDSHAKE:
            if accept is False:
                await self._deny(403)
                return
            if accept or data:
                self.state = OPEN
                await self.send({"type": "websocket.accept", "subprotocol": _subprotocol(self.scope)})
            elif close:
                await self._deny(403)
                return
        if self.state is not OPEN:
            return
        if data:
            await self.send({"type": "websocket.send", "bytes" if binary else "text": data})
        if close:
            await self._close(close)

    async def _deny(self, status):
        """Reject the handshake with an HTTP status (403 only, without the extension)."""
        self.state = CLOSED
        if self.can_deny:
            await self.send({"type": "websocket.http.response.start", "status": status, "headers": []})
            await self.send({"type": "websocket.http.response.body", "body": b""})
        else:
            await self.send({"type": "websocket.close"})

    async def _close(self, code):
        if self.state is OPEN:
            self.state = CLOSED
            await self.send({"type": "websocket.close", "code": code})


def parse_reply(message):
    """``(accept, data, binary, close_code)`` of a 1.x WebSocket reply message, or
    ValueError saying why Daphne 1.x would have rejected it. Keys set to None count
    as absent, as Daphne 1.x read them with ``message.get``."""
    if not isinstance(message, dict):
        raise ValueError(f"a reply must be a dict, not {type(message).__name__}")
    unknown = message.keys() - REPLY_KEYS
    if unknown:
        raise ValueError(f"unknown keys {', '.join(sorted(map(repr, unknown)))}; allowed: accept, text, bytes, close")
    accept = message.get("accept")
    if accept is not None and not isinstance(accept, bool):
        raise ValueError(f"accept must be a bool, not {type(accept).__name__}")
    text, data = message.get("text"), message.get("bytes")
    if text is not None and data is not None:
        raise ValueError("a reply cannot have both text and bytes")
    if text is not None:
        if not isinstance(text, str):
            raise ValueError(f"text must be a str, not {type(text).__name__}")
        data, binary = text, False
    else:
        if data is not None and not isinstance(data, bytes):
            raise ValueError(f"bytes must be bytes, not {type(data).__name__}")
        binary = True
    close = message.get("close")
    if close is None or close is False:
        code = None
    elif close is True:
        code = 1000
    elif isinstance(close, int) and _sendable_close_code(close):
        code = close
    else:
        raise ValueError(f"close must be True, False or a close code (1000-1003, 1007-1014, 3000-4999), "
                         f"not {close!r}")
    return accept, data, binary, code


def _subprotocol(scope):
    """The first subprotocol the client asked for that CHANNELS_WS_PROTOCOLS allows, as
    Daphne 1.x chose from its ws_protocols; None without a match."""
    allowed = getattr(settings, "CHANNELS_WS_PROTOCOLS", None) or ()
    return next((protocol for protocol in scope.get("subprotocols", ()) if protocol in allowed), None)


def _sendable_close_code(code):
    return code == 1000 or code in EXTRA_CLOSE_CODES or 3000 <= code <= 4999


def _pauses():
    pause, longest = RETRY_PAUSES
    while True:
        yield pause
        pause = min(pause * 2, longest)


def _cause(error):
    return f"{type(error).__name__}: {error}"


def _address(address):
    return list(address) if address else None
