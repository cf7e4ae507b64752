"""Daphne and two workers with their channel layer on a Redis Cluster of three
primaries (the cache and RQ stay on the test Redis): sockets, group sends from
another process, `channels_status` reading every primary, and a primary SIGKILLed
mid-traffic while every message is counted."""

import asyncio
import json
import time

import pytest
import redis.cluster
from websockets.asyncio.client import connect

from channels1.layer._cluster import slot_of
from channels1.redis_server import LocalCluster

from .conftest import System
from .counting import Traffic, layer_is_empty

GROUPS = [f"cluster.room{n}" for n in range(6)]


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(primaries=3) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def clustered(redis_url, cluster, tmp_path_factory):
    running = start_on(cluster, redis_url, tmp_path_factory.mktemp("clustered"))
    try:
        yield running
    finally:
        running.stop()


def start_on(cluster, redis_url, directory, env=None, **options):
    running = System(redis_url, directory, env={"CHANNEL_LAYER_URLS": ",".join(cluster.urls), **(env or {})},
                     **options)
    return running.start()


def node_of(cluster, key):
    """The port of the primary serving ``key``, as a node still running says."""
    with next(server for server in cluster.servers if server.running).client() as client:
        slot = slot_of(key)
        for start, end, node, *_ in client.execute_command("CLUSTER", "SLOTS"):
            if start <= slot <= end:
                return node[1]


def status(system):
    return json.loads(system.manage("channels_status", "--json"))


async def test_group_sends_reach_sockets_whose_groups_sit_on_every_primary(clustered, cluster):
    prefix = clustered.env["CHANNEL_LAYER_PREFIX"]
    assert len({node_of(cluster, f"{prefix}:g:{{{group}}}") for group in GROUPS}) == 3, "groups on every primary"
    sockets = [await connect(clustered.ws_url(f"/ws/test/grouped/?group={group}")) for group in GROUPS]
    try:
        script = "from channels1 import Group; " + "; ".join(
            f"Group({group!r}).send({{'text': {group!r}}})" for group in GROUPS)
        await asyncio.to_thread(clustered.manage, "shell", "-c", script)
        for socket, group in zip(sockets, GROUPS):
            assert await asyncio.wait_for(socket.recv(), 30) == group
    finally:
        for socket in sockets:
            await socket.close()


async def test_1000_echoes_arrive_once_each_through_the_cluster(clustered):
    async with Traffic(clustered, echoes=1, members=0, count=1000, window=50, echo_path="/ws/echo/") as traffic:
        await traffic.run()
    assert traffic.problems() == {}


def test_status_reads_every_primary(clustered, cluster):
    deadline = time.monotonic() + 60
    while True:
        shown = status(clustered)
        if len(shown["workers"]) == 2 and len(shown["daphnes"]) == 1:
            break
        assert time.monotonic() < deadline, f"two workers and a Daphne not shown: {shown}"
        time.sleep(0.5)
    assert sorted(worker["pid"] for worker in shown["workers"]) == sorted(w.pid for w in clustered.workers)
    assert shown["redis"]["url"].count("redis://") == 3
    prefix = clustered.env["CHANNEL_LAYER_PREFIX"]
    names = {channel["name"] for channel in shown["channels"]}
    assert {"websocket.connect", "websocket.receive"} <= names
    nodes = {node_of(cluster, f"{prefix}:c:{{{name}}}") for name in names}
    assert len(nodes) > 1, "the channels shown came from several primaries"


def daphne_list_key(cluster, prefix, group):
    """The key of the list holding the replies for the Daphne whose sockets are in ``group``."""
    with redis.cluster.RedisCluster(host="127.0.0.1", port=cluster.primaries[0].port) as client:
        member = client.zrange(f"{prefix}:g:{{{group}}}", 0, 0)[0].decode()
    return f"{prefix}:p:{{{member.partition('!')[0]}}}"


@pytest.mark.parametrize("killed", ["websocket.receive", "the Daphne's replies"])
async def test_a_primary_killed_mid_traffic_loses_and_repeats_no_echo_or_broadcast(redis_url, tmp_path, killed):
    with LocalCluster(primaries=3, replicas=1) as cluster:
        # Replicas confirm every write; what a killed worker held comes back in 5 s.
        running = start_on(cluster, redis_url, tmp_path, env={"CHANNEL_LAYER_REPLICA_ACKS": "1"},
                           layer_config={"visibility_timeout": 5})
        try:
            prefix = running.env["CHANNEL_LAYER_PREFIX"]
            async with Traffic(running) as traffic:
                # websocket.receive carries every frame of every socket; the Daphne's
                # list every echo and broadcast coming back.
                key = (f"{prefix}:c:{{websocket.receive}}" if killed == "websocket.receive"
                       else daphne_list_key(cluster, prefix, traffic.group))
                port = node_of(cluster, key)
                primary = next(server for server in cluster.primaries if server.port == port)
                running_traffic = asyncio.ensure_future(traffic.run())
                await traffic.halfway.wait()
                primary.process.kill()
                await running_traffic
                survivor = next(server for server in cluster.servers if server is not primary)
                with redis.cluster.RedisCluster(host="127.0.0.1", port=survivor.port) as client:
                    await traffic.settle(lambda: layer_is_empty(client, prefix))
                assert traffic.problems() == {}, f"of {traffic.total} messages"
            assert node_of(cluster, key) != port, "the replica took over"
        finally:
            running.stop()
