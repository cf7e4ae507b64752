"""A burst on one socket slows only that socket: nothing is lost, no socket is
closed, and a quiet client in the same chat room keeps its turn."""

import asyncio
import json
import time

import pytest
from websockets.asyncio.client import connect

from .accounts import Browser
from .chat_frames import next_line

BURST = 2000
QUIET_EVERY = 0.05


@pytest.fixture(scope="module")
def two_users(system):
    return (Browser(system).login_as_new_user("noisy", "noisy-secret-1"),
            Browser(system).login_as_new_user("quiet", "quiet-secret-1"))


async def test_a_burst_of_2000_chat_messages_closes_no_socket_and_loses_nothing(system, two_users):
    noisy_user, quiet_user = two_users
    url = system.ws_url("/ws/chat/burst/")
    async with connect(url, additional_headers=noisy_user.headers()) as noisy, \
            connect(url, additional_headers=quiet_user.headers()) as quiet:
        # Both have joined once a line from each went around.
        for client in (noisy, quiet):
            await client.send(json.dumps({"message": "hello"}))
        for client in (noisy, quiet):
            assert len([await next_line(client, 30) for _ in range(2)]) == 2

        sent_at = {}
        returned = {}  # quiet line -> (seconds, burst lines the quiet client got meanwhile)
        burst_seen = 0
        burst_done = asyncio.Event()

        async def burst():
            for i in range(BURST):
                await noisy.send(json.dumps({"message": f"burst {i}"}))

        async def chat_quietly():
            i = 0
            while not burst_done.is_set():
                line = f"quiet {i}"
                sent_at[line] = (time.monotonic(), burst_seen)
                await quiet.send(json.dumps({"message": line}))
                i += 1
                await asyncio.sleep(QUIET_EVERY)

        async def read_quiet():
            nonlocal burst_seen
            burst_lines = []
            while len(burst_lines) < BURST or len(returned) < len(sent_at):
                line = (await next_line(quiet, 60))["message"]
                if line.startswith("burst"):
                    burst_seen += 1
                    burst_lines.append(line)
                    if len(burst_lines) == BURST:
                        burst_done.set()
                else:
                    at, seen = sent_at[line]
                    returned[line] = (time.monotonic() - at, burst_seen - seen)
            return burst_lines

        async def read_noisy():
            lines = []
            while len(lines) < BURST:
                line = (await next_line(noisy, 60))["message"]
                if line.startswith("burst"):
                    lines.append(line)
            return lines

        _, _, quiet_got, noisy_got = await asyncio.gather(burst(), chat_quietly(), read_quiet(), read_noisy())

    expected = [f"burst {i}" for i in range(BURST)]
    assert sorted(quiet_got) == sorted(expected) and len(quiet_got) == BURST
    assert sorted(noisy_got) == sorted(expected) and len(noisy_got) == BURST
    assert set(returned) == set(sent_at)
    delays = sorted(seconds for seconds, _ in returned.values())
    p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
    overtaken_by = max(seen for _, seen in returned.values())
    print(f"\nburst of {BURST}: {len(returned)} quiet lines, none lost; quiet round trip "
          f"median {delays[len(delays) // 2]:.3f} s, p99 {p99:.3f} s; at most {overtaken_by} burst lines "
          f"arrived while a quiet line was on its way")
    # The noisy socket has at most its window (20) of lines waiting ahead of a quiet
    # line, not the whole burst.
    assert overtaken_by < 200
    assert "Closed WebSocket" not in system.log(system.daphne)
