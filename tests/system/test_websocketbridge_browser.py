"""websocketbridge.js in headless Chromium against the running system: a page loads it
from the static files, connects through the bridge to a 1.x consumer in a worker,
sends and gets JSON back, demultiplexes stream frames and reconnects after the server
closes its socket."""

import pytest

WAIT_MS = 20_000  # covers the bridge's reconnect backoff (1.5-3 s) on a loaded machine


@pytest.fixture
def page(system, chromium):
    page = chromium.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(f"{system.http_url}/test/websocketbridge/")
    page.wait_for_function("seen.opens === 1", timeout=WAIT_MS)
    yield page
    page.close()


def test_connect_puts_a_relative_url_on_the_page_host(system, page):
    assert page.evaluate("bridge.socket.url") == system.ws_url("/ws/test/bridge/")
    assert page.evaluate("bridge.socket.readyState") == 1
    assert page.errors == []


def test_send_goes_as_json_and_listen_gets_the_decoded_reply(page):
    page.evaluate("bridge.send({hello: 'world', n: 1})")
    page.wait_for_function("seen.frames.length === 1", timeout=WAIT_MS)
    assert page.evaluate("seen.frames") == [[{"hello": "world", "n": 1}, None]]
    assert page.errors == []


def test_stream_frames_go_to_their_demultiplex_handler_only(page):
    page.evaluate("bridge.stream('left').send({x: 1})")
    page.wait_for_function("seen.left.length === 1", timeout=WAIT_MS)
    page.evaluate("bridge.stream('right').send([2])")
    page.wait_for_function("seen.right.length === 1", timeout=WAIT_MS)
    assert page.evaluate("seen.left") == [[{"echo": {"x": 1}}, "left"]]
    assert page.evaluate("seen.right") == [[{"echo": [2]}, "right"]]
    assert page.evaluate("seen.frames") == []
    assert page.errors == []


def test_the_socket_reconnects_after_the_server_closes_it(page):
    page.evaluate("bridge.send({close: true})")
    page.wait_for_function("seen.closes === 1", timeout=WAIT_MS)
    page.wait_for_function("seen.opens === 2", timeout=WAIT_MS)
    page.evaluate("bridge.send({after: 'reconnect'})")
    page.wait_for_function("seen.frames.length === 1", timeout=WAIT_MS)
    assert page.evaluate("seen.frames") == [[{"after": "reconnect"}, None]]
    assert page.errors == []


def test_close_with_keep_closed_stays_closed(page):
    page.evaluate("""() => {
        window.quick = new channels.WebSocketBridge();
        quick.opens = 0;
        quick.connect("/ws/test/bridge/", undefined, {minReconnectionDelay: 10, maxReconnectionDelay: 10});
        quick.socket.addEventListener("open", () => { quick.opens += 1; });
    }""")
    page.wait_for_function("quick.opens === 1", timeout=WAIT_MS)
    page.evaluate("quick.socket.close(1000, '', {keepClosed: true})")
    page.wait_for_function("quick.socket.readyState === 3", timeout=WAIT_MS)
    page.wait_for_timeout(2_000)  # 200 times its reconnect delay
    assert page.evaluate("[quick.opens, quick.socket.readyState]") == [1, 3]


def test_the_server_picks_a_protocol_from_channels_ws_protocols(page):
    page.evaluate("""() => {
        window.picky = new channels.WebSocketBridge();
        picky.connect("/ws/test/bridge/", ["other", "channels1.test"]);
    }""")
    page.wait_for_function("picky.socket.readyState === 1", timeout=WAIT_MS)
    assert page.evaluate("picky.socket.protocol") == "channels1.test"
