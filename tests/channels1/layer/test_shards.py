"""The layer over several plain Redis hosts: names spread over all of them by a
consistent hash, a group send costs one write per host, and a worker takes from
channels on every host at once. These tests always run on three servers."""

import asyncio
import collections

import pytest

from channels1.layer._shards import hash_tag, shard_of

from .conftest import LayerRedis, close_made, layer_maker


@pytest.fixture
async def make_sharded(three_hosts):
    make = layer_maker(three_hosts)
    yield make
    await close_made(make)


@pytest.fixture
def servers(three_hosts):
    servers = LayerRedis(three_hosts)
    yield servers
    servers.close()


def test_adding_a_host_moves_only_the_names_it_now_ranks_first_for():
    three = ["redis://a:6379/0", "redis://b:6379/0", "redis://c:6379/0"]
    four = [*three, "redis://d:6379/0"]
    names = [f"chat.room{i}" for i in range(3000)]
    moved = [name for name in names if shard_of(three, name) != shard_of(four, name)]
    assert all(shard_of(four, name) == 3 for name in moved)
    assert 0.15 * len(names) < len(moved) < 0.35 * len(names)  # about a quarter
    assert shard_of(list(reversed(three)), "chat.room1") == 2 - shard_of(three, "chat.room1")


def test_a_key_is_placed_by_its_hash_tag():
    assert hash_tag("asgi:c:{chat.room}") == "chat.room"
    assert hash_tag("asgi:p:{specific.abc}") == "specific.abc"
    assert hash_tag("asgi:plain") == "asgi:plain"


async def test_channels_groups_and_process_lists_spread_over_every_host(make_sharded, servers):
    sender = make_sharded()
    receiver = make_sharded()
    channels = [f"test.spread{i}" for i in range(30)]
    specific = [await receiver.new_channel(f"reply{i}") for i in range(30)]
    for i, channel in enumerate(channels):
        await sender.send(channel, {"i": i})
        await sender.group_add(f"room{i}", channel)
    for i, channel in enumerate(specific):
        await sender.send(channel, {"i": i})
    holders = collections.Counter()
    for server in servers.servers:
        keys = server.keys(f"{make_sharded.prefix}:*")
        assert keys, "a host holds none of the layer's keys"
        holders.update(keys)
    assert set(holders.values()) == {1}  # each key on one host only
    assert len(holders) == 30 + 30 + 30 + 30  # streams, groups, the groups each channel joined, process lists
    for i, channel in enumerate(channels):
        assert await asyncio.wait_for(receiver.receive(channel), 10) == {"i": i}
    for i, channel in enumerate(specific):
        assert await asyncio.wait_for(receiver.receive(channel), 10) == {"i": i}
    await sender.close()
    await receiver.close()


async def test_group_send_writes_once_per_host_holding_members(make_sharded, servers):
    processes = [make_sharded() for _ in range(8)]
    members = []
    for process in processes:
        members += [(process, await process.new_channel()) for _ in range(2)]
    members += [(processes[0], f"test.member{i}") for i in range(12)]
    for _, channel in members:
        await processes[0].group_add("everyone", channel)
    await processes[0].group_send("everyone", {"warm": True})  # the scripts are loaded
    for process, channel in members:
        assert await asyncio.wait_for(process.receive(channel), 10) == {"warm": True}
    hosts_with_members = {
        servers.of(processes[0]._process_key(channel) if "!" in channel else processes[0]._stream_key(channel))
        for _, channel in members
    }
    assert len(hosts_with_members) == 3
    for server in servers.servers:
        server.config_resetstat()
    await processes[0].group_send("everyone", {"n": 1})
    sends = [server.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0) for server in servers.servers]
    assert sends == [1, 1, 1]
    for process, channel in members:
        assert await asyncio.wait_for(process.receive(channel), 10) == {"n": 1}
    for process in processes:
        await process.close()


async def test_a_worker_takes_from_channels_on_every_host_without_loss_or_duplicates(make_sharded):
    sender, worker = make_sharded(capacity=1000), make_sharded()
    channels = [f"test.work{i}" for i in range(24)]
    sent = set()
    for n in range(600):
        await sender.send(channels[n % len(channels)], {"n": n})
        sent.add(n)
    received = []
    while len(received) < len(sent):
        batch = await asyncio.wait_for(worker.receive_batch(channels, 50), 30)
        for delivery in batch:
            received.append(delivery.message["n"])
            worker.ack(delivery)
    assert sorted(received) == sorted(sent)
    assert await worker.receive_batch(channels, 50, block=False) == []
    await sender.close()
    await worker.close()


async def test_a_blocking_take_over_several_hosts_answers_with_the_first_host_that_has_one(make_sharded, servers):
    # The blocking reads last far longer than the wait below: a take that waited
    # for every host's read would time out.
    worker, sender = make_sharded(block_timeout=60), make_sharded()
    by_host = {}
    for i in range(40):
        channel = f"test.quiet{i}"
        by_host.setdefault(servers.servers.index(servers.of(worker._stream_key(channel))), channel)
    channels = [by_host[index] for index in sorted(by_host)]
    assert len(channels) == 3
    taking = asyncio.ensure_future(worker.receive_batch(channels, 10))
    await asyncio.sleep(0.5)  # the blocking reads are in flight on every host
    await sender.send(channels[1], {"from": 1})
    first = await asyncio.wait_for(taking, 10)
    assert [(d.channel, d.message) for d in first] == [(channels[1], {"from": 1})]
    # The reads still blocking on the other hosts keep what they get for the next take.
    await sender.send(channels[0], {"from": 0})
    await sender.send(channels[2], {"from": 2})
    rest = []
    while len(rest) < 2:
        rest += await asyncio.wait_for(worker.receive_batch(channels, 10), 10)
    assert sorted(d.message["from"] for d in rest) == [0, 2]
    for delivery in first + rest:
        worker.ack(delivery)
    await worker.close()
    await sender.close()
