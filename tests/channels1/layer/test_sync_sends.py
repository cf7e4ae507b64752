"""Sends made by sync code on the calling thread (``send_now``, ``group_send_now``):
they write what the layer's async sends write, through the same script, and handle
full channels, bad group members and lost scripts as those do."""

import asyncio
import json
import logging
import uuid

import pytest
from channels.exceptions import ChannelFull

from channels1.layer import RedisChannelLayer
from channels1.layer.keys import dead_letters_key

from .conftest import receive, wait_until
from .test_batcher import CuttingProxy, tcp_redis  # noqa: F401 (a fixture)


@pytest.fixture
def server(layer_redis):
    """The servers under the layer, each command sent to the one holding its key."""
    return layer_redis.by_key()


async def test_send_now_reaches_a_receiver_in_order(make_layer):
    sender, receiver = make_layer(), make_layer()
    for n in range(3):
        await asyncio.to_thread(sender.send_now, "jobs", {"n": n, "data": b"\x00"})
    assert [await receive(receiver, "jobs") for _ in range(3)] == [{"n": n, "data": b"\x00"} for n in range(3)]
    assert sender.stats.take()["sent|jobs"] == 3


async def test_send_now_reaches_a_process_channel(make_layer):
    sender, owner = make_layer(), make_layer()
    channel = await owner.new_channel()
    await asyncio.to_thread(sender.send_now, channel, {"to": "process"})
    assert await receive(owner, channel) == {"to": "process"}


async def test_send_now_raises_channel_full_at_capacity(make_layer):
    sender = make_layer(capacity=1)
    await asyncio.to_thread(sender.send_now, "tiny", {"n": 1})
    with pytest.raises(ChannelFull):
        await asyncio.to_thread(sender.send_now, "tiny", {"n": 2})
    assert sender.stats.take()["full|tiny"] == 1


async def test_group_send_now_reaches_members_of_processes_and_normal_channels(make_layer, server):
    sender, owner = make_layer(), make_layer()
    members = [await owner.new_channel() for _ in range(3)]
    for member in [*members, "test.member"]:
        await sender.group_add("room", member)
    await asyncio.to_thread(sender.group_send_now, "room", {"n": 1})
    # One envelope for the owner's three channels.
    assert server.llen(owner._process_key(members[0])) == 1
    assert [await receive(owner, member) for member in members] == [{"n": 1}] * 3
    assert await receive(owner, "test.member") == {"n": 1}


async def test_group_send_now_skips_and_counts_members_over_capacity(make_layer, caplog):
    sender = make_layer(capacity=1)
    healthy = await sender.new_channel()
    await sender.group_add("room", healthy)
    await sender.group_add("room", "test.full")
    await sender.send("test.full", {"filler": True})
    with caplog.at_level(logging.WARNING, logger="channels1.layer"):
        await asyncio.to_thread(sender.group_send_now, "room", {"n": 1})
    assert await receive(sender, healthy) == {"n": 1}
    assert sender.stats.take()["full|test.full"] == 1
    assert "group_send skipped 1 member(s) over capacity" in caplog.text


async def test_group_send_now_sets_aside_members_that_are_not_channel_names(layer, server):
    good = await layer.new_channel()
    await layer.group_add("room", good)
    key = f"{layer.prefix}:g:{{room}}"
    server.zadd(key, {"bad name with spaces": int(server.time()[0]) * 1000})
    await asyncio.to_thread(layer.group_send_now, "room", {"n": 1})
    assert await receive(layer, good) == {"n": 1}
    assert server.zrange(key, 0, -1) == [good.encode()]
    (entry,) = [json.loads(entry) for entry in server.lrange(dead_letters_key(layer.prefix), 0, -1)]
    assert entry["key"] == key and "not a channel name" in entry["reason"]


async def test_group_send_now_moves_aside_a_group_key_that_is_not_a_sorted_set(layer, server):
    key = f"{layer.prefix}:g:{{room}}"
    server.set(key, "not a group")
    await asyncio.to_thread(layer.group_send_now, "room", {"n": 0})  # nobody to reach, and no error
    assert server.get(f"{layer.prefix}:aside:{key}") == b"not a group"
    member = await layer.new_channel()
    await layer.group_add("room", member)
    await asyncio.to_thread(layer.group_send_now, "room", {"n": 1})
    assert await receive(layer, member) == {"n": 1}


async def test_send_now_loads_the_script_again_after_the_server_forgot_it(layer, layer_redis):
    await asyncio.to_thread(layer.send_now, "jobs", {"n": 1})
    for each in layer_redis.servers:
        each.script_flush()
    await asyncio.to_thread(layer.send_now, "jobs", {"n": 2})
    assert [await receive(layer, "jobs") for _ in range(2)] == [{"n": 1}, {"n": 2}]


async def test_close_closes_the_connections_of_sync_sends(make_layer, layer_redis):
    layer = make_layer()
    baseline = layer_redis.connected_clients()
    await asyncio.to_thread(layer.send_now, "jobs", {"n": 1})
    assert layer_redis.connected_clients() > baseline
    await layer.close()
    await wait_until(lambda: layer_redis.connected_clients() == baseline)
    await asyncio.to_thread(layer.send_now, "jobs", {"n": 2})  # the layer starts afresh
    assert [await receive(layer, "jobs") for _ in range(2)] == [{"n": 1}, {"n": 2}]


async def test_send_now_timestamps_on_the_servers_clock_from_the_first_send(make_layer, monkeypatch):
    import time

    local_clock = time.time
    monkeypatch.setattr(time, "time", lambda: local_clock() + 120)  # this host runs two minutes ahead
    sender, receiver = make_layer(expiry=60), make_layer(expiry=60)
    # On the local clock, the second send would trim the first as older than the expiry.
    await asyncio.to_thread(sender.send_now, "jobs", {"n": 1})
    await asyncio.to_thread(sender.send_now, "jobs", {"n": 2})
    assert [await receive(receiver, "jobs") for _ in range(2)] == [{"n": 1}, {"n": 2}]


async def test_send_now_whose_connection_breaks_under_it_is_sent_again_on_a_new_one(tcp_redis, caplog):
    async with CuttingProxy(tcp_redis.port) as proxy:
        layer = RedisChannelLayer(hosts=[proxy.url], prefix=f"test{uuid.uuid4().hex[:8]}")
        try:
            await asyncio.to_thread(layer.send_now, "test.cut", {"n": 0})
            proxy.cut_next_request()
            with caplog.at_level(logging.WARNING, logger="channels1.layer"):
                await asyncio.to_thread(layer.send_now, "test.cut", {"n": 1})
            assert proxy.cuts == 1
            assert "sent again on a new connection" in caplog.text
            assert [await receive(layer, "test.cut") for _ in range(2)] == [{"n": 0}, {"n": 1}]
            assert await layer.receive_batch(["test.cut"], 10, block=False) == []
        finally:
            await layer.close()
