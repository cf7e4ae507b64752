"""Daphne and two workers whose channel layer follows the primary three Sentinels name
(the cache and RQ stay on the test Redis): sockets work and `channels_status` reads
the primary."""

import asyncio
import json
import time

import pytest
from websockets.asyncio.client import connect

from channels1.redis_server import LocalSentinel

from .conftest import System


@pytest.fixture(scope="module")
def watched():
    with LocalSentinel(master_name="system") as setup:
        yield setup


@pytest.fixture(scope="module")
def behind_sentinels(redis_url, watched, tmp_path_factory):
    running = System(redis_url, tmp_path_factory.mktemp("sentinels"), env={
        "CHANNEL_LAYER_SENTINELS": ",".join(f"{host}:{port}" for host, port in watched.sentinels),
        "CHANNEL_LAYER_MASTER_NAME": "system",
    })
    try:
        yield running.start()
    finally:
        running.stop()


async def test_500_echoes_arrive_once_each_through_the_sentinels_primary(behind_sentinels, watched):
    async with connect(behind_sentinels.ws_url("/ws/echo/")) as socket:
        for start in range(0, 500, 50):
            for n in range(start, start + 50):
                await socket.send(str(n))
            received = [await asyncio.wait_for(socket.recv(), 30) for _ in range(50)]
            assert sorted(map(int, received)) == list(range(start, start + 50))
    with watched.primary.client() as primary:
        assert primary.keys(f"{behind_sentinels.env['CHANNEL_LAYER_PREFIX']}:*"), "the layer's keys are on the primary"


def test_status_reads_the_primary_the_sentinels_name(behind_sentinels):
    deadline = time.monotonic() + 60
    while True:
        shown = json.loads(behind_sentinels.manage("channels_status", "--json"))
        if len(shown["workers"]) == 2 and len(shown["daphnes"]) == 1:
            break
        assert time.monotonic() < deadline, f"two workers and a Daphne not shown: {shown}"
        time.sleep(0.5)
    assert shown["redis"]["url"] == "sentinel:system"
    assert {"websocket.connect", "websocket.receive"} <= {channel["name"] for channel in shown["channels"]}
