"""The delay server run for real: ``manage.py rundelay`` processes of the 1.x
project deliver ``asgi.delay`` messages to their channel when due, once each, also
when one of them is killed outright."""

import asyncio
import signal
import statistics
import time

import pytest
from channels.exceptions import ChannelFull

from .legacy import legacy_layer, legacy_system

LISTENING = "Listening on asgi.delay"


@pytest.fixture
def delay_system(redis_url, tmp_path):
    """The legacy project's database and two rundelay processes (no Daphne needed)."""
    system = legacy_system(redis_url, tmp_path)
    system.prepare()
    try:
        system.delay_servers = [system.start_process(f"delay{n}", ["manage.py", "rundelay", "-v", "2"])
                                for n in range(2)]
        for process in system.delay_servers:
            system.wait_for_log(process, LISTENING)
        yield system
    finally:
        system._interrupt(system.delay_servers)
        system._reap(system.delay_servers)


@pytest.fixture
async def layer(delay_system, redis_url):
    layer = legacy_layer(delay_system, redis_url)
    yield layer
    await layer.close()


def delay_logs(system):
    return "\n".join(system.log(process) for process in system.delay_servers)


async def receive_all(layer, channel, count, timeout):
    """``(arrival time, message)`` of ``count`` messages, then whatever else comes
    in the next second (nothing, unless something was delivered twice)."""
    arrived = []
    deadline = time.time() + timeout
    while len(arrived) < count and time.time() < deadline:
        try:
            message = await asyncio.wait_for(layer.receive(channel), max(0.1, deadline - time.time()))
        except TimeoutError:
            break
        arrived.append((time.time(), message))
    try:
        while True:
            arrived.append((time.time(), await asyncio.wait_for(layer.receive(channel), 1)))
    except TimeoutError:
        pass
    return arrived


async def test_delayed_messages_arrive_when_due_once_each_with_two_servers(layer):
    channel = await layer.new_channel("delayed")
    sent_at = {}
    for n in range(200):
        delay = 300 + (n * 37) % 1200
        sent_at[n] = time.time() + delay / 1000
        await layer.send("asgi.delay", {"channel": channel, "content": {"n": n}, "delay": delay})
    arrived = await receive_all(layer, channel, 200, timeout=30)
    numbers = [message["n"] for _, message in arrived]
    assert sorted(numbers) == list(range(200)), "a message was lost or delivered twice"
    # Due is counted from when Redis stored the request, after sent_at's clock was read.
    lateness = [(at - sent_at[message["n"]]) * 1000 for at, message in arrived]
    assert min(lateness) >= -5, "a message arrived before it was due"
    cuts = statistics.quantiles(lateness, n=100)
    print(f"\ndelivery after due with two delay servers: p50 {cuts[49]:.1f} ms, p99 {cuts[98]:.1f} ms, "
          f"max {max(lateness):.1f} ms (shared machine)")


async def test_messages_survive_a_delay_server_killed_outright(delay_system, layer):
    channel = await layer.new_channel("delayed")
    for n in range(50):
        await layer.send("asgi.delay", {"channel": channel, "content": {"n": n}, "delay": 1500})
    await asyncio.sleep(0.5)  # taken and scheduled by the servers
    delay_system.delay_servers[0].send_signal(signal.SIGKILL)
    arrived = await receive_all(layer, channel, 50, timeout=30)
    assert sorted(message["n"] for _, message in arrived) == list(range(50))


async def test_a_malformed_request_is_logged_and_skipped(delay_system, layer):
    channel = await layer.new_channel("delayed")
    await layer.send("asgi.delay", {"channel": channel, "delay": 10})
    await layer.send("asgi.delay", {"channel": channel, "content": {"n": 1}, "delay": "soon"})
    await layer.send("asgi.delay", {"channel": channel, "content": {"n": 2}, "delay": 10})
    arrived = await receive_all(layer, channel, 1, timeout=30)
    assert [message for _, message in arrived] == [{"n": 2}]
    logs = delay_logs(delay_system)
    assert "Dropped a malformed message on asgi.delay: missing key(s) content" in logs
    assert "delay for" in logs and "must be a whole number of milliseconds" in logs


async def test_a_full_channel_gets_its_message_once_it_has_room(delay_system, layer):
    filled = 0
    with pytest.raises(ChannelFull):
        while True:
            await layer.send("tiny.channel", {"filler": filled})
            filled += 1
    await layer.send("asgi.delay", {"channel": "tiny.channel", "content": {"late": True}, "delay": 10})
    deadline = time.time() + 30
    while "found their channel full" not in delay_logs(delay_system) and time.time() < deadline:
        await asyncio.sleep(0.1)
    assert "1 due message(s) found their channel full" in delay_logs(delay_system)
    received = [await layer.receive("tiny.channel") for _ in range(filled)]
    assert received == [{"filler": n} for n in range(filled)]
    assert await asyncio.wait_for(layer.receive("tiny.channel"), 30) == {"late": True}
