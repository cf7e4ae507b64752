"""A receiver of channels in many slots of a Redis Cluster waits once per node, on its
doorbell, and a send or a delayed message moved onto one of its channels (from another
process) wakes it at once, long before its block timeout; what a silent receiver held
in several slots is taken over in the same reads."""

import asyncio

import pytest
import redis

from channels1.layer._cluster import slot_of
from channels1.layer.delayed import move_due, schedule
from channels1.redis_server import LocalCluster

from .conftest import close_made, layer_maker, vanish, wait_until
from .test_cluster import move_slot, owner, serving_port

CHANNELS = [f"test.spread{i}" for i in range(12)]
# Far longer than any wait below: a receiver that returns sooner was woken.
LONG_BLOCK = 120.0


def blocked(client, command):
    return sum(1 for info in client.client_list() if "b" in info["flags"] and info["cmd"] == command)


def blocked_reads(primaries):
    return [(blocked(client, "xread"), blocked(client, "xreadgroup")) for client in primaries]


async def waiting_receiver(receiver, primaries):
    """A take over CHANNELS, once it waits: one doorbell read on each primary."""
    assert len({slot_of(receiver._stream_key(channel)) for channel in CHANNELS}) == len(CHANNELS)
    await receiver.receive_batch(CHANNELS, 10, block=False)  # the streams and their groups exist
    before = blocked_reads(primaries)
    take = asyncio.ensure_future(receiver.receive_batch(CHANNELS, 10))
    await wait_until(lambda: [(x - bx, g - bg) for (x, g), (bx, bg) in zip(blocked_reads(primaries), before)]
                     == [(1, 0)] * len(primaries), timeout=30)
    return take


async def send(sender, channel, message):
    await sender.send(channel, message)


async def send_from_sync_code(sender, channel, message):
    await asyncio.to_thread(sender.send_now, channel, message)


async def group_send_beside_the_group(sender, channel, message):
    """A group named as its one member lives in the member's slot: once it has learnt
    that, the group's own script writes to the stream, not a batcher."""
    await sender.group_send(channel, message)


async def group_send_from_sync_code_beside_the_group(sender, channel, message):
    await asyncio.to_thread(sender.group_send_now, channel, message)


@pytest.mark.parametrize("send_to", [send, send_from_sync_code, group_send_beside_the_group,
                                     group_send_from_sync_code_beside_the_group])
async def test_a_receiver_of_channels_in_many_slots_waits_once_per_node_and_a_send_wakes_it(
        make_clustered, primaries, send_to):
    receiver, sender = make_clustered(block_timeout=LONG_BLOCK), make_clustered()
    channel = CHANNELS[7]
    await sender.group_add(channel, channel)
    await send_to(sender, channel, {"n": 0})  # a group send learns where its member lives
    warm = await receiver.receive_batch([channel], 1)
    receiver.ack(warm[0])
    take = await waiting_receiver(receiver, primaries)
    await send_to(sender, channel, {"n": 1})
    deliveries = await asyncio.wait_for(take, 30)
    assert [(delivery.channel, delivery.message) for delivery in deliveries] == [(channel, {"n": 1})]
    receiver.ack(deliveries[0])


async def test_a_delayed_message_moved_onto_a_channel_wakes_its_receiver(make_clustered, primaries):
    receiver, mover = make_clustered(block_timeout=LONG_BLOCK), make_clustered()
    take = await waiting_receiver(receiver, primaries)
    seconds, micros = primaries[0].time()
    await schedule(mover, CHANNELS[3], {"later": True}, seconds * 1000 + micros // 1000, "id-1")
    assert (await move_due(mover))[:2] == (1, 0)
    deliveries = await asyncio.wait_for(take, 30)
    assert [(delivery.channel, delivery.message) for delivery in deliveries] == [(CHANNELS[3], {"later": True})]
    receiver.ack(deliveries[0])


async def test_a_message_written_without_a_ring_is_taken_after_one_block_timeout(make_clustered, primaries,
                                                                                 local_cluster):
    """As when a writer's map of the slots is out of date: a delay, nothing lost."""
    receiver = make_clustered(block_timeout=1.0)
    await receiver.receive_batch(CHANNELS, 10, block=False)
    key = receiver._stream_key(CHANNELS[5])
    sender = make_clustered()
    await sender.send(CHANNELS[5], {"n": 1})  # the bodies are the layer's to pack: copy one
    with redis.RedisCluster(host="127.0.0.1", port=local_cluster.servers[0].port) as client:
        [(_, fields)] = client.xrange(key)
        taken = await receiver.receive_batch([CHANNELS[5]], 1)
        receiver.ack(taken[0])
        take = asyncio.ensure_future(receiver.receive_batch(CHANNELS, 10))
        streams = receiver._runtimes[asyncio.get_running_loop()].streams
        await wait_until(lambda: any(key[0] == "doorbell" for key in streams._blocking_reads))
        client.xadd(key, fields)
    deliveries = await asyncio.wait_for(take, 30)
    while not deliveries:
        deliveries = await asyncio.wait_for(receiver.receive_batch(CHANNELS, 10), 30)
    assert [(delivery.channel, delivery.message) for delivery in deliveries] == [(CHANNELS[5], {"n": 1})]
    receiver.ack(deliveries[0])


async def test_messages_a_silent_receiver_held_in_several_slots_are_taken_over(make_clustered):
    sender = make_clustered()
    silent, other = make_clustered(visibility_timeout=0.5), make_clustered(visibility_timeout=0.5)
    for channel in CHANNELS:
        await sender.send(channel, {"on": channel})
    held = await silent.receive_batch(CHANNELS, 20)
    assert sorted(delivery.channel for delivery in held) == sorted(CHANNELS)
    vanish(silent)
    taken = []
    while len(taken) < len(CHANNELS):
        for delivery in await asyncio.wait_for(other.receive_batch(CHANNELS, 20), 30):
            taken.append(delivery)
            other.ack(delivery)
    assert sorted((delivery.channel, delivery.message["on"], delivery.deliveries) for delivery in taken) == sorted(
        (channel, channel, 2) for channel in CHANNELS)
    assert await other.receive_batch(CHANNELS, 20, block=False) == []


async def test_a_receiver_of_many_slots_loses_and_repeats_nothing_while_a_slot_moves(make_clustered, primaries):
    receiver, sender = make_clustered(block_timeout=1.0), make_clustered()
    moving = CHANNELS[0]
    slot = slot_of(sender._stream_key(moving))
    source = owner(primaries, slot)
    target = next(client for client in primaries if client is not source)
    await receiver.receive_batch(CHANNELS, 10, block=False)
    received = []

    async def receive_until(count):
        while len(received) < count:
            for delivery in await asyncio.wait_for(receiver.receive_batch(CHANNELS, 10), 30):
                received.append(delivery.message["n"])
                receiver.ack(delivery)

    waiting = asyncio.ensure_future(receive_until(20))
    await asyncio.get_running_loop().run_in_executor(None, move_slot, slot, source, target)
    for n in range(10):
        await sender.send(moving, {"n": n})
        await sender.send(CHANNELS[1], {"n": 10 + n})
    await waiting
    assert sorted(received) == list(range(20))
    assert await receiver.receive_batch(CHANNELS, 10, block=False) == []
    assert owner(primaries, slot) is target


async def test_a_receiver_of_many_slots_waiting_while_a_primary_dies_gets_every_later_message_once():
    with LocalCluster(primaries=3, replicas=1) as cluster:
        make = layer_maker(cluster.urls)  # every node a start-up node: one of them dies
        receiver, sender = make(block_timeout=1.0), make()
        await receiver.receive_batch(CHANNELS, 10, block=False)
        received = []

        async def receive_until(count):
            while len(received) < count:
                try:
                    deliveries = await receiver.receive_batch(CHANNELS, 10)
                except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                        redis.exceptions.ClusterDownError):
                    await asyncio.sleep(0.2)  # as a worker does: log, pause, read again
                    continue
                for delivery in deliveries:
                    received.append((delivery.channel, delivery.message["n"]))
                    receiver.ack(delivery)

        waiting = asyncio.ensure_future(receive_until(len(CHANNELS) * 2))
        await asyncio.sleep(0.5)  # waiting on the doorbells
        primary, replica = cluster.primaries[0], cluster.servers[cluster.primary_count]
        slot = next(slot_of(receiver._stream_key(channel)) for channel in CHANNELS
                    if serving_port(primary.client(), slot_of(receiver._stream_key(channel))) == primary.port)
        with primary.client(socket_timeout=60) as client:
            # A replica that never caught up does not take over.
            assert client.execute_command("WAIT", 1, 30000) == 1
        primary.process.kill()
        with cluster.primaries[1].client() as client:
            await wait_until(lambda: serving_port(client, slot) == replica.port, timeout=60)
        expected = []
        async with asyncio.timeout(60):
            for n in range(2):
                for channel in CHANNELS:
                    while True:
                        try:
                            await sender.send(channel, {"n": n})
                            break
                        except (redis.exceptions.ConnectionError, redis.exceptions.ClusterDownError):
                            await asyncio.sleep(0.2)  # the batch met the dead node before the new map
                    expected.append((channel, n))
        await asyncio.wait_for(waiting, 60)
        assert sorted(received) == sorted(expected)
        assert await receiver.receive_batch(CHANNELS, 10, block=False) == []
        await close_made(make)

