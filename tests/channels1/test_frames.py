"""`channels1._frames` on Daphne's own WebSocket protocol and factory with an in-memory
transport: each frame is the one autobahn writes, and a payload shared by several
sockets is framed once; and its writes to Twisted's TCP connection over a real socket
pair (group messages end to end: test_bridge)."""

import socket

import pytest
from autobahn.exception import PayloadExceededError
from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol
from twisted.internet import protocol, tcp
from twisted.internet.testing import StringTransport

from channels1 import _daphne, _frames

MAX_SIZE = 1 << 20

PAYLOADS = [
    "short",
    "accents é, symbols ✓ and emoji 🙂",
    "x" * 125,
    "y" * 126,
    "z" * 70_000,
    b"\x00\xff binary",
    bytes(range(256)) * 300,
]


class Transport(StringTransport):
    """Keeps each object written, not only the bytes."""

    def __init__(self):
        super().__init__()
        self.writes = []

    def write(self, data):
        self.writes.append(data)
        super().write(data)


@pytest.fixture
def factory():
    assert _daphne.install()
    factory = WebSocketFactory(None)
    factory.setProtocolOptions(maxMessagePayloadSize=MAX_SIZE)
    return factory


def open_socket(factory):
    protocol = factory.buildProtocol(None)
    protocol.makeConnection(Transport())
    protocol.client_addr = None  # Daphne sets it in onConnect(), which no handshake ran here
    protocol.state = WebSocketProtocol.STATE_OPEN
    return protocol


def reply(payload):
    return {"type": "websocket.send", "bytes" if isinstance(payload, bytes) else "text": payload}


@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda payload: f"{type(payload).__name__}-{len(payload)}")
def test_a_frame_is_the_one_autobahn_writes_for_the_payload(factory, payload):
    prepared, plain = open_socket(factory), open_socket(factory)
    prepared.handle_reply(reply(payload))
    binary = isinstance(payload, bytes)
    plain.sendMessage(payload if binary else payload.encode(), binary)
    assert prepared.transport.value() == plain.transport.value()
    assert prepared.trafficStats.__json__() == plain.trafficStats.__json__()


def test_the_same_payload_object_is_framed_once_for_every_socket(factory, monkeypatch):
    prepared = []
    prepare = factory.prepareMessage
    monkeypatch.setattr(factory, "prepareMessage", lambda *args: prepared.append(args) or prepare(*args))
    sockets = [open_socket(factory) for _ in range(3)]
    text = "to every member " * 10
    for socket in sockets:
        socket.handle_reply(reply(text))
    assert len(prepared) == 1
    first = sockets[0].transport.writes[0]
    assert all(socket.transport.writes == [first] for socket in sockets)
    assert all(socket.transport.writes[0] is first for socket in sockets)


def test_a_new_payload_never_gets_the_frame_of_an_earlier_one(factory):
    # Payloads freed at once: their ids come back for later ones.
    socket = open_socket(factory)
    for number in range(200):
        socket.handle_reply(reply(f"message {number}"))
    expected = open_socket(factory)
    for number in range(200):
        expected.sendMessage(f"message {number}".encode(), False)
    assert socket.transport.value() == expected.transport.value()
    assert len(_frames.frames_of(factory)._recent) <= _frames.RECENT


def test_interleaved_messages_each_keep_their_frame(factory):
    first, second = "first " * 30, b"second" * 30
    socket = open_socket(factory)
    expected = open_socket(factory)
    for payload in [first, second, first, second]:
        socket.handle_reply(reply(payload))
        binary = isinstance(payload, bytes)
        expected.sendMessage(payload if binary else payload.encode(), binary)
    assert socket.transport.value() == expected.transport.value()


def test_a_frame_goes_after_data_autobahn_queued(factory):
    socket = open_socket(factory)
    socket.triggered = True  # autobahn is writing its queue out, one entry per reactor turn
    socket.send_queue.append((b"queued", True))
    socket.handle_reply(reply("after it"))
    assert [data for data, _ in socket.send_queue] == [b"queued", b"\x81\x08after it"]
    assert socket.transport.value() == b""


def test_fragmented_messages_are_left_to_autobahn(factory):
    factory.setProtocolOptions(autoFragmentSize=10)
    socket, expected = open_socket(factory), open_socket(factory)
    socket.handle_reply(reply("more than ten bytes"))
    expected.sendMessage(b"more than ten bytes", False)
    assert socket.transport.value() == expected.transport.value()
    assert socket.transport.value().startswith(b"\x01\x0a")  # a first fragment, not a whole frame


def test_a_payload_over_the_size_limit_is_refused_as_before(factory):
    socket = open_socket(factory)
    with pytest.raises(PayloadExceededError):
        socket.handle_reply(reply("é" * (MAX_SIZE // 2 + 1)))
    assert socket.transport.value() == b""


def test_empty_payloads_write_nothing_and_text_with_bytes_is_refused(factory):
    socket = open_socket(factory)
    socket.handle_reply({"type": "websocket.send", "text": ""})
    socket.handle_reply({"type": "websocket.send", "bytes": b""})
    with pytest.raises(ValueError, match="both bytes and text"):
        socket.handle_reply({"type": "websocket.send", "text": "a", "bytes": b"b"})
    assert socket.transport.value() == b""


@pytest.fixture
def connection():
    """A Twisted TCP connection on one end of a socket pair with a small send buffer,
    and the other end, not blocking."""
    assert _daphne.install()
    from twisted.internet import reactor  # Daphne's asyncio reactor, installed by then

    ours, peer = socket.socketpair()
    ours.setblocking(False)
    peer.setblocking(False)
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    transport = tcp.Server(ours, protocol.Protocol(), ("127.0.0.1", 1), None, 1, reactor)
    yield transport, peer
    transport.stopReading()
    transport.stopWriting()
    ours.close()
    peer.close()


def test_a_frame_is_written_at_once_to_a_tcp_connection_with_nothing_buffered(connection):
    transport, peer = connection
    _frames.write(transport, b"frame")
    assert peer.recv(100) == b"frame"
    assert transport not in transport.reactor.getWriters()


def test_what_the_socket_does_not_take_at_once_follows_in_order(connection):
    transport, peer = connection
    big = b"b" * 200_000  # more than the socket takes at once
    _frames.write(transport, big)
    received = peer.recv(1 << 16)  # the socket has room again, Twisted still holds the rest
    _frames.write(transport, b"after")
    assert transport in transport.reactor.getWriters()
    for _ in range(10_000):  # as the reactor would, each time the socket has room
        try:
            received += peer.recv(1 << 16)
        except BlockingIOError:
            transport.doWrite()
        if len(received) == len(big) + 5:
            break
    assert received == big + b"after"
    assert transport not in transport.reactor.getWriters()


def test_a_frame_to_a_connection_its_peer_closed_is_left_to_twisted_to_find_the_loss(connection):
    transport, peer = connection
    peer.close()
    _frames.write(transport, b"too late")
    assert transport in transport.reactor.getWriters()  # its next write ends the connection
