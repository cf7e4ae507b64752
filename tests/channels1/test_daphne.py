"""The additions `channels1._daphne` makes to Daphne 4's WebSocket protocol, one at a
time on a protocol object (the whole of them runs in test_bridge's real Daphne)."""

from daphne.ws_protocol import WebSocketProtocol

from channels1 import _daphne


def protocol_in(state):
    assert _daphne.install()
    protocol = WebSocketProtocol()
    protocol.state = state
    return protocol


def test_a_frame_for_a_socket_in_its_closing_handshake_is_dropped_quietly():
    protocol = protocol_in(WebSocketProtocol.STATE_CLOSING)
    protocol.handle_reply({"type": "websocket.send", "text": "too late"})
    protocol.handle_reply({"type": "websocket.send", "bytes": b"too late"})


def test_a_frame_for_a_closed_socket_is_dropped_quietly():
    protocol_in(WebSocketProtocol.STATE_CLOSED).handle_reply({"type": "websocket.send", "text": "too late"})
