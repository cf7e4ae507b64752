"""Replica acknowledgements (``replica_acks``): a send resolves only once a replica
holds it, a batch no replica confirmed in time is counted in a WARNING, and a
cluster waits on each node it wrote to. Each test starts the servers it needs."""

import asyncio
import contextlib
import logging
import signal

import pytest

from channels1.layer._cluster import slot_of
from channels1.redis_server import RedisServer

from .conftest import close_made, layer_maker, wait_until


@pytest.fixture
def primary_and_replica():
    with RedisServer(port=None, unix_socket=False) as primary:
        with RedisServer(port=None, unix_socket=False,
                         extra_args=["--replicaof", "127.0.0.1", str(primary.port)]) as replica:
            with replica.client() as client:
                def linked():
                    return client.info("replication")["master_link_status"] == "up"

                yield primary, replica, linked


@contextlib.contextmanager
def stopped(server):
    """The server neither reads nor answers (SIGSTOP) until the block ends."""
    server.process.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        server.process.send_signal(signal.SIGCONT)


async def send_to(layer, channel, message, through_group):
    if through_group:
        await layer.group_send(f"{channel}.group", message)
    else:
        await layer.send(channel, message)


@pytest.mark.parametrize("through_group", [False, True], ids=["send", "group_send"])
async def test_a_send_resolves_only_once_the_replica_holds_it(primary_and_replica, through_group):
    primary, replica, linked = primary_and_replica
    await wait_until(linked, timeout=30)
    make = layer_maker([primary.url], replica_acks=1, replica_ack_timeout=60)
    layer = make()
    channel = "test.replicated"
    key = layer._stream_key(channel)
    await layer.group_add(f"{channel}.group", channel)
    await send_to(layer, channel, {"n": 0}, through_group)  # connections and scripts ready
    with primary.client() as on_primary, replica.client() as on_replica:
        with stopped(replica):
            sending = asyncio.ensure_future(send_to(layer, channel, {"n": 1}, through_group))
            await wait_until(lambda: on_primary.xlen(key) == 2, timeout=30)
            assert not sending.done(), "resolved while only the primary held the message"
        await asyncio.wait_for(sending, 30)
        assert on_replica.xlen(key) == 2
    await close_made(make)


async def test_a_batch_no_replica_confirmed_in_time_is_counted_in_a_warning(primary_and_replica, caplog):
    primary, replica, linked = primary_and_replica
    await wait_until(linked, timeout=30)
    make = layer_maker([primary.url], replica_acks=1, replica_ack_timeout=0.2)
    layer = make()
    with stopped(replica), caplog.at_level(logging.WARNING, logger="channels1.layer"):
        await asyncio.wait_for(layer.send("test.unconfirmed", {"n": 1}), 30)
    warnings = [record.getMessage() for record in caplog.records if "not confirmed by a replica" in record.getMessage()]
    assert warnings and primary.url in warnings[0], caplog.text
    assert (await layer.receive("test.unconfirmed")) == {"n": 1}  # sent all the same
    await close_made(make)


async def test_on_a_cluster_each_node_written_to_waits_for_its_replicas(local_cluster):
    make = layer_maker([local_cluster.url], replica_acks=1, replica_ack_timeout=0.05)
    layer = make()
    channel = "test.waited"
    clients = [server.client() for server in local_cluster.primaries]
    try:
        for client in clients:
            client.config_resetstat()
        # The first write to each node waits (no replica confirms here: later ones
        # skip the wait for a while).
        await layer.send(channel, {"n": 1})
        slot = slot_of(layer._stream_key(channel))
        owner = [any(start <= slot <= end and node[1] == client.connection_pool.connection_kwargs["port"]
                     for start, end, node, *_ in client.execute_command("CLUSTER", "SLOTS")) for client in clients]
        waits = [client.info("commandstats").get("cmdstat_wait", {}).get("calls", 0) for client in clients]
        assert waits == [1 if owns else 0 for owns in owner]
    finally:
        for client in clients:
            client.close()
        await close_made(make)
