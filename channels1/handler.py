"""The Django request cycle in a worker, as 1.x's ``channels.handler`` ran it:
`AsgiRequest` builds a request from an ``http.request`` message, `AsgiHandler` runs
it through middleware and the view and cuts the response into ``http.response``
messages, and `ViewConsumer` is the consumer that sends them back."""

import codecs
import functools
import logging
import sys
import time
from io import BytesIO

from django import http
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestDataTooBig
from django.core.handlers import base
from django.http import HttpResponse, HttpResponseServerError
from django.urls import set_script_prefix
from django.utils.http import parse_header_parameters
from django.utils.functional import cached_property

from .exceptions import ChannelFull, RequestAborted, RequestTimeout, ResponseLater
from ._headers import header_items

logger = logging.getLogger("django.request")

__all__ = ["AsgiHandler", "AsgiRequest", "ViewConsumer"]

REPLY_RETRY_INTERVAL = 0.05


class AsgiRequest(http.HttpRequest):
    """A Django request built from an ``http.request`` message: path and
    ``root_path``, method, query string, headers (a list of pairs, or a 1.x dict),
    client and server addresses, scheme, and the body, with any further chunks read
    from ``body_channel`` (RequestTimeout after ``body_receive_timeout`` seconds,
    RequestAborted when the client went away)."""

    ResponseLater = ResponseLater

    # Seconds to wait for each body chunk.
    body_receive_timeout = 60

    def __init__(self, message):
        self.message = message
        self.reply_channel = self.message.reply_channel
        self._content_length = 0
        self._post_parse_error = False
        self._read_started = False
        self.resolver_match = None
        self.script_name = self.message.get("root_path", "") or ""
        path = self.message["path"]
        if self.script_name and path.startswith(self.script_name):
            self.path_info = path[len(self.script_name):]
        else:
            self.path_info = path
        self.path = path
        self.method = self.message["method"].upper()
        query_string = self.message.get("query_string", b"")
        if isinstance(query_string, bytes):
            query_string = query_string.decode("latin-1")
        self.META = {
            "REQUEST_METHOD": self.method,
            "QUERY_STRING": query_string,
            "SCRIPT_NAME": self.script_name,
            "PATH_INFO": self.path_info,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
        }
        client = self.message.get("client")
        if client:
            self.META["REMOTE_ADDR"] = client[0]
            self.META["REMOTE_HOST"] = self.META["REMOTE_ADDR"]
            self.META["REMOTE_PORT"] = client[1]
        server = self.message.get("server")
        if server:
            self.META["SERVER_NAME"] = server[0]
            self.META["SERVER_PORT"] = str(server[1])
        else:
            self.META["SERVER_NAME"] = "unknown"
            self.META["SERVER_PORT"] = "0"
        for name, value in header_items(self.message):
            name = name.decode("latin-1")
            if name == "content-length":
                corrected = "CONTENT_LENGTH"
            elif name == "content-type":
                corrected = "CONTENT_TYPE"
            else:
                corrected = "HTTP_" + name.upper().replace("-", "_")
            value = value.decode("latin-1")
            if corrected in self.META:
                value = self.META[corrected] + "," + value
            self.META[corrected] = value
        if "CONTENT_TYPE" in self.META:
            self.content_type, self.content_params = parse_header_parameters(self.META["CONTENT_TYPE"])
            if "charset" in self.content_params:
                try:
                    codecs.lookup(self.content_params["charset"])
                except LookupError:
                    pass
                else:
                    self.encoding = self.content_params["charset"]
        else:
            self.content_type, self.content_params = "", {}
        try:
            self._content_length = int(self.META["CONTENT_LENGTH"])
        except (KeyError, TypeError, ValueError):
            pass
        self._body = self._read_body()
        self._stream = BytesIO(self._body)
        self.resolver_match = None

    def _read_body(self):
        """The body of the message, plus its chunks on ``body_channel`` until one
        says there is no more content."""
        body = self.message.get("body", b"") or b""
        body_channel = self.message.get("body_channel")
        if not body_channel:
            return body
        chunks = [body]
        layer = self.message.channel_layer
        deadline = time.monotonic() + self.body_receive_timeout
        while True:
            channel, chunk = layer.receive([body_channel], block=True)
            if channel is None:
                if time.monotonic() > deadline:
                    raise RequestTimeout()
                continue
            if chunk.get("closed", False):
                raise RequestAborted()
            chunks.append(chunk.get("content", b"") or b"")
            if not chunk.get("more_content", False):
                return b"".join(chunks)
            deadline = time.monotonic() + self.body_receive_timeout

    @cached_property
    def GET(self):
        return http.QueryDict(self.META["QUERY_STRING"])

    def _get_scheme(self):
        return self.message.get("scheme", "http") or "http"

    def _get_post(self):
        if not hasattr(self, "_post"):
            self._read_started = False
            self._load_post_and_files()
        return self._post

    def _set_post(self, post):
        self._post = post

    def _get_files(self):
        if not hasattr(self, "_files"):
            self._read_started = False
            self._load_post_and_files()
        return self._files

    POST = property(_get_post, _set_post)
    FILES = property(_get_files)

    @cached_property
    def COOKIES(self):
        return http.parse_cookie(self.META.get("HTTP_COOKIE", ""))


class AsgiHandler(base.BaseHandler):
    """Runs a Django request from an ``http.request`` message; calling it yields the
    ``http.response`` messages of the response (``chunk_size`` bytes of content at
    most in each). A view raising ResponseLater, or a client gone away, yields none."""

    request_class = AsgiRequest

    # Bytes of content in each response message.
    chunk_size = 512 * 1024

    def __init__(self):
        super().__init__()
        self.load_middleware()

    def __call__(self, message):
        set_script_prefix(self._script_prefix(message))
        signals.request_started.send(sender=self.__class__, message=message)
        try:
            try:
                request = self.request_class(message)
            except UnicodeDecodeError:
                logger.warning("Bad Request (UnicodeDecodeError)", exc_info=sys.exc_info(),
                               extra={"status_code": 400})
                response = http.HttpResponseBadRequest()
            except RequestTimeout:
                # The client sent part of its body and stopped: 408, as 1.x answered.
                response = HttpResponse("408 Request Timeout (upload too slow)", status=408)
            except RequestAborted:
                return
            except RequestDataTooBig:
                response = HttpResponse("413 Payload too large", status=413)
            except Exception:
                logger.error("Could not build a request from a message on %s (path %r)", message.channel.name,
                             message.get("path"), exc_info=sys.exc_info())
                response = _plain_server_error()
            else:
                response = self.get_response(request)
                if getattr(request, "_response_later", False):
                    return
            for reply in self.encode_response(response):
                yield reply
        finally:
            signals.request_finished.send(sender=self.__class__)

    @staticmethod
    def _script_prefix(message):
        if settings.FORCE_SCRIPT_NAME:
            return settings.FORCE_SCRIPT_NAME
        return message.get("root_path", "") or ""

    def make_view_atomic(self, view):
        view = super().make_view_atomic(view)

        @functools.wraps(view)
        def answering_later(request, *args, **kwargs):
            # Django would turn the exception into a 500: mark the request instead.
            try:
                return view(request, *args, **kwargs)
            except ResponseLater:
                request._response_later = True
                return HttpResponse(status=204)

        return answering_later

    def get_response(self, request):
        """Django's response, or a plain-text 500 if even its error handling failed."""
        try:
            return super().get_response(request)
        except Exception:
            logger.error("Internal Server Error: %s", request.path, exc_info=sys.exc_info())
            return _plain_server_error()

    @classmethod
    def encode_response(cls, response):
        """The ``http.response`` messages of a Django response: status, headers
        (cookies as Set-Cookie headers) and the first chunk of content, then the other
        chunks; ``more_content`` is False only on the last one."""
        headers = [
            (str(name).encode("latin-1"), str(value).encode("latin-1"))
            for name, value in response.items()
        ]
        for cookie in response.cookies.values():
            headers.append((b"Set-Cookie", cookie.output(header="").strip().encode("latin-1")))
        first = {"status": response.status_code, "headers": headers}
        try:
            if response.streaming:
                for part in response.streaming_content:
                    for chunk, _ in cls.chunk_bytes(part):
                        if first is not None:
                            yield {**first, "content": chunk, "more_content": True}
                            first = None
                        else:
                            yield {"content": chunk, "more_content": True}
                if first is not None:
                    yield {**first, "content": b"", "more_content": False}
                else:
                    yield {"more_content": False}
            else:
                for chunk, last in cls.chunk_bytes(response.content):
                    if first is not None:
                        yield {**first, "content": chunk, "more_content": not last}
                        first = None
                    else:
                        yield {"content": chunk, "more_content": not last}
        finally:
            response.close()

    @classmethod
    def chunk_bytes(cls, data):
        """``(chunk, is_last)`` pairs of at most ``chunk_size`` bytes; one empty
        chunk for empty data."""
        position = 0
        if not data:
            yield data, True
            return
        while position < len(data):
            yield data[position:position + cls.chunk_size], position + cls.chunk_size >= len(data)
            position += cls.chunk_size


def _plain_server_error():
    return HttpResponseServerError("500 Internal Server Error", content_type="text/plain")


class ViewConsumer:
    """The ``http.request`` consumer that runs Django views: each reply goes out at
    once, a full reply channel retried every 50 ms until it takes it."""

    handler_class = AsgiHandler

    def __init__(self):
        self.handler = self.handler_class()

    def __call__(self, message, **kwargs):
        reply_channel = message.reply_channel
        for reply in self.handler(message):
            while True:
                try:
                    reply_channel.send(reply, immediately=True)
                    break
                except ChannelFull:
                    time.sleep(REPLY_RETRY_INTERVAL)

    def __repr__(self):
        return f"<{type(self).__name__}>"

