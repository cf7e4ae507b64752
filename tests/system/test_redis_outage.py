"""Redis killed and restarted under the real system while two chat clients talk: with
persistence nothing is lost and no socket closes; without, every socket is closed with
1012, reconnects and rejoins its room. Pages keep working while Redis is down."""

import asyncio
import json
import signal
import urllib.request

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from channels1.redis_server import RedisServer

from .accounts import Browser
from .chat_frames import next_line
from .conftest import System

PERIOD = 0.02
TIMEOUT = 30


@pytest.fixture
def own_system(tmp_path):
    """The system on a Redis of its own, which tests kill and start again."""
    made = []

    def make(persist):
        server = RedisServer(tmp_path / "redis", persist=persist).start()
        system = System(server.url, tmp_path / "system", layer_config={"visibility_timeout": 3})
        made.append((server, system))
        return server, system.start(workers=2)

    yield make
    for server, system in made:
        system.stop()
        server.stop()


class Talk:
    """One client numbering its lines every PERIOD seconds, another listening; both
    connect again when closed. Counts what the listener got."""

    def __init__(self, system, talker, listener):
        self.url = system.ws_url("/ws/chat/outage/")
        self.talker, self.listener = talker, listener
        self.sent = 0
        self.got = []
        self.close_codes = []
        self.stopping = False

    async def connected(self, browser):
        while True:
            try:
                socket = await connect(self.url, additional_headers=browser.headers(), open_timeout=TIMEOUT)
            except (InvalidStatus, OSError, asyncio.TimeoutError):
                await asyncio.sleep(0.5)
                continue
            # Joined once its own hello went around.
            await socket.send(json.dumps({"message": "hello"}))
            while (await next_line(socket, TIMEOUT))["message"] != "hello":
                pass
            return socket

    async def talk(self):
        socket = await self.connected(self.talker)
        draining = asyncio.create_task(self.drain(socket))
        while not self.stopping:
            try:
                # A nonce per line, as the chat page sends: a frame written twice is one line.
                await socket.send(json.dumps({"message": str(self.sent), "nonce": str(self.sent)}))
                self.sent += 1
                await asyncio.sleep(PERIOD)
            except ConnectionClosed:
                self.close_codes.append(("talker", await draining))
                socket = await self.connected(self.talker)
                draining = asyncio.create_task(self.drain(socket))
        await socket.close()
        await draining

    @staticmethod
    async def drain(socket):
        """Read (and drop) what comes in until the socket closes; its close code."""
        try:
            while True:
                await socket.recv()
        except ConnectionClosed as closed:
            return closed.rcvd and closed.rcvd.code

    async def listen(self, until):
        socket = await self.connected(self.listener)
        while not until():
            try:
                line = (await next_line(socket, TIMEOUT))["message"]
            except ConnectionClosed as closed:
                self.close_codes.append(("listener", closed.rcvd and closed.rcvd.code))
                socket = await self.connected(self.listener)
                continue
            if line.isdigit():
                self.got.append(int(line))
        await socket.close()

    def counts(self):
        distinct = set(self.got)
        return {"sent": self.sent, "received": len(self.got),
                "lost": len(set(range(self.sent)) - distinct), "duplicated": len(self.got) - len(distinct)}


async def run_through_a_restart(system, server, downtime, settle):
    talk = Talk(system, Browser(system).login_as_new_user("talker", "talker-secret-1"),
                Browser(system).login_as_new_user("listener", "listener-secret-1"))
    listening = asyncio.create_task(talk.listen(until=lambda: talk.stopping and talk.sent - 1 in talk.got))
    await asyncio.sleep(1)
    talking = asyncio.create_task(talk.talk())
    await asyncio.sleep(2)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    await asyncio.sleep(downtime)
    server.start()
    await asyncio.sleep(settle)
    talk.stopping = True
    await asyncio.wait_for(talking, TIMEOUT)
    try:
        await asyncio.wait_for(listening, TIMEOUT)
    except asyncio.TimeoutError:
        listening.cancel()
    return talk


async def test_with_persistence_a_redis_restart_loses_nothing_and_closes_no_socket(own_system):
    server, system = own_system(persist=True)
    talk = await run_through_a_restart(system, server, downtime=0.5, settle=8)
    counts = talk.counts()
    print(f"\nRedis SIGKILL and restart with persistence: {counts}, sockets closed: {talk.close_codes}")
    assert counts["lost"] == 0 and counts["duplicated"] == 0
    assert talk.close_codes == []


async def test_without_persistence_every_socket_reconnects_and_rejoins_its_room(own_system):
    server, system = own_system(persist=False)
    talk = await run_through_a_restart(system, server, downtime=0.5, settle=8)
    counts = talk.counts()
    print(f"\nRedis SIGKILL and restart without persistence: {counts}, sockets closed: {talk.close_codes}")
    assert ("listener", 1012) in talk.close_codes and ("talker", 1012) in talk.close_codes
    # The last line, sent after both rejoined, reached the listener.
    assert talk.sent - 1 in talk.got


async def test_pages_work_and_sockets_wait_while_redis_is_down(own_system):
    server, system = own_system(persist=True)
    browser = Browser(system).login_as_new_user("patient", "patient-secret-1")
    url = system.ws_url("/ws/chat/outage/")
    async with connect(url, additional_headers=browser.headers()) as socket:
        server.stop()
        assert "Chat" in browser.get("/chat/")
        with urllib.request.urlopen(system.http_url + "/accounts/login/", timeout=10) as response:
            assert response.status == 200
        # The open socket is told once Redis stayed away (the bridge's grace: 5 s), after
        # the frames it got on joining.
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(socket.recv(), TIMEOUT)
        assert closed.value.rcvd.code == 1011
    # A new socket is refused with 503 after the handshake timeout, not left hanging.
    with pytest.raises(InvalidStatus) as refused:
        await connect(url, additional_headers=browser.headers(), open_timeout=TIMEOUT)
    assert refused.value.response.status_code == 503
    server.start()
    async with connect(url, additional_headers=browser.headers(), open_timeout=TIMEOUT) as socket:
        await socket.send(json.dumps({"message": "back"}))
        line = await next_line(socket, TIMEOUT)
        assert (line["user"], line["message"]) == ("patient", "back")


def wait_until(page, condition):
    try:
        page.wait_for_function(condition, timeout=TIMEOUT * 1000)
    except Exception as error:
        seen = page.evaluate("[document.getElementById('status').textContent, window.statuses || []]")
        raise AssertionError(f"{condition} did not come true; status, statuses: {seen}") from error


def test_an_open_chat_page_shows_the_outage_and_goes_live_again(own_system, chromium):
    server, system = own_system(persist=False)
    system.create_user("erin", "erin-secret-1")
    page = chromium.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{system.http_url}/accounts/login/?next=/chat/outage/")
    page.fill("input[name=username]", "erin")
    page.fill("input[name=password]", "erin-secret-1")
    page.click("form [type=submit]")
    page.wait_for_url("**/chat/outage/")
    wait_until(page, "document.getElementById('status').textContent === 'live'")
    page.evaluate("""() => {
        window.statuses = [];
        const status = document.getElementById('status');
        new MutationObserver(() => window.statuses.push(status.textContent))
            .observe(status, {childList: true, characterData: true, subtree: true});
    }""")
    server.stop()
    wait_until(page, "window.statuses.includes(\"server's messaging is down, reconnecting…\")")
    server.start()  # empty: the page joins its room again
    wait_until(page, "document.getElementById('status').textContent === 'live'")
    page.fill("#message", "back again")
    page.press("#message", "Enter")
    wait_until(page, "[...document.querySelectorAll('#log .line.mine .text')]"
                     ".some(text => text.textContent === 'back again')")
    assert errors == []
    page.close()
