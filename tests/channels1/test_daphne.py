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


class _RecordingLog:
    def __init__(self):
        self.lines = []

    def debug(self, text, **fields):
        self.lines.append(text)


def test_bytes_read_reach_the_protocol_without_the_debug_line_while_debug_logging_is_off(monkeypatch):
    from autobahn.twisted import websocket

    protocol = protocol_in(WebSocketProtocol.STATE_OPEN)
    received = []
    protocol._dataReceived = received.append
    monkeypatch.setattr(websocket, "hltype", None)  # the debug line's arguments would call it
    protocol.dataReceived(b"\x81\x02hi")
    assert received == [b"\x81\x02hi"]


def test_bytes_read_are_logged_while_debug_logging_is_on():
    protocol = protocol_in(WebSocketProtocol.STATE_OPEN)
    received = []
    protocol._dataReceived = received.append
    protocol.log = _RecordingLog()
    protocol.dataReceived(b"\x81\x02hi")
    assert received == [b"\x81\x02hi"]
    assert len(protocol.log.lines) == 1


def test_a_sockets_queue_hands_frames_over_without_looking_its_loop_up_again(monkeypatch):
    import asyncio
    from asyncio import mixins

    async def exchange():
        queue = _daphne._ReadAheadQueue()
        waiting = asyncio.ensure_future(queue.get())
        await asyncio.sleep(0)
        queue.put_nowait({"type": "websocket.receive", "text": "first"})
        assert (await waiting)["text"] == "first"
        with monkeypatch.context() as patch:
            patch.setattr(mixins.events, "_get_running_loop", lambda: None)  # another loop, as a lookup would see it
            waiting = asyncio.ensure_future(queue.get())
            await asyncio.sleep(0)
            queue.put_nowait({"type": "websocket.receive", "text": "second"})
            assert (await waiting)["text"] == "second"

    asyncio.run(exchange())
