"""receive_batch: many channels in one read, batches bounded by the caller, and no
busy channel starving a quiet one."""

import asyncio

import pytest


async def test_receive_batch_takes_from_several_channels_at_once(layer):
    await layer.send("test.a", {"c": "a"})
    await layer.send("test.b", {"c": "b"})
    await layer.send("test.c", {"c": "c"})
    deliveries = await layer.receive_batch(["test.a", "test.b", "test.c"], 10)
    assert sorted((d.channel, d.message["c"]) for d in deliveries) == [
        ("test.a", "a"), ("test.b", "b"), ("test.c", "c")
    ]


async def test_receive_batch_returns_no_more_than_asked(make_layer):
    layer = make_layer(capacity=1000)
    for i in range(50):
        await layer.send("test.many", {"i": i})
    first = await layer.receive_batch(["test.many"], 7)
    second = await layer.receive_batch(["test.many"], 100)
    assert [d.message["i"] for d in first] == list(range(7))
    assert [d.message["i"] for d in second] == list(range(7, 50))
    await layer.close()


async def test_a_busy_channel_does_not_starve_a_quiet_one(make_layer):
    layer = make_layer(capacity=2000)
    await asyncio.gather(*(layer.send("test.busy", {"i": i}) for i in range(1000)))
    await layer.send("test.quiet", {"quiet": True})
    deliveries = await layer.receive_batch(["test.busy", "test.quiet"], 10)
    assert len(deliveries) == 10
    assert [d.message for d in deliveries if d.channel == "test.quiet"] == [{"quiet": True}]
    await layer.close()


async def test_extra_messages_from_a_fair_share_wait_for_the_next_batch(layer):
    for channel in ("test.a", "test.b", "test.c"):
        await layer.send(channel, {"c": channel})
    first = await layer.receive_batch(["test.a", "test.b", "test.c"], 1)
    rest = await layer.receive_batch(["test.a", "test.b", "test.c"], 5, block=False)
    assert len(first) == 1
    assert sorted(d.channel for d in first + rest) == ["test.a", "test.b", "test.c"]


async def test_receive_batch_blocks_until_a_message_comes(layer):
    waiting = asyncio.ensure_future(layer.receive_batch(["test.x", "test.y"], 10))
    await asyncio.sleep(0.2)
    assert not waiting.done()
    await layer.send("test.y", {"late": True})
    deliveries = await asyncio.wait_for(waiting, 5)
    assert [(d.channel, d.message) for d in deliveries] == [("test.y", {"late": True})]


async def test_receive_batch_without_block_returns_empty(layer):
    assert await layer.receive_batch(["test.empty"], 10, block=False) == []


async def test_receive_batch_refuses_process_channels(layer):
    with pytest.raises(ValueError, match="normal channels only"):
        await layer.receive_batch([await layer.new_channel()], 1)
    with pytest.raises(ValueError, match="at least one channel"):
        await layer.receive_batch([], 1)
