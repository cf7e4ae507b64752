"""Two small additions to Daphne 4, applied by `install()` when channels1.bridge is
imported, so that the bridge can answer as Daphne 1.x did.

Why: through plain ASGI, Daphne 4 can reject a WebSocket handshake only with HTTP 403
(`websocket.close` before accept), and its `websocket.close` refuses every close code
but 1000 and 3000-4999 (autobahn's `sendClose` rule for applications). Daphne 1.x
answered a full `websocket.connect` channel with HTTP 503 and a full
`websocket.receive` channel with close code 1013. So this module:

- implements the ASGI "WebSocket Denial Response" extension: WebSocket scopes
  advertise ``scope["extensions"]["websocket.http.response"]``, and
  `websocket.http.response.start` (status) followed by `websocket.http.response.body`
  (until ``more_body`` is false) rejects the handshake with that HTTP status
  (response headers and body are not sent: autobahn's ConnectionDeny has no room
  for them);
- lets `websocket.close` use the server close codes RFC 6455 and the IANA registry
  allow (1001-1003, 1007-1009, 1011-1014), as Daphne 1.x and Daphne 4's own
  error path (`handle_exception`, code 1011) do through `sendCloseFrame`;
- gives a socket still handshaking `HANDSHAKE_DROP_GRACE` more seconds before
  autobahn drops its TCP connection (Daphne's `--websocket_connect_timeout`, 5 s by
  default, counted from the connection), so that an unanswered connect gets the
  documented HTTP 403 after 5 s from the bridge or Daphne, not a dropped connection
  a moment earlier.
- stops reading a socket while `READ_AHEAD` of its frames wait for the application,
  so that TCP pushes back on a client sending faster than the application takes its
  frames (Daphne 4 queues them without limit), and reads again once it caught up;
- answers a frame over the size limit with close code 1009 and invalid UTF-8 with
  1007 (autobahn's `failByDrop=False`), where Daphne 4 resets the TCP connection;
- drops a frame sent to a socket in its closing handshake, as Daphne drops one sent
  after the socket ended: between the client's close frame and the end of the TCP
  connection, autobahn raised on it and Daphne logged a traceback;
- writes a text or bytes frame built once per payload object (`_frames`), at once
  when the socket's buffer is empty: a group message's members on this Daphne share
  one frame instead of one built per socket;
- skips the arguments of autobahn's debug line for each read while its debug logging
  is off, unmasks small frames in Python (`_masks`), and lets a socket's queue keep
  its event loop instead of looking it up (a getpid() system call on Python 3.11)
  each time the application waits for a frame.

Everything else goes to Daphne's own code unchanged. Importing daphne.server
installs Twisted's asyncio reactor, as the daphne app of INSTALLED_APPS does anyway.
"""

import asyncio
import http

DENIAL_EXTENSION = "websocket.http.response"

HANDSHAKE_DROP_GRACE = 2

# Valid on the wire but refused by autobahn's sendClose(); 1000 and 3000-4999 already pass.
EXTRA_CLOSE_CODES = frozenset({1001, 1002, 1003, 1007, 1008, 1009, 1011, 1012, 1013, 1014})

# Frames of one socket read ahead of the application before Daphne stops reading it.
READ_AHEAD = 8


class _ReadAheadQueue(asyncio.Queue):
    """A socket's application queue that has its protocol read again once the
    application has taken half of the frames read ahead."""

    protocol = None

    def _get_loop(self):
        # Daphne uses a socket's queue on its one loop: the loop bound first is the one.
        return self._loop or super()._get_loop()

    def _get(self):
        item = super()._get()
        protocol = self.protocol
        if protocol is not None and protocol.reading_paused and self.qsize() <= READ_AHEAD // 2:
            protocol.reading_paused = False
            if protocol.transport is not None:
                protocol.transport.resumeProducing()
        return item


def install():
    """Patch Daphne's Server and WebSocketProtocol once; no-op without Daphne."""
    try:
        from autobahn.websocket import protocol as autobahn_protocol
        from autobahn.websocket.types import ConnectionDeny
        from daphne.server import Server
        from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol
        from txaio import tx
    except ImportError:
        return False
    from ._frames import send as send_frame
    from ._masks import small_first

    if getattr(WebSocketProtocol, "_channels1_patched", False):
        return True

    create_application = Server.create_application
    handle_reply = WebSocketProtocol.handle_reply
    server_close = WebSocketProtocol.serverClose
    application_create_worked = WebSocketProtocol.applicationCreateWorked
    on_message = WebSocketProtocol.onMessage
    data_received = WebSocketProtocol.dataReceived
    # What txaio puts in place of a logger's method whose level is off; not public, so
    # without it reads take autobahn's own path.
    log_off = getattr(tx, "_no_op", object())
    factory_init = WebSocketFactory.__init__

    def patched_create_application(self, protocol, scope):
        if isinstance(protocol, WebSocketProtocol):
            scope.setdefault("extensions", {}).setdefault(DENIAL_EXTENSION, {})
            postpone_drop(protocol)
        return create_application(self, protocol, scope)

    def postpone_drop(protocol):
        call = getattr(protocol, "openHandshakeTimeoutCall", None)
        if call is not None:
            call.cancel()
            protocol.openHandshakeTimeoutCall = protocol.factory._batched_timer.call_later(
                protocol.openHandshakeTimeout + HANDSHAKE_DROP_GRACE, protocol.onOpenHandshakeTimeout
            )

    def patched_handle_reply(self, message):
        kind = message.get("type")
        if kind == "websocket.http.response.start":
            if self.state != self.STATE_CONNECTING:
                raise ValueError("websocket.http.response.start is only allowed before websocket.accept")
            self.denial_status = int(message["status"])
        elif kind == "websocket.http.response.body":
            status = getattr(self, "denial_status", None)
            if status is None:
                raise ValueError("websocket.http.response.body without websocket.http.response.start")
            if not message.get("more_body", False):
                deny(self, status)
        elif kind == "websocket.send" and self.state in (self.STATE_CLOSING, self.STATE_CLOSED):
            return
        elif kind != "websocket.send" or not send_frame(self, message):
            handle_reply(self, message)

    def deny(self, status):
        # As WebSocketProtocol.serverReject(), with the application's status.
        try:
            reason = http.HTTPStatus(status).phrase
        except ValueError:
            reason = "Denied"
        self.handshake_deferred.errback(ConnectionDeny(code=status, reason=reason))
        del self.handshake_deferred
        self.server.protocol_disconnected(self)
        client = "%s:%s" % tuple(self.client_addr) if self.client_addr else None
        self.server.log_action("websocket", "rejected", {"path": self.request.path, "client": client})

    def patched_server_close(self, code=None):
        if code in EXTRA_CLOSE_CODES:
            self.sendCloseFrame(code=code, isReply=False)
        else:
            server_close(self, code)

    def patched_application_create_worked(self, application_queue):
        application_queue.__class__ = _ReadAheadQueue
        application_queue.protocol = self
        application_create_worked(self, application_queue)

    def patched_on_message(self, payload, is_binary):
        on_message(self, payload, is_binary)
        queue = getattr(self, "application_queue", None)
        if queue is not None and queue.qsize() >= READ_AHEAD and not self.reading_paused \
                and self.transport is not None:
            self.reading_paused = True
            self.transport.pauseProducing()

    def patched_data_received(self, data):
        if self.log.debug is log_off:
            self._dataReceived(data)  # as dataReceived(), without its debug line's arguments
        else:
            data_received(self, data)

    def patched_factory_init(self, *args, **kwargs):
        factory_init(self, *args, **kwargs)
        self.setProtocolOptions(failByDrop=False)

    Server.create_application = patched_create_application
    WebSocketProtocol.handle_reply = patched_handle_reply
    WebSocketProtocol.serverClose = patched_server_close
    WebSocketProtocol.applicationCreateWorked = patched_application_create_worked
    WebSocketProtocol.onMessage = patched_on_message
    WebSocketProtocol.dataReceived = patched_data_received
    autobahn_protocol.create_xor_masker = small_first(autobahn_protocol.create_xor_masker)
    WebSocketProtocol.reading_paused = False
    WebSocketFactory.__init__ = patched_factory_init
    WebSocketProtocol._channels1_patched = True
    return True
