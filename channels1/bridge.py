"""`WebSocketBridge`: the WebSocket half of Daphne 1.x as an ASGI application. Each
socket's events become ASGI 1.0 messages on the websocket.* channels of the channel
layer, and the replies workers send to its reply channel are applied to the socket."""

import asyncio
import logging

from channels.exceptions import ChannelFull, MessageTooLarge
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from . import _daphne
from ._daphne import DENIAL_EXTENSION, EXTRA_CLOSE_CODES

_daphne.install()

logger = logging.getLogger("channels1.bridge")

DEFAULT_HANDSHAKE_TIMEOUT = 5
REPLY_KEYS = frozenset({"accept", "text", "bytes", "close"})

# Socket states, as seen from the bridge.
HANDSHAKE, OPEN, CLOSED = "handshake", "open", "closed"


class WebSocketBridge:
    """ASGI 3 application for ``websocket`` scopes that does what Daphne 1.x did.

    On connect it sends ``websocket.connect`` (with a new ``daphne.response.*`` reply
    channel) to the layer of ``alias``, then applies the replies on that channel:
    ``accept``, ``text``/``bytes`` and ``close``. A connect not answered within
    ``handshake_timeout`` seconds (default: the ``CHANNELS1_WEBSOCKET_HANDSHAKE_TIMEOUT``
    setting, else 5) is rejected with HTTP 403. Frames become ``websocket.receive``
    and the end of the socket ``websocket.disconnect``, in order. A full channel
    rejects the handshake with HTTP 503 or closes the socket with 1013, as Daphne 1.x
    did; a failing layer gives HTTP 500 or close code 1011.

    Daphne 4 also drops sockets still handshaking after its own
    ``--websocket_connect_timeout`` (5 s by default): raise it above a longer
    ``handshake_timeout``.
    """

    def __init__(self, alias="default", handshake_timeout=None):
        if handshake_timeout is None:
            handshake_timeout = getattr(
                settings, "CHANNELS1_WEBSOCKET_HANDSHAKE_TIMEOUT", DEFAULT_HANDSHAKE_TIMEOUT
            )
        if isinstance(handshake_timeout, bool) or not isinstance(handshake_timeout, (int, float)) \
                or handshake_timeout <= 0:
            raise ImproperlyConfigured(
                f"The WebSocket handshake timeout must be a positive number of seconds, "
                f"not {handshake_timeout!r} (CHANNELS1_WEBSOCKET_HANDSHAKE_TIMEOUT or handshake_timeout)"
            )
        if get_channel_layer(alias) is None:
            raise ImproperlyConfigured(
                f"WebSocketBridge needs the channel layer {alias!r}: add it to CHANNEL_LAYERS"
            )
        self.alias = alias
        self.handshake_timeout = handshake_timeout

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError(f"WebSocketBridge serves websocket scopes only, not {scope['type']!r}")
        layer = get_channel_layer(self.alias)
        await _Socket(layer, scope, receive, send, self.handshake_timeout).run()


class _Socket:
    """One WebSocket: its client events go to the layer in order while its replies
    are applied from a second task."""

    __slots__ = ("layer", "scope", "receive", "send", "handshake_timeout", "path", "can_deny",
                 "reply_channel", "state", "order", "muted")

    def __init__(self, layer, scope, receive, send, handshake_timeout):
        self.layer = layer
        self.scope = scope
        self.receive = receive
        self.send = send
        self.handshake_timeout = handshake_timeout
        self.path = scope["path"]
        self.can_deny = DENIAL_EXTENSION in (scope.get("extensions") or {})
        self.reply_channel = None
        self.state = HANDSHAKE
        self.order = 0
        # Set once a message of this socket could not be delivered: workers would see
        # a gap in "order", so the socket is closed and nothing more of it is sent.
        self.muted = False

    async def run(self):
        event = await self.receive()
        if event["type"] != "websocket.connect" or not await self._connect():
            return
        replies = asyncio.get_running_loop().create_task(self._replies())
        try:
            await self._events()
        finally:
            replies.cancel()
            await asyncio.wait([replies])

    async def _connect(self):
        """Send websocket.connect; reject the handshake if it cannot be sent."""
        scope = self.scope
        try:
            self.reply_channel = await self.layer.new_channel("daphne.response")
            await self.layer.send("websocket.connect", {
                "reply_channel": self.reply_channel,
                "scheme": scope.get("scheme") or "ws",
                "root_path": scope.get("root_path") or "",
                "path": self.path,
                "headers": [[bytes(name).lower(), bytes(value)] for name, value in scope.get("headers", ())],
                "query_string": scope.get("query_string") or b"",
                "client": _address(scope.get("client")),
                "server": _address(scope.get("server")),
                "order": 0,
            })
        except ChannelFull:
            logger.error("Rejected WebSocket %s (%s) with HTTP 503: channel websocket.connect is full",
                         self.reply_channel, self.path)
            await self._deny(503)
            return False
        except Exception as error:
            logger.error("Rejected WebSocket %s (%s) with HTTP 500: sending websocket.connect failed: %s",
                         self.reply_channel, self.path, _cause(error))
            await self._deny(500)
            return False
        return True

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
                self.state = CLOSED
                if not self.muted:
                    code = event.get("code")
                    await self._forward("websocket.disconnect", {
                        "reply_channel": self.reply_channel,
                        "code": 1005 if code is None else code,
                        "path": self.path,
                        "order": self.order + 1,
                    })
                return

    async def _forward(self, channel, message):
        try:
            await self.layer.send(channel, message)
        except ChannelFull:
            await self._give_up(1013, "channel %s is full", channel)
        except MessageTooLarge as error:
            await self._give_up(1009, "%s", error)
        except Exception as error:
            await self._give_up(1011, "sending to %s failed: %s", channel, _cause(error))

    async def _give_up(self, code, cause, *args):
        self.muted = True
        if self.state is OPEN:
            logger.error("Closed WebSocket %s (%s) with code %d: " + cause,
                         self.reply_channel, self.path, code, *args)
            await self._close(code)
        else:
            logger.error("Lost a message of WebSocket %s (%s): " + cause, self.reply_channel, self.path, *args)

    async def _replies(self):
        """Apply the replies on the reply channel until the bridge closed the socket."""
        layer, channel = self.layer, self.reply_channel
        deadline = asyncio.get_running_loop().time() + self.handshake_timeout
        try:
            while self.state is HANDSHAKE:
                try:
                    async with asyncio.timeout_at(deadline):
                        message = await layer.receive(channel)
                except TimeoutError:
                    if self.state is HANDSHAKE:
                        logger.warning("Rejected WebSocket %s (%s) with HTTP 403: no reply to "
                                       "websocket.connect within %s s", channel, self.path, self.handshake_timeout)
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
                await self.send({"type": "websocket.accept"})
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


def _sendable_close_code(code):
    return code == 1000 or code in EXTRA_CLOSE_CODES or 3000 <= code <= 4999


def _cause(error):
    return f"{type(error).__name__}: {error}"


def _address(address):
    return list(address) if address else None
