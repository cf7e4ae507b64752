"""Groups: membership, fan-out with one write per receiving process, capacity and
expiry of members."""

import asyncio
import logging

from .conftest import receive


async def test_group_send_reaches_every_member(layer):
    members = [await layer.new_channel() for _ in range(5)]
    for member in members:
        await layer.group_add("room", member)
    await layer.group_send("room", {"text": "hi"})
    for member in members:
        assert await asyncio.wait_for(layer.receive(member), 5) == {"text": "hi"}


async def test_members_of_one_process_each_get_a_message_of_their_own(layer):
    members = [await layer.new_channel() for _ in range(3)]
    for member in members:
        await layer.group_add("room", member)
    await layer.group_send("room", {"text": "hi"})
    await layer.group_send("room", {"text": "hi", "tags": ["a"]})
    for sent in ({"text": "hi"}, {"text": "hi", "tags": ["a"]}):
        changed = await receive(layer, members[0])
        changed["text"] = "changed"
        changed.setdefault("tags", []).append("b")
        for member in members[1:]:
            assert await receive(layer, member) == sent


async def test_group_add_is_idempotent_and_discard_removes(layer):
    kept, gone = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("room", kept)
    await layer.group_add("room", kept)
    await layer.group_add("room", gone)
    await layer.group_discard("room", gone)
    await layer.group_send("room", {"n": 1})
    await layer.group_send("room", {"n": 2})
    assert await receive(layer, kept) == {"n": 1}
    assert await receive(layer, kept) == {"n": 2}
    await layer.send(gone, {"direct": True})
    assert await receive(layer, gone) == {"direct": True}


async def test_group_send_writes_once_per_receiving_process(make_layer, layer_redis):
    first, second = make_layer(), make_layer()
    on_first = [await first.new_channel() for _ in range(3)]
    on_second = [await second.new_channel() for _ in range(2)]
    for member in on_first + on_second:
        await first.group_add("room", member)
    await first.group_send("room", {"text": "fan-out"})

    for process_list in (first._process_key(on_first[0]), second._process_key(on_second[0])):
        assert layer_redis.of(process_list).llen(process_list) == 1
    for layer, members in ((first, on_first), (second, on_second)):
        for member in members:
            assert await asyncio.wait_for(layer.receive(member), 5) == {"text": "fan-out"}
        await layer.close()


async def test_group_send_reaches_members_on_two_processes(make_layer):
    first, second = make_layer(), make_layer()
    a, b = await first.new_channel(), await second.new_channel()
    await first.group_add("room", a)
    await second.group_add("room", b)
    await second.group_send("room", {"both": True})
    assert await asyncio.wait_for(first.receive(a), 5) == {"both": True}
    assert await asyncio.wait_for(second.receive(b), 5) == {"both": True}


async def test_group_send_reaches_normal_channel_members(layer):
    await layer.group_add("room", "test.member")
    await layer.group_send("room", {"to": "normal"})
    assert await receive(layer, "test.member") == {"to": "normal"}


async def test_members_over_capacity_are_skipped_and_counted(make_layer, caplog):
    sender, full = make_layer(), make_layer(capacity=1)
    member = await full.new_channel()
    healthy = await sender.new_channel()
    await sender.group_add("room", member)
    await sender.group_add("room", healthy)
    await sender.group_add("room", "test.full")
    sender.capacity = 1
    await sender.send(member, {"filler": True})
    await sender.send("test.full", {"filler": True})
    with caplog.at_level(logging.WARNING, logger="channels1.layer"):
        for n in range(3):
            await sender.group_send("room", {"n": n})
            assert await receive(sender, healthy) == {"n": n}
    # One line for the first, then one a minute at most: not one per group message.
    assert caplog.text.count("over capacity") == 1
    assert "group_send skipped 2 member(s) over capacity since the last such line; by group: room (2)" in caplog.text
    assert await receive(full, member) == {"filler": True}
    assert sender.stats.take()["full|test.full"] == 3


async def test_members_past_group_expiry_are_pruned(make_layer, layer_redis):
    layer = make_layer(group_expiry=100)
    old = await layer.new_channel()
    await layer.group_add("room", old)
    # 101 s pass by the layer's clock, while the group's key (which expires 100 s of
    # real time after the last add) stays: only pruning can remove the old member.
    layer._clock_offset_ms += 101_000
    fresh = await layer.new_channel()
    await layer.group_add("room", fresh)
    await layer.group_send("room", {"n": 1})
    assert await receive(layer, fresh) == {"n": 1}
    key = f"{make_layer.prefix}:g:{{room}}"
    members = layer_redis.of(key).zrange(key, 0, -1)
    assert members == [fresh.encode()]


async def test_a_process_that_went_away_has_its_messages_freed(make_layer, layer_redis):
    gone, sender = make_layer(expiry=1), make_layer(expiry=1)
    name = await gone.new_channel()
    await sender.send(name, {"to": "nobody"})
    key = gone._process_key(name)
    server = layer_redis.of(key)
    assert server.llen(key) == 1
    await asyncio.sleep(1.3)
    assert not server.exists(key)


async def test_members_whose_socket_is_gone_are_removed_when_their_process_list_is_full(make_layer, caplog, layer_redis):
    sender, daphne = make_layer(), make_layer(capacity=1)
    await daphne.heartbeat("daphne", {"sockets": 1, "owner": daphne.client_prefix}, 60)
    still_open, closed = await daphne.new_channel("daphne.response"), await daphne.new_channel("daphne.response")
    await daphne.track_socket(still_open, "/open/")
    for member in (still_open, closed):
        await sender.group_add("room", member)
    sender.capacity = 1
    await sender.send(still_open, {"filler": True})  # the Daphne's one list is full
    with caplog.at_level(logging.WARNING, logger="channels1.layer"):
        for n in range(3):
            await sender.group_send("room", {"n": n})
    group = layer_redis.by_key().zrange(f"{make_layer.prefix}:g:{{room}}", 0, -1)
    assert group == [still_open.encode()]
    assert caplog.text.count("whose socket was gone") == 1
    assert "group_send removed 1 member(s) whose socket was gone since the last such line; by group: room (1)" \
        in caplog.text


async def test_members_of_a_stopped_daphne_are_removed_when_its_list_is_full(make_layer, layer_redis):
    sender, daphne = make_layer(), make_layer(capacity=1)
    member = await daphne.new_channel("daphne.response")
    await daphne.track_socket(member, "/open/")  # listed, but no live record: the Daphne stopped
    await sender.group_add("room", member)
    await sender.group_add("room", "test.other")
    sender.capacity = 1
    await sender.send(member, {"filler": True})
    await sender.group_send("room", {"n": 1})
    assert layer_redis.by_key().zrange(f"{make_layer.prefix}:g:{{room}}", 0, -1) == [b"test.other"]
