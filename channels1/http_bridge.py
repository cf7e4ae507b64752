"""`HttpBridge`: the HTTP half of Daphne 1.x as an ASGI application. Each request
becomes an ``http.request`` message on the channel layer (a large body follows in
chunks on a body channel), and the ``http.response`` messages a worker sends back
become the response, streamed as they arrive."""

import asyncio
import logging

from channels.exceptions import ChannelFull, MessageTooLarge
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .layer.cleanup import delete_channel

logger = logging.getLogger("channels1.bridge")

DEFAULT_HTTP_TIMEOUT = 120
# Request body bytes sent in the http.request message itself, and in each body chunk.
BODY_CHUNK_SIZE = 512 * 1024
BODY_CHUNK_RETRY_INTERVAL = 0.05


def http_application(alias="default"):
    """What serves HTTP in Daphne for the layer ``alias``: an HttpBridge to the
    workers when its routing routes ``http.request`` or ``CHANNELS1_HTTP_THROUGH_WORKERS``
    is True, else Django itself (behind its static files handler when
    django.contrib.staticfiles is installed)."""
    if through_workers(alias):
        return HttpBridge(alias)
    from django.apps import apps
    from django.core.asgi import get_asgi_application

    application = get_asgi_application()
    if apps.is_installed("django.contrib.staticfiles"):
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

        application = ASGIStaticFilesHandler(application)
    return application


def through_workers(alias="default"):
    """True if HTTP requests for the layer ``alias`` are to run in the workers."""
    if getattr(settings, "CHANNELS1_HTTP_THROUGH_WORKERS", False):
        return True
    return _routes(alias, "http.request")


def _routes(alias, channel):
    """True if the routing of the layer ``alias`` has a route for ``channel``."""
    from .asgi import channel_layers

    wrapper = channel_layers[alias]
    return wrapper.routing is not None and channel in wrapper.router.channels


def default_http_consumer(alias="default"):
    """The ``http.request`` fallback workers add to the routing when HTTP runs
    through them: StaticFilesConsumer with DEBUG and django.contrib.staticfiles
    (as 1.x's runworker did), else ViewConsumer; None when HTTP stays in Daphne."""
    if not through_workers(alias):
        return None
    from django.apps import apps

    if settings.DEBUG and apps.is_installed("django.contrib.staticfiles"):
        from .staticfiles import StaticFilesConsumer

        return StaticFilesConsumer()
    from .handler import ViewConsumer

    return ViewConsumer()


class HttpBridge:
    """ASGI 3 application for ``http`` scopes that does what Daphne 1.x did.

    Sends ``http.request`` (with a new reply channel, and a ``body_channel`` when
    the body is over 512 KiB) to the layer of ``alias`` and turns the replies into
    the response: the first has ``status`` and ``headers``, each has ``content``,
    and ``more_content`` False ends it. A full ``http.request`` channel answers 503
    at once; no reply within ``timeout`` seconds (``CHANNELS1_HTTP_TIMEOUT``, else
    120) answers 504, and a response that stalls that long is cut short. A client
    that goes away before the end is announced on ``http.disconnect`` when the
    routing routes that channel (no worker would read it otherwise).
    """

    def __init__(self, alias="default", timeout=None):
        if timeout is None:
            timeout = getattr(settings, "CHANNELS1_HTTP_TIMEOUT", DEFAULT_HTTP_TIMEOUT)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ImproperlyConfigured(
                f"The HTTP timeout must be a positive number of seconds, not {timeout!r} "
                f"(CHANNELS1_HTTP_TIMEOUT or timeout)"
            )
        if get_channel_layer(alias) is None:
            raise ImproperlyConfigured(f"HttpBridge needs the channel layer {alias!r}: add it to CHANNEL_LAYERS")
        self.alias = alias
        self.timeout = timeout
        self.announce_disconnect = _routes(alias, "http.disconnect")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"HttpBridge serves http scopes only, not {scope['type']!r}")
        await _Request(
            get_channel_layer(self.alias), scope, receive, send, self.timeout, self.announce_disconnect
        ).run()


class _Request:
    """One HTTP request: its body goes to the layer while the replies are awaited."""

    def __init__(self, layer, scope, receive, send, timeout, announce_disconnect):
        self.layer = layer
        self.scope = scope
        self.receive = receive
        self.send = send
        self.timeout = timeout
        self.path = scope["path"]
        self.reply_channel = None
        self.started = False
        self.finished = False
        self.disconnected = asyncio.Event()
        self.body = bytearray()  # received from the client, not yet sent on
        self.more_body = True
        self.announce_disconnect = announce_disconnect

    async def run(self):
        body, more_body = await self._read_body(BODY_CHUNK_SIZE)
        if body is None:
            return  # the client left before sending its body
        self.reply_channel = await self.layer.new_channel("http.response")
        body_channel = "http.request.body?" + self.reply_channel.rpartition("!")[2] if more_body else None
        message = self._message(body, body_channel)
        try:
            await self.layer.send("http.request", message)
        except ChannelFull:
            logger.error("Answered %s %s with 503: channel http.request is full", self.scope["method"], self.path)
            return await self._error(503, "503 Service Unavailable: the server is too busy, try again later")
        except MessageTooLarge as error:
            logger.error("Answered %s %s with 431: %s", self.scope["method"], self.path, error)
            return await self._error(431, "431 Request Header Fields Too Large")
        except Exception as error:
            logger.error("Answered %s %s with 500: sending http.request failed: %s",
                         self.scope["method"], self.path, _cause(error))
            return await self._error(500, "500 Internal Server Error")
        loop = asyncio.get_running_loop()
        events = loop.create_task(self._client_events(body_channel if more_body else None))
        try:
            await self._replies()
        finally:
            events.cancel()
            await asyncio.wait([events])
            if body_channel and hasattr(self.layer, "receive_batch"):
                await _forget(self.layer, body_channel)
        if self.disconnected.is_set() and not self.finished and self.announce_disconnect:
            await self._announce_disconnect()

    async def _read_body(self, limit):
        """The next part of the body, at most ``limit`` bytes, and whether more
        follows; (None, False) if the client went away first."""
        while len(self.body) < limit and self.more_body:
            event = await self.receive()
            if event["type"] == "http.disconnect":
                self.disconnected.set()
                return None, False
            self.body += event.get("body", b"")
            self.more_body = event.get("more_body", False)
        part = bytes(self.body[:limit])
        del self.body[:limit]
        return part, bool(self.body) or self.more_body

    def _message(self, body, body_channel):
        scope = self.scope
        message = {
            "reply_channel": self.reply_channel,
            "http_version": scope.get("http_version", "1.1"),
            "method": scope["method"].upper(),
            "scheme": scope.get("scheme") or "http",
            "path": self.path,
            "query_string": scope.get("query_string") or b"",
            "root_path": scope.get("root_path") or "",
            "headers": [[bytes(name).lower(), bytes(value)] for name, value in scope.get("headers", ())],
            "body": body,
            "client": list(scope["client"]) if scope.get("client") else None,
            "server": list(scope["server"]) if scope.get("server") else None,
        }
        if body_channel:
            message["body_channel"] = body_channel
        return message

    async def _client_events(self, body_channel):
        """Send the rest of the body in chunks on ``body_channel``, then wait for
        the client to go away."""
        if body_channel:
            while True:
                body, more = await self._read_body(BODY_CHUNK_SIZE)
                if body is None:
                    await self._send_chunk(body_channel, {"closed": True})
                    break
                if not await self._send_chunk(body_channel, {"content": body, "more_content": more}):
                    break
                if not more:
                    break
        while not self.disconnected.is_set():
            if (await self.receive())["type"] == "http.disconnect":
                self.disconnected.set()

    async def _send_chunk(self, body_channel, chunk):
        deadline = asyncio.get_running_loop().time() + self.timeout
        while True:
            try:
                await self.layer.send(body_channel, chunk)
                return True
            except ChannelFull:
                if asyncio.get_running_loop().time() > deadline:
                    logger.error("Gave up the body of %s %s: %s stayed full", self.scope["method"],
                                 self.path, body_channel)
                    return False
                await asyncio.sleep(BODY_CHUNK_RETRY_INTERVAL)
            except Exception as error:
                logger.error("Gave up the body of %s %s: sending to %s failed: %s", self.scope["method"],
                             self.path, body_channel, _cause(error))
                return False

    async def _replies(self):
        """Apply the replies until the last one, the client left, or a timeout."""
        while not self.finished:
            receiving = asyncio.ensure_future(self.layer.receive(self.reply_channel))
            gone = asyncio.ensure_future(self.disconnected.wait())
            try:
                done, _ = await asyncio.wait([receiving, gone], timeout=self.timeout,
                                             return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in (receiving, gone):
                    waiter.cancel()
                await asyncio.wait([receiving, gone])
            if receiving in done and not receiving.cancelled() and receiving.exception() is None:
                await self._apply(receiving.result())
            elif receiving in done and not receiving.cancelled():
                logger.error("Answered %s %s with 500: reading its reply failed: %s", self.scope["method"],
                             self.path, _cause(receiving.exception()))
                return await self._error(500, "500 Internal Server Error")
            elif gone in done:
                return
            else:
                return await self._time_out()

    async def _apply(self, reply):
        try:
            status, headers, content, more = parse_reply(reply, first=not self.started)
        except ValueError as problem:
            logger.error("Ignored a reply on %s (%s %s): %s", self.reply_channel, self.scope["method"],
                         self.path, problem)
            return
        if not self.started:
            self.started = True
            await self.send({"type": "http.response.start", "status": status, "headers": headers})
        await self.send({"type": "http.response.body", "body": content, "more_body": more})
        self.finished = not more

    async def _time_out(self):
        if self.started:
            logger.error("Cut short the response to %s %s: no more of it within %s s",
                         self.scope["method"], self.path, self.timeout)
            self.finished = True
            await self.send({"type": "http.response.body", "body": b"", "more_body": False})
        else:
            logger.error("Answered %s %s with 504: no worker replied within %s s",
                         self.scope["method"], self.path, self.timeout)
            await self._error(504, "504 Gateway Timeout: the request was not answered in time")

    async def _error(self, status, text):
        self.started = self.finished = True
        await self.send({"type": "http.response.start", "status": status,
                         "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
        await self.send({"type": "http.response.body", "body": text.encode()})

    async def _announce_disconnect(self):
        try:
            await self.layer.send("http.disconnect", {"reply_channel": self.reply_channel, "path": self.path})
        except Exception as error:
            logger.warning("Could not send http.disconnect for %s: %s", self.path, _cause(error))


def parse_reply(reply, first):
    """``(status, headers, content, more_content)`` of an ``http.response`` message,
    or ValueError saying what is wrong with it. Only the first has a status."""
    if not isinstance(reply, dict):
        raise ValueError(f"a reply must be a dict, not {type(reply).__name__}")
    status = reply.get("status")
    if first:
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 999:
            raise ValueError(f"the first reply needs an int status, not {status!r}")
    headers = []
    for entry in reply.get("headers") or ():
        try:
            name, value = entry
        except (TypeError, ValueError):
            raise ValueError(f"a header must be a (name, value) pair, not {entry!r}") from None
        headers.append((_header_bytes(name), _header_bytes(value)))
    content = reply.get("content", b"") or b""
    if not isinstance(content, bytes):
        raise ValueError(f"content must be bytes, not {type(content).__name__}")
    return status, headers, content, bool(reply.get("more_content", False))


def _header_bytes(value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("latin-1")
    raise ValueError(f"header names and values must be bytes or str, not {type(value).__name__}")


async def _forget(layer, body_channel):
    try:
        await delete_channel(layer, body_channel)
    except Exception as error:
        logger.warning("Could not delete the body channel %s: %s", body_channel, _cause(error))


def _cause(error):
    return f"{type(error).__name__}: {error}"
