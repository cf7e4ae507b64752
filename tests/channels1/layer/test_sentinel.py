"""The layer behind Sentinels: a primary, its replica and three Sentinels started by
the test. After the primary is SIGKILLed the layer works on the promoted replica:
readers follow it, and what a dead receiver held is redelivered, once."""

import asyncio

import pytest

from channels1.redis_server import LocalSentinel

from .conftest import layer_maker, take_every, vanish, wait_until


@pytest.fixture
def watched():
    with LocalSentinel(master_name="layer") as setup:
        yield setup


async def test_the_layer_follows_the_primary_through_a_failover_and_redelivers_what_was_held(watched):
    make = layer_maker(None)
    options = {"sentinels": watched.sentinels, "master_name": "layer", "visibility_timeout": 2}
    sender, holder, listener = make(**options), make(**options), make(**options)
    for n in range(20):
        await sender.send("test.failover", {"n": n})
    name = await listener.new_channel()
    receiving = asyncio.ensure_future(listener.receive(name))
    taken = await holder.receive_batch(["test.failover"], 10)
    assert [delivery.message["n"] for delivery in taken] == list(range(10))
    for delivery in taken[:5]:
        holder.ack(delivery)
    runtime = holder._runtimes[asyncio.get_running_loop()]
    await asyncio.gather(*(batcher.drained() for batcher in runtime.shards.batchers))
    with watched.primary.client(socket_timeout=60) as primary:
        # Replication is asynchronous: what the replica has not got when the primary
        # dies is gone. The test fails over once the replica has everything.
        assert primary.execute_command("WAIT", 1, 30000) == 1
    vanish(holder)  # dies holding messages 5 to 9
    watched.primary.process.kill()
    await wait_until(lambda: watched.primary_port() == watched.replica.port, timeout=60)

    after = make(**options)
    for n in range(20, 25):
        await after.send("test.failover", {"n": n})
    await after.send(name, {"after": "failover"})
    assert await asyncio.wait_for(receiving, 30) == {"after": "failover"}  # its reader followed
    survivor = make(**options)
    assert sorted(await take_every(survivor, "test.failover", 20)) == list(range(5, 25))
    for layer in (sender, listener, after, survivor):
        await layer.close()
