"""Malformed entries in each kind of key — a stream, a process list, a group — are
logged with their key, set aside in the dead-letter list, and everything else keeps
flowing; keys of the wrong type are moved out of the way."""

import asyncio
import json
import logging

import msgpack
import pytest

from channels1.layer.keys import dead_letters_key

from .conftest import receive

GARBAGE_BODIES = [msgpack.packb([1, 2]), b"\xc1"]  # not a dict; not msgpack at all


@pytest.fixture
def server(layer_redis):
    return layer_redis.by_key()


def dead_letters(server, prefix):
    return [json.loads(entry) for entry in server.lrange(dead_letters_key(prefix), 0, -1)]


async def test_malformed_stream_entries_are_acknowledged_and_set_aside(layer, server, caplog):
    key = layer._stream_key("test.garbage")
    await layer.send("test.garbage", {"n": 1})  # makes the stream and its group
    server.xadd(key, {"other": "field"})
    for body in GARBAGE_BODIES:
        server.xadd(key, {"m": body})
    await layer.send("test.garbage", {"n": 2})
    with caplog.at_level(logging.ERROR, logger="channels1.layer"):
        deliveries = await layer.receive_batch(["test.garbage"], 10)
    assert [delivery.message for delivery in deliveries] == [{"n": 1}, {"n": 2}]
    for delivery in deliveries:
        layer.ack(delivery)
    await _drained(layer)
    reasons = [entry["reason"] for entry in dead_letters(server, layer.prefix)]
    assert len(reasons) == 3 and all(entry["key"] == key for entry in dead_letters(server, layer.prefix))
    assert any("no message" in reason for reason in reasons)
    assert any("not a dict" in reason for reason in reasons)
    assert any("undecodable" in reason for reason in reasons)
    assert caplog.text.count(f"of {key}:") == 3
    assert server.xpending(key, "receivers")["pending"] == 0


async def test_a_channel_key_that_is_not_a_stream_is_moved_aside(layer, server):
    bad = layer._stream_key("test.bad")
    server.set(bad, "not a stream")
    await layer.send("test.good", {"n": 1})
    taken = []
    for _ in range(3):  # the first read finds the bad key and moves it
        taken += await layer.receive_batch(["test.bad", "test.good"], 10, block=False)
        if taken:
            break
    assert [delivery.message for delivery in taken] == [{"n": 1}]
    assert server.get(f"{layer.prefix}:aside:{bad}") == b"not a stream"
    assert "moved to" in dead_letters(server, layer.prefix)[0]["reason"]
    await layer.send("test.bad", {"n": 2})
    assert await receive(layer, "test.bad") == {"n": 2}


async def test_malformed_process_list_entries_are_set_aside_and_the_reader_goes_on(layer, server):
    channel = await layer.new_channel()
    key = layer._process_key(channel)
    server.rpush(key, b"garbage", msgpack.packb(("soon", [channel], b"x")))
    await layer.send(channel, {"n": 1})
    assert await receive(layer, channel) == {"n": 1}
    for body in GARBAGE_BODIES:
        server.rpush(key, msgpack.packb((int(server.time()[0]) * 1000, channel, body), use_bin_type=True))
    await layer.send(channel, {"n": 2})
    assert await receive(layer, channel) == {"n": 2}
    await _drained(layer)
    entries = dead_letters(server, layer.prefix)
    assert len(entries) == 4 and {entry["key"] for entry in entries} == {key}


async def test_a_process_key_that_is_not_a_list_is_moved_aside(layer, server):
    channel = await layer.new_channel()
    key = layer._process_key(channel)
    server.set(key, "not a list")
    waiting = asyncio.ensure_future(receive(layer, channel))
    await _until(lambda: server.exists(f"{layer.prefix}:aside:{key}"))
    await layer.send(channel, {"n": 1})
    assert await waiting == {"n": 1}


async def test_malformed_group_members_are_removed_and_the_others_still_get_the_message(layer, server):
    good = await layer.new_channel()
    await layer.group_add("room", good)
    key = layer._group_key("room")
    server.zadd(key, {b"\xff\xfe": int(server.time()[0]) * 1000, "bad name with spaces": int(server.time()[0]) * 1000})
    await layer.group_send("room", {"n": 1})
    assert await receive(layer, good) == {"n": 1}
    await _drained(layer)
    assert server.zrange(key, 0, -1) == [good.encode()]
    assert [entry["key"] for entry in dead_letters(server, layer.prefix)] == [key, key]


async def test_a_group_key_that_is_not_a_sorted_set_is_moved_aside(layer, server):
    key = layer._group_key("room")
    server.set(key, "not a group")
    await layer.group_send("room", {"n": 0})  # nobody to reach, and no error
    member = await layer.new_channel()
    await layer.group_add("room", member)
    await layer.group_send("room", {"n": 1})
    assert await receive(layer, member) == {"n": 1}
    assert server.get(f"{layer.prefix}:aside:{key}") == b"not a group"


async def _drained(layer):
    runtime = await layer._runtime()
    await asyncio.gather(*(batcher.drained() for batcher in runtime.shards.batchers))


async def _until(condition, timeout=10):
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)
