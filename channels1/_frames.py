"""WebSocket frames built once per message and written as they are to each socket the
message goes to: a group's members on one Daphne all reply with the same text or
bytes object (a group message is unpacked once per process), so its frame is built
once for all of them, not once per socket; and written to the socket at once."""

from autobahn.websocket.protocol import WebSocketProtocol
from twisted.internet import tcp

# Payloads whose frames are kept: the group messages of one read may interleave.
RECENT = 8


class Frames:
    """The frames of the last few payloads of one Daphne's WebSocket factory, found
    by the payload object itself: equal text from two messages is framed twice."""

    def __init__(self, factory):
        self._factory = factory
        # id(payload) -> (payload, frame, size); holding the payload keeps its id its own.
        self._recent = {}

    def frame(self, payload, binary):
        """``(frame, size of the encoded payload)`` of a str (text) or bytes payload."""
        entry = self._recent.get(id(payload))
        if entry is not None:
            return entry[1], entry[2]
        encoded = payload if binary else payload.encode()
        frame = self._factory.prepareMessage(encoded, binary).payloadHybi
        self._recent[id(payload)] = (payload, frame, len(encoded))
        if len(self._recent) > RECENT:
            del self._recent[next(iter(self._recent))]
        return frame, len(encoded)


def frames_of(factory):
    """The frames of a Daphne's WebSocket factory, kept on it from its first frame."""
    frames = getattr(factory, "_channels1_frames", None)
    if frames is None:
        frames = factory._channels1_frames = Frames(factory)
    return frames


def send(protocol, message):
    """Write a ``websocket.send`` reply to an open socket as a frame built once for
    its payload; False, writing nothing, where autobahn must build the frame itself:
    compression or fragmenting, a payload over the size limit or empty (Daphne
    sends none), text and bytes together (Daphne refuses it), logged frames."""
    text, data = message.get("text"), message.get("bytes")
    if text and data or not (text or data) or protocol.state != WebSocketProtocol.STATE_OPEN:
        return False
    binary = not text
    payload = data if binary else text
    if binary and type(payload) is not bytes or not binary and type(payload) is not str:
        return False
    if not _plain(protocol):
        return False
    frame, size = frames_of(protocol.factory).frame(payload, binary)
    if 0 < protocol.autoFragmentSize < size or 0 < protocol.maxMessagePayloadSize < size:
        return False
    if protocol.send_queue:
        protocol.sendData(frame)  # after what autobahn queued
    else:
        # As sendData(), without its debug line's arguments (~4 µs a frame).
        write(protocol.transport, frame)
        protocol.trafficStats.outgoingOctetsWireLevel += len(frame)
    stats = protocol.trafficStats
    stats.outgoingWebSocketMessages += 1
    stats.outgoingWebSocketFrames += 1
    stats.outgoingOctetsAppLevel += size
    stats.outgoingOctetsWebSocketLevel += size
    return True


def write(transport, data):
    """Write to a plain TCP connection at once when nothing waits in its buffer: one
    send() where Twisted would watch the socket for writing, write a loop turn later
    and stop watching it (two epoll changes and a reactor call per frame). What the
    socket does not take, and everything else, goes through Twisted's buffer."""
    if not _idle_tcp(transport):
        transport.write(data)
        return
    sent = transport.writeSomeData(data)
    if not isinstance(sent, int):  # the connection is lost: Twisted finds out as it writes
        transport.write(data)
    elif sent < len(data):
        transport.write(data[sent:])


# autobahn's and Twisted's attributes read below are not public: under a version that
# lacks one, frames take autobahn's and Twisted's own paths, as without this module.

def _plain(protocol):
    """Whether the socket sends frames as they are: no compression, no logged frames."""
    try:
        return protocol._perMessageCompress is None and not (
            protocol.logOctets or protocol.logFrames or protocol.trackedTimings)
    except AttributeError:
        return False


def _idle_tcp(transport):
    """Whether ``transport`` is a plain TCP connection, open, with nothing buffered."""
    try:
        return type(transport) is tcp.Server and not (
            transport.TLS or transport.dataBuffer or transport._tempDataBuffer or not transport.connected
            or transport.disconnecting or transport._writeDisconnected)
    except AttributeError:
        return False
