"""Daphne and two workers whose channel layer follows the primary three Sentinels name
(the cache and RQ stay on the test Redis): sockets work, `channels_status` reads
the primary, and the primary SIGKILLed mid-traffic loses and repeats no message."""

import asyncio
import json
import time

import pytest

from channels1.redis_server import LocalSentinel

from .conftest import System
from .counting import Traffic, layer_is_empty


@pytest.fixture(scope="module")
def watched():
    with LocalSentinel(master_name="system") as setup:
        yield setup


def start_behind(watched, redis_url, directory, env=None, **options):
    running = System(redis_url, directory, env={
        "CHANNEL_LAYER_SENTINELS": ",".join(f"{host}:{port}" for host, port in watched.sentinels),
        "CHANNEL_LAYER_MASTER_NAME": watched.master_name,
        **(env or {}),
    }, **options)
    return running.start()


@pytest.fixture(scope="module")
def behind_sentinels(redis_url, watched, tmp_path_factory):
    running = start_behind(watched, redis_url, tmp_path_factory.mktemp("sentinels"))
    try:
        yield running
    finally:
        running.stop()


async def test_500_echoes_arrive_once_each_through_the_sentinels_primary(behind_sentinels, watched):
    async with Traffic(behind_sentinels, echoes=1, members=0, count=500, window=50, echo_path="/ws/echo/") as traffic:
        await traffic.run()
    assert traffic.problems() == {}
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


async def test_the_primary_killed_mid_traffic_loses_and_repeats_no_echo_or_broadcast(redis_url, tmp_path):
    with LocalSentinel(master_name="killed") as watched:
        # Replicas confirm every write; what a worker held when the primary died comes back in 5 s.
        running = start_behind(watched, redis_url, tmp_path, env={"CHANNEL_LAYER_REPLICA_ACKS": "1"},
                               layer_config={"visibility_timeout": 5})
        try:
            async with Traffic(running) as traffic:
                running_traffic = asyncio.ensure_future(traffic.run())
                await traffic.halfway.wait()
                watched.primary.process.kill()
                await running_traffic
                assert watched.primary_port() == watched.replica.port, "the replica was promoted"
                with watched.replica.client() as client:
                    await traffic.settle(lambda: layer_is_empty(client, running.env["CHANNEL_LAYER_PREFIX"]))
                assert traffic.problems() == {}, f"of {traffic.total} messages"
        finally:
            running.stop()
