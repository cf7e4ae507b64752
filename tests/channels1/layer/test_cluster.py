"""The layer on a Redis Cluster of three primaries formed by the test run: a group
send costs one script call per slot holding members, a channel whose slot moves to
another primary (ASK during the move, MOVED after it) loses and repeats nothing, and
so does a primary SIGKILLed mid-traffic whose replica takes over."""

import asyncio
import collections

import pytest
import redis

from channels1.layer._cluster import slot_of
from channels1.redis_server import LocalCluster

from .conftest import layer_maker, take_every, vanish, wait_until


def owner(primaries, slot):
    """The primary that serves ``slot`` by its own account."""
    for client in primaries:
        port = client.connection_pool.connection_kwargs["port"]
        for start, end, node, *_ in client.execute_command("CLUSTER", "SLOTS"):
            if start <= slot <= end and node[1] == port:
                return client
    raise AssertionError(f"no primary serves slot {slot}")


async def test_a_group_send_writes_one_script_call_per_slot_holding_members(make_clustered, primaries):
    processes = [make_clustered() for _ in range(4)]
    members = [(process, await process.new_channel()) for process in processes for _ in range(2)]
    members += [(processes[0], f"test.member{i}") for i in range(20)]
    for _, channel in members:
        await processes[0].group_add("everyone", channel)
    await processes[0].group_send("everyone", {"warm": True})
    for process, channel in members:
        assert await asyncio.wait_for(process.receive(channel), 10) == {"warm": True}
    keys = {
        processes[0]._process_key(channel) if "!" in channel else processes[0]._stream_key(channel)
        for _, channel in members
    }
    slots_by_primary = collections.Counter(id(owner(primaries, slot)) for slot in {slot_of(key) for key in keys})
    assert len(slots_by_primary) == 3  # members on every primary
    # The group's own script reads the members, and writes those of its slot.
    group_slot = slot_of(processes[0]._group_key("everyone"))
    if group_slot not in {slot_of(key) for key in keys}:
        slots_by_primary[id(owner(primaries, group_slot))] += 1
    for client in primaries:
        client.config_resetstat()
    await processes[0].group_send("everyone", {"n": 1})
    calls = [client.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0) for client in primaries]
    assert calls == [slots_by_primary[id(client)] for client in primaries]
    for process, channel in members:
        assert await asyncio.wait_for(process.receive(channel), 10) == {"n": 1}
    for process in processes:
        await process.close()


def move_slot(slot, source, target, between_steps=lambda: None):
    """Moves a slot from one primary to another as redis-cli --cluster reshard does:
    the keys migrate while the slot is marked migrating (clients get ASK for keys
    already moved), then every primary learns the new owner (clients get MOVED)."""
    source_id = source.execute_command("CLUSTER", "MYID")
    target_id = target.execute_command("CLUSTER", "MYID")
    target.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", source_id)
    source.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", target_id)
    target_port = target.connection_pool.connection_kwargs["port"]
    while keys := source.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 100):
        source.execute_command("MIGRATE", "127.0.0.1", target_port, "", 0, 5000, "KEYS", *keys)
    between_steps()
    for client in (target, source):
        client.execute_command("CLUSTER", "SETSLOT", slot, "NODE", target_id)


async def test_a_channel_whose_slot_moves_to_another_primary_loses_and_repeats_nothing(make_clustered, primaries):
    sender, receiver = make_clustered(capacity=1000), make_clustered()
    channel = "test.moving"
    slot = slot_of(sender._stream_key(channel))
    source = owner(primaries, slot)
    target = next(client for client in primaries if client is not source)
    for n in range(30):
        await sender.send(channel, {"n": n})
    received = []
    for delivery in await receiver.receive_batch([channel], 10):
        received.append(delivery.message["n"])
        receiver.ack(delivery)

    async def sends(start):
        for n in range(start, start + 10):
            await sender.send(channel, {"n": n})

    marked = asyncio.Event()
    loop = asyncio.get_running_loop()
    moving = loop.run_in_executor(None, move_slot, slot, source, target, lambda: loop.call_soon_threadsafe(marked.set))
    await marked.wait()
    await sends(30)  # the keys have moved, the slot is still the source's: ASK
    await moving
    await sends(40)  # the target owns the slot: MOVED, then the new map
    while len(received) < 50:
        for delivery in await asyncio.wait_for(receiver.receive_batch([channel], 10), 10):
            received.append(delivery.message["n"])
            receiver.ack(delivery)
    assert received == list(range(50))
    assert await receiver.receive_batch([channel], 10, block=False) == []
    assert owner(primaries, slot) is target
    with pytest.raises(redis.exceptions.MovedError):
        source.xlen(sender._stream_key(channel))
    await sender.close()
    await receiver.close()


def serving_port(client, slot):
    for start, end, node, *_ in client.execute_command("CLUSTER", "SLOTS"):
        if start <= slot <= end:
            return node[1]
    return None


async def test_a_killed_primary_hands_over_to_its_replica_and_nothing_is_lost_or_repeated():
    with LocalCluster(primaries=3, replicas=1) as cluster:
        options = {"visibility_timeout": 2}
        make = layer_maker(cluster.urls)  # every node a start-up node: one of them dies
        sender, holder = make(**options), make(**options)
        for n in range(20):
            await sender.send("test.failover", {"n": n})
        taken = await holder.receive_batch(["test.failover"], 10)
        for delivery in taken[:5]:
            holder.ack(delivery)
        runtime = holder._runtimes[asyncio.get_running_loop()]
        await asyncio.gather(*(batcher.drained() for batcher in runtime.shards.batchers))
        slot = slot_of(sender._stream_key("test.failover"))
        index = next(i for i, server in enumerate(cluster.primaries) if serving_port(server.client(), slot) == server.port)
        primary, replica = cluster.primaries[index], cluster.servers[cluster.primary_count + index]
        with primary.client(socket_timeout=60) as client:
            # Replication is asynchronous: the test fails over once the replica has everything.
            assert client.execute_command("WAIT", 1, 30000) == 1
        vanish(holder)  # dies holding messages 5 to 9
        primary.process.kill()
        survivor_node = next(server for server in cluster.primaries if server is not primary)
        with survivor_node.client() as client:
            await wait_until(lambda: serving_port(client, slot) == replica.port, timeout=60)

        # The sender's client learns the new primary and writes there.
        sent = 20
        async with asyncio.timeout(30):
            while sent < 25:
                try:
                    await sender.send("test.failover", {"n": sent})
                except redis.exceptions.ConnectionError:
                    continue  # the batch met the dead node before the client learnt the new map
                sent += 1
        survivor = make(**options)
        assert sorted(await take_every(survivor, "test.failover", 20)) == list(range(5, 25))
        await sender.close()
        await survivor.close()
