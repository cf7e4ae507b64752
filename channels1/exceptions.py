"""Exceptions of the Channels 1.x API: the ones consumers raise to steer the worker,
and the layer's ChannelFull and MessageTooLarge (those of channels 4)."""

import logging

import redis.exceptions
from channels.exceptions import ChannelFull, DenyConnection, MessageTooLarge

__all__ = [
    "ChannelFull",
    "ChannelSocketException",
    "ConsumeLater",
    "DenyConnection",
    "InvalidFrame",
    "MessageTooLarge",
    "REDIS_UNREACHABLE",
    "RequestAborted",
    "RequestTimeout",
    "ResponseLater",
    "SendNotAvailableOnDemultiplexer",
    "SocketAuthError",
    "WebsocketCloseException",
]


# What a layer call raises when Redis cannot be reached (down, restarting, still
# loading its data): worth trying again for a while.
REDIS_UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class ConsumeLater(Exception):
    """Raised by a consumer to put its message back at the end of its channel; a
    message is put back at most 10 times."""


class ResponseLater(Exception):
    """Raised by a view run in a worker that will answer later: no response is sent
    now, and another consumer sends it to the request's reply channel."""


class RequestTimeout(Exception):
    """The client stopped sending the request body (the worker answers 408)."""


class RequestAborted(Exception):
    """The client went away while sending the request body (nothing is answered)."""


class ChannelSocketException(Exception):
    """An exception that knows how to answer the socket: the worker calls
    ``run(message)`` instead of logging it."""

    def run(self, message):
        raise NotImplementedError


class WebsocketCloseException(ChannelSocketException):
    """Closes the socket of the message, with ``code`` (1000 or 3000-4999) or 1000."""

    def __init__(self, code=None):
        if code is not None and not (code == 1000 or 3000 <= code <= 4999):
            raise ValueError(f"Invalid close code {code}: use 1000 or 3000-4999")
        self._code = code

    def run(self, message):
        if message.reply_channel is None:
            raise ValueError("WebsocketCloseException needs a message with a reply_channel")
        message.reply_channel.send({"close": self._code or True})


class InvalidFrame(ChannelSocketException, ValueError):
    """A frame from the client that its consumer cannot read (not JSON, a key
    missing, an unknown stream or action). The worker logs it as a warning with the
    channel, path and reason, and goes on; the socket gets nothing and stays open.
    A ValueError, as 1.x raised for such frames."""

    def run(self, message):
        reply_channel = message.reply_channel.name if message.reply_channel is not None else None
        logging.getLogger("channels1.generic").warning(
            "Dropped a frame on %s (path %r, reply channel %s): %s",
            message.channel.name, message.get("path"), reply_channel, self,
        )


class SendNotAvailableOnDemultiplexer(Exception):
    """Raised by ``send`` of a demultiplexer, and of a consumer it runs: what they
    send must be framed by the stream's multiplexer (``multiplexer.send``)."""


class SocketAuthError(ChannelSocketException):
    """Ends a socket that failed authentication with a close code the page can read
    (a rejected handshake would only tell it 1006): 4401 for a bad or expired token,
    4403 where login is required."""

    def __init__(self, code, reason):
        super().__init__(reason)
        self.code = code

    def run(self, message):
        message.reply_channel.send({"accept": True, "close": self.code})
