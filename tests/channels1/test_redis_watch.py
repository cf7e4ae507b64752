"""The Redis watch on a Redis Cluster formed by the test: a marker on every primary,
a primary that lost its data told by name, a replica promoted with the data left
alone, and one promoted without the marker told by its own name."""

import asyncio
import logging
import time
import uuid

import pytest

from channels1._redis_watch import RedisWatch
from channels1.layer import RedisChannelLayer
from channels1.redis_server import LocalCluster

PROMOTION_TIMEOUT = 60


class Watched:
    """A watch of a layer on ``cluster``, recording what it tells."""

    def __init__(self, cluster):
        self.layer = RedisChannelLayer(hosts=[cluster.url], prefix=f"watch{uuid.uuid4().hex[:8]}")
        self.losses = []
        self.watch = RedisWatch(self.layer, on_unreachable=lambda: None, on_data_lost=self.losses.append, grace=60)

    async def epoch_when_answering(self, timeout=PROMOTION_TIMEOUT):
        """The watch's next epoch once the cluster answers for every slot."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return await self.watch.epoch()
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)


def markers_on(server, prefix):
    with server.client() as client:
        return [key for key in client.keys(f"{prefix}.epoch*")]


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(primaries=3) as cluster:
        yield cluster


async def test_a_healthy_cluster_keeps_a_marker_on_every_primary_and_tells_no_loss(cluster):
    watched = Watched(cluster)
    watched.watch.start()
    first = await watched.watch.epoch()
    for _ in range(3):
        assert await watched.watch.epoch() == first
    assert watched.losses == []
    assert [len(markers_on(server, watched.layer.prefix)) for server in cluster.primaries] == [1, 1, 1]


async def test_a_primary_that_lost_its_data_is_told_by_name(cluster, caplog):
    watched = Watched(cluster)
    watched.watch.start()
    before = await watched.watch.epoch()
    flushed = cluster.primaries[1]
    with flushed.client() as client:
        client.flushall()
    with caplog.at_level(logging.WARNING, logger="channels1.redis"):
        after = await watched.watch.epoch()
    assert after != before
    assert watched.losses == [after]
    assert watched.watch.lost == [f"redis://127.0.0.1:{flushed.port}"]
    assert f"Redis at redis://127.0.0.1:{flushed.port} came back without its data" in caplog.text
    assert [len(markers_on(server, watched.layer.prefix)) for server in cluster.primaries] == [1, 1, 1]
    assert await watched.watch.epoch() == after
    assert watched.losses == [after]


async def test_a_promoted_replica_is_watched_in_its_primarys_place():
    with LocalCluster(primaries=3, replicas=1) as cluster:
        watched = Watched(cluster)
        watched.watch.start()
        before = await watched.watch.epoch()
        replica = cluster.servers[3]  # the replica of the first primary
        with replica.client() as client:
            await wait_for(lambda: client.info("replication")["master_link_status"] == "up"
                           and len(client.keys(f"{watched.layer.prefix}.epoch*")) == 1)
        cluster.primaries[0].process.kill()
        with replica.client() as client:
            await wait_for(lambda: client.info("replication")["role"] == "master")
        # Its replica had the marker: the data is there, nothing is told.
        await wait_for_epoch_naming(watched, replica)
        assert await watched.epoch_when_answering() == before
        assert watched.losses == []
        with replica.client() as client:
            client.delete(*client.keys(f"{watched.layer.prefix}.epoch*"))
        after = await watched.epoch_when_answering()
        assert watched.losses == [after]
        assert watched.watch.lost == [f"redis://127.0.0.1:{replica.port}"]


async def wait_for(condition, timeout=PROMOTION_TIMEOUT):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the cluster did not get there in time"
        await asyncio.sleep(0.2)


async def wait_for_epoch_naming(watched, server):
    """Until the watch's client maps the slots to ``server`` among the primaries."""
    async def names_it():
        await watched.epoch_when_answering()
        client = watched.watch._servers[0][1]
        return any(node.port == server.port for nodes in client.nodes_manager.slots_cache.values()
                   for node in nodes[:1])

    deadline = time.monotonic() + PROMOTION_TIMEOUT
    while not await names_it():
        assert time.monotonic() < deadline, "the watch never found the promoted replica"
        await asyncio.sleep(0.5)
