"""Group sends in one script call: the members whose stream or process list lives
beside the group are read and written by one script, by async and sync sends alike,
which drops expired members, skips full ones, moves wrong-typed keys aside and hands
back names it cannot vouch for. On shards and clusters the tests pick names that land
beside their group."""

import asyncio
import itertools
import json
import logging

import pytest

from channels1.layer._group_sends import GROUP_SEND
from channels1.layer._scripts import SEND
from channels1.layer._stats import channel_label
from channels1.layer.keys import dead_letters_key

from .conftest import receive


@pytest.fixture(params=["async", "sync"])
def group_send(request):
    """``group_send()`` of a layer, or its sync ``group_send_now()`` on another thread."""
    if request.param == "async":
        return lambda layer, group, message: layer.group_send(group, message)
    return lambda layer, group, message: asyncio.to_thread(layer.group_send_now, group, message)


def beside(layer, key, names):
    """The first of ``names`` whose key (given by ``key``) lands beside the key ``key(None)``."""
    placement = layer._group_sends._placement
    unit = placement.index(key(None))
    return next(name for name in names if placement.index(key(name)) == unit)


async def process_and_channel_beside(layer, owner):
    """A group, a channel of ``owner``'s process and a normal channel, all in one unit."""
    member = await owner.new_channel()
    process_key = owner._process_key(member)
    group = beside(layer, lambda name: process_key if name is None else layer._group_key(name),
                   (f"room{i}" for i in itertools.count()))
    channel = beside(layer, lambda name: layer._group_key(group) if name is None else layer._stream_key(name),
                     (f"test.member{i}" for i in itertools.count()))
    for name in (member, channel):
        await layer.group_add(group, name)
    return group, member, channel


async def test_a_group_send_to_members_beside_the_group_writes_in_its_own_script(make_layer, layer_redis, group_send):
    sender, owner = make_layer(), make_layer()
    group, member, channel = await process_and_channel_beside(sender, owner)
    await group_send(sender, group, {"n": 0})  # the script learns where the members live
    server = layer_redis.of(sender._group_key(group))
    server.script_flush()  # a send made apart would load its script again
    await group_send(sender, group, {"n": 1})
    assert server.script_exists(GROUP_SEND.sha, SEND.sha) == [True, False]
    assert [await receive(owner, member) for _ in range(2)] == [{"n": 0}, {"n": 1}]
    assert [await receive(owner, channel) for _ in range(2)] == [{"n": 0}, {"n": 1}]
    assert sender.stats.take()[f"sent|{channel_label(member)}"] == 2


async def test_a_group_send_skips_and_counts_full_members_beside_the_group(make_layer, group_send, caplog):
    sender, owner = make_layer(capacity=1), make_layer()
    group, member, channel = await process_and_channel_beside(sender, owner)
    await group_send(sender, group, {"n": 0})  # both full from here
    sender.stats.take()
    with caplog.at_level(logging.WARNING, logger="channels1.layer"):
        await group_send(sender, group, {"n": 1})
    stats = sender.stats.take()
    assert (stats.get(f"full|{channel_label(member)}"), stats.get(f"full|{channel}")) == (1, 1)
    assert "group_send skipped 2 member(s) over capacity" in caplog.text
    assert await receive(owner, member) == {"n": 0}
    assert await receive(owner, channel) == {"n": 0}
    await group_send(sender, group, {"n": 2})  # room again
    assert await receive(owner, member) == {"n": 2}


async def test_a_group_send_drops_members_beside_the_group_once_expired(make_layer, layer_redis, group_send):
    sender, owner = make_layer(group_expiry=60), make_layer()
    group, member, channel = await process_and_channel_beside(sender, owner)
    await group_send(sender, group, {"n": 0})
    key = sender._group_key(group)
    server = layer_redis.of(key)
    seconds, _ = server.time()
    server.zadd(key, {member: (seconds - 120) * 1000}, xx=True)  # joined two minutes ago, expired
    await group_send(sender, group, {"n": 1})
    assert server.zrange(key, 0, -1) == [channel.encode()]
    assert [await receive(owner, channel) for _ in range(2)] == [{"n": 0}, {"n": 1}]
    assert await receive(owner, member) == {"n": 0}
    with pytest.raises(TimeoutError):
        await receive(owner, member, timeout=0.5)


async def test_a_group_send_moves_aside_a_members_key_of_the_wrong_type(make_layer, layer_redis, group_send):
    sender, owner = make_layer(), make_layer()
    group, member, channel = await process_and_channel_beside(sender, owner)
    await group_send(sender, group, {"n": 0})
    assert await receive(owner, channel) == {"n": 0}
    stream_key = sender._stream_key(channel)
    by_key = layer_redis.by_key()
    by_key.delete(stream_key)
    by_key.set(stream_key, "not a stream")
    await group_send(sender, group, {"n": 1})  # no error, and the other member has it
    assert [await receive(owner, member) for _ in range(2)] == [{"n": 0}, {"n": 1}]
    assert by_key.get(f"{sender.prefix}:aside:{stream_key}") == b"not a stream"
    await group_send(sender, group, {"n": 2})
    assert await receive(owner, channel) == {"n": 2}


@pytest.mark.parametrize("local_part", ["has spaces", "x" * 120], ids=["spaces", "too-long"])
async def test_a_group_send_sets_aside_member_names_beside_the_group_that_are_not_channel_names(
        make_layer, layer_redis, group_send, local_part):
    sender, owner = make_layer(), make_layer()
    group, member, channel = await process_and_channel_beside(sender, owner)
    await group_send(sender, group, {"n": 0})  # the member's process list is known from here
    key = sender._group_key(group)
    bad = f"{member.partition('!')[0]}!{local_part}"  # the same process list as a good member
    server = layer_redis.of(key)
    seconds, _ = server.time()
    server.zadd(key, {bad: seconds * 1000})
    await group_send(sender, group, {"n": 1})
    assert [await receive(owner, member) for _ in range(2)] == [{"n": 0}, {"n": 1}]
    assert sorted(server.zrange(key, 0, -1)) == sorted([member.encode(), channel.encode()])
    dead = layer_redis.of(dead_letters_key(sender.prefix)).lrange(dead_letters_key(sender.prefix), 0, -1)
    (entry,) = [json.loads(entry) for entry in dead]
    assert entry["key"] == key and "not a channel name" in entry["reason"]
