"""Receivers in separate processes: a split without duplicates or loss, and
redelivery of what a SIGKILLed receiver held."""

import asyncio
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def start_receiver(layer_hosts):
    """Starts receiver processes; any still running after the test, also a failed
    one, is killed."""
    started = []

    def start(prefix, channel, mode, visibility=30):
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.channels1.layer.receiver", ",".join(layer_hosts), prefix, channel, mode, str(visibility)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )
        started.append(process)
        assert json.loads(process.stdout.readline()) == {"ready": True}
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()
        process.stdout.close()


def received(process, timeout=60):
    out, _ = process.communicate(timeout=timeout)
    return [json.loads(line) for line in out.splitlines()]


async def test_two_receiver_processes_split_10000_messages_without_duplicates(make_layer, start_receiver):
    sender = make_layer(capacity=20000)
    receivers = [start_receiver(make_layer.prefix, "test.split", "ack") for _ in range(2)]
    for start in range(0, 10000, 500):
        await asyncio.gather(*(sender.send("test.split", {"i": i}) for i in range(start, start + 500)))
    await sender.close()
    first, second = (received(process) for process in receivers)
    numbers = [row["i"] for row in first + second]
    assert len(numbers) == 10000
    assert sorted(numbers) == list(range(10000))
    assert first and second, "both receivers took part"


async def test_messages_held_by_a_killed_process_are_redelivered(make_layer, start_receiver):
    sender = make_layer()
    for i in range(40):
        await sender.send("test.kill", {"i": i})
    holder = start_receiver(make_layer.prefix, "test.kill", "hold", visibility=1)
    held = []
    deadline = time.monotonic() + 10
    while len(held) < 40 and time.monotonic() < deadline:
        held.append(json.loads(holder.stdout.readline())["i"])
    assert sorted(held) == list(range(40))
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    survivor = start_receiver(make_layer.prefix, "test.kill", "ack", visibility=1)
    rows = received(survivor)
    assert sorted(row["i"] for row in rows) == list(range(40))
    assert {row["deliveries"] for row in rows} == {2}
    await sender.close()
