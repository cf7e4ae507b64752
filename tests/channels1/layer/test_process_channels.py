"""A process reads each envelope on its lists once: one written again by a retried
send, or handed back by a promoted replica that missed its read, is dropped and
counted, while the same message sent twice still arrives twice, and an envelope
written without an id is delivered as before. A group's message that does not unpack
is set aside for each member, one read just after its receive was cancelled waits for
the next receive, and receives wait on futures their loop makes."""

import asyncio
import itertools

import msgpack
import pytest

from channels1.layer._codec import pack_message
from channels1.layer._group_sends import GROUP_SEND
from channels1.layer._process_channels import RecentIds, _future_maker
from channels1.layer._stats import channel_label
from channels1.layer.delayed import move_due, schedule

from .conftest import receive, wait_until
from .test_dead_letters import dead_letters
from .test_group_sends import beside


async def read_again(layer, server, process_list, send, channel):
    """Make ``send()`` write to ``channel``, receive it, then put the same envelope
    back at the head of the list, as a promoted replica that missed the read has it."""
    await send()
    envelopes = server.lrange(process_list, 0, -1)
    assert len(envelopes) == 1, "the send wrote one envelope"
    message = await receive(layer, channel)
    server.lpush(process_list, envelopes[0])
    return message


async def test_an_envelope_read_again_is_dropped_and_counted(make_layer, layer_redis):
    layer = make_layer()
    channel = await layer.new_channel()
    process_list = layer._process_key(channel)
    server = layer_redis.of(process_list)
    first = await read_again(layer, server, process_list, lambda: layer.send(channel, {"n": 1}), channel)
    assert first == {"n": 1}
    await layer.send(channel, {"n": 2})
    assert await receive(layer, channel) == {"n": 2}
    assert layer.stats.take()[f"repeated|{channel_label(channel)}"] == 1


async def test_the_same_message_sent_twice_arrives_twice(make_layer):
    layer = make_layer()
    channel = await layer.new_channel()
    await asyncio.gather(*(layer.send(channel, {"text": "same"}) for _ in range(3)))
    assert [await receive(layer, channel) for _ in range(3)] == [{"text": "same"}] * 3
    assert not any(key.startswith("repeated|") for key in layer.stats.take())


async def test_a_group_send_script_run_twice_reaches_each_member_once(make_layer, layer_redis):
    sender, owner = make_layer(), make_layer()
    members = [await owner.new_channel() for _ in range(2)]
    process_key = owner._process_key(members[0])
    group = beside(sender, lambda name: process_key if name is None else sender._group_key(name),
                   (f"retried{i}" for i in itertools.count()))
    for member in members:
        await sender.group_add(group, member)
    await sender.group_send(group, {"n": 0})  # the script learns that the process list lives beside it
    assert [await receive(owner, member) for member in members] == [{"n": 0}] * 2
    key = sender._group_key(group)
    client = (await sender._runtime()).shards.client(key)
    keys, args = sender._group_sends.call(key, pack_message(group, {"n": 1}, sender.max_message_size), sender._now_ms())
    for _ in range(2):  # a call whose reply was lost, made again
        written, handed_back = await GROUP_SEND(client, keys, args)
        assert (len(written), handed_back) == (1, []), "the script wrote the process's envelope itself"
    await sender.group_send(group, {"n": 2})
    for member in members:
        assert [await receive(owner, member) for _ in range(2)] == [{"n": 1}, {"n": 2}]
    assert owner.stats.take()[f"repeated|{channel_label(members[0])}"] == 2


async def test_a_delayed_message_read_again_is_dropped(make_layer, layer_redis):
    layer = make_layer()
    channel = await layer.new_channel()
    process_list = layer._process_key(channel)
    server = layer_redis.of(process_list)

    async def moved():
        await schedule(layer, channel, {"later": True}, 0, "delayed-1")
        assert (await move_due(layer))[:2] == (1, 0)

    assert await read_again(layer, server, process_list, moved, channel) == {"later": True}
    await layer.send(channel, {"after": True})
    assert await receive(layer, channel) == {"after": True}


def test_recent_ids_forget_the_oldest_past_their_size():
    recent = RecentIds(size=2)
    assert [recent.first_time(envelope_id) for envelope_id in (1, 2, 1, 3)] == [True, True, False, True]
    assert (recent.first_time(1), recent.first_time(3)) == (True, False)


async def test_an_envelope_without_an_id_is_delivered_each_time(make_layer, layer_redis):
    layer = make_layer()
    channel = await layer.new_channel()
    process_list = layer._process_key(channel)
    envelope = msgpack.packb((layer._now_ms(), channel, pack_message(channel, {"old": True}, 1000)),
                             use_bin_type=True)
    layer_redis.of(process_list).rpush(process_list, envelope, envelope)
    assert [await receive(layer, channel) for _ in range(2)] == [{"old": True}] * 2


async def test_a_group_message_that_does_not_unpack_is_set_aside_for_each_member(make_layer, layer_redis):
    layer = make_layer()
    members = [await layer.new_channel() for _ in range(2)]
    process_list = layer._process_key(members[0])
    server = layer_redis.of(process_list)
    for member in members:
        await layer.send(member, {"n": 0})
        assert await receive(layer, member) == {"n": 0}  # the reader covers the list
    server.rpush(process_list, msgpack.packb((layer._now_ms(), members, b"\xc1"), use_bin_type=True))
    for n, member in enumerate(members, 1):
        await layer.send(member, {"n": n})
    assert [await receive(layer, member) for member in members] == [{"n": 1}, {"n": 2}]
    anywhere = layer_redis.by_key()  # the dead letters may live on another server than the list
    await wait_until(lambda: len(dead_letters(anywhere, layer.prefix)) == 2)
    reasons = sorted(entry["reason"].partition(": ")[0] for entry in dead_letters(anywhere, layer.prefix))
    assert reasons == sorted(f"undecodable message for {member}" for member in members)


def test_receives_wait_on_futures_made_by_a_loop_that_makes_its_own():
    class OwnFutures(asyncio.SelectorEventLoop):
        made = 0

        def create_future(self):
            self.made += 1
            return super().create_future()

    for loop in (OwnFutures(), asyncio.new_event_loop()):
        try:
            future = _future_maker(loop)()
            assert future.get_loop() is loop and isinstance(future, asyncio.Future)
            assert getattr(loop, "made", 1) == 1
        finally:
            loop.close()


async def test_a_message_read_just_after_its_receive_was_cancelled_goes_to_the_next_receive(layer):
    channel = await layer.new_channel()
    await layer.send(channel, {"n": 0})
    assert await receive(layer, channel) == {"n": 0}
    process_channels = (await layer._runtime()).process_channels
    waiting = asyncio.create_task(layer.receive(channel))
    await wait_until(lambda: process_channels._waiters.get(channel))
    waiting.cancel()  # its future is cancelled now; the receive ends on the next loop turn
    process_channels._dispatch(layer._now_ms(), [channel], pack_message(channel, {"n": 1}, layer.max_message_size))
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert await receive(layer, channel) == {"n": 1}
