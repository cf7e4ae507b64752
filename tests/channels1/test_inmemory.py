"""The in-memory layer: the asgiref 1.x API and defaults from sync code, and the
async calls the engine makes on it."""

import asyncio
import threading

import pytest

from channels1 import route
from channels1.exceptions import ChannelFull, MessageTooLarge
from channels1.inmemory import ChannelLayer
from channels1.routing import Router
from channels1.worker import Worker


@pytest.fixture
def layer():
    return ChannelLayer()


def test_messages_come_out_in_the_order_they_went_in(layer):
    layer.send("thumbnails", {"n": 1})
    layer.send("thumbnails", {"n": 2})
    assert layer.receive(["thumbnails"]) == ("thumbnails", {"n": 1})
    assert layer.receive(["thumbnails"]) == ("thumbnails", {"n": 2})
    assert layer.receive(["thumbnails"]) == (None, None)


def test_a_message_goes_to_one_receiver_only(layer):
    layer.send("jobs", {"n": 1})
    assert layer.receive_many(["jobs"]) == ("jobs", {"n": 1})
    assert layer.receive_many(["jobs"]) == (None, None)


def test_a_receiver_gets_a_copy_of_what_was_sent(layer):
    content = {"items": [1]}
    layer.send("jobs", content)
    content["items"].append(2)
    assert layer.receive(["jobs"])[1] == {"items": [1]}


def test_receive_takes_from_any_of_its_channels(layer):
    layer.send("b", {"on": "b"})
    assert layer.receive(["a", "b"]) == ("b", {"on": "b"})


def test_receive_wants_a_list_of_channels(layer):
    with pytest.raises(TypeError, match="list of channel names"):
        layer.receive("jobs")


def test_a_channel_holds_ten_messages_by_default(layer):
    for n in range(10):
        layer.send("jobs", {"n": n})
    with pytest.raises(ChannelFull):
        layer.send("jobs", {"n": 10})
    assert layer.ChannelFull is ChannelFull and layer.MessageTooLarge is MessageTooLarge


def test_channel_capacity_sets_the_capacity_of_channels_matching_a_glob():
    layer = ChannelLayer(capacity=1, channel_capacity={"big.*": 3})
    for n in range(3):
        layer.send("big.one", {"n": n})
    with pytest.raises(ChannelFull):
        layer.send("big.one", {})
    layer.send("small", {})
    with pytest.raises(ChannelFull):
        layer.send("small", {})


def test_process_specific_channels_are_received_up_to_the_bang_with_their_full_names(layer):
    layer.send("daphne.response.abc!one", {"n": 1})
    layer.send("daphne.response.abc!two", {"n": 2})
    assert layer.receive(["daphne.response.abc!"]) == ("daphne.response.abc!one", {"n": 1})
    assert layer.receive(["daphne.response.abc!"]) == ("daphne.response.abc!two", {"n": 2})
    with pytest.raises(TypeError, match="must end at the !"):
        layer.receive(["daphne.response.abc!one"])


def test_process_specific_channels_share_the_capacity_of_their_prefix():
    layer = ChannelLayer(capacity=1)
    layer.send("reply!a", {})
    with pytest.raises(ChannelFull):
        layer.send("reply!b", {})


def test_new_channel_adds_random_letters_to_a_pattern_ending_in_a_question_mark(layer):
    first, second = layer.new_channel("http.response?"), layer.new_channel("http.response?")
    assert first.startswith("http.response?") and len(first) > len("http.response?")
    assert first != second
    layer.send(first, {"status": 200})
    assert layer.receive([first]) == (first, {"status": 200})


@pytest.mark.parametrize("pattern", ["http.response!", "http.response", b"http.response?"])
def test_new_channel_refuses_patterns_not_ending_in_a_question_mark(layer, pattern):
    with pytest.raises(TypeError, match="ending in '\\?'"):
        layer.new_channel(pattern)


@pytest.mark.parametrize("name", ["with space", "x" * 100, "ends.in?", "a?b?c", b"bytes", "café"])
def test_invalid_channel_names_are_refused(layer, name):
    with pytest.raises(TypeError):
        layer.send(name, {})


def test_only_dicts_can_be_sent(layer):
    with pytest.raises(TypeError, match="dicts, not list"):
        layer.send("jobs", [1])


def test_a_group_send_reaches_every_member_and_skips_full_ones():
    layer = ChannelLayer(capacity=1)
    for channel in ("one", "two"):
        layer.group_add("room", channel)
    layer.send("two", {"filler": True})
    layer.send_group("room", {"text": "hi"})
    assert layer.receive(["one"]) == ("one", {"text": "hi"})
    assert layer.receive(["two"]) == ("two", {"filler": True})
    assert layer.receive(["two"]) == (None, None)


def test_group_add_is_idempotent_and_discard_removes(layer):
    layer.group_add("room", "one")
    layer.group_add("room", "one")
    layer.group_add("room", "two")
    assert sorted(layer.group_channels("room")) == ["one", "two"]
    layer.group_discard("room", "one")
    layer.group_discard("room", "never-added")
    assert layer.group_channels("room") == ["two"]


def test_invalid_group_names_are_refused(layer):
    with pytest.raises(TypeError):
        layer.group_add("room!x", "one")


def test_expired_messages_are_dropped_and_their_channel_leaves_its_groups():
    layer = ChannelLayer(expiry=0)
    layer.group_add("room", "gone")
    layer.send("gone", {})
    assert layer.receive(["gone"]) == (None, None)
    assert layer.group_channels("room") == []


def test_members_not_added_again_within_group_expiry_leave_the_group():
    layer = ChannelLayer(group_expiry=0)
    layer.group_add("room", "one")
    assert layer.group_channels("room") == []


def test_flush_forgets_messages_and_groups(layer):
    layer.send("jobs", {})
    layer.group_add("room", "one")
    layer.flush()
    assert layer.receive(["jobs"]) == (None, None)
    assert layer.group_channels("room") == []


def test_extensions_are_groups_and_flush(layer):
    assert layer.extensions == ["groups", "flush"]


def test_concurrent_senders_lose_nothing_and_duplicate_nothing():
    layer = ChannelLayer(capacity=1000)

    def send(sender):
        for n in range(100):
            layer.send("jobs", {"sender": sender, "n": n})

    threads = [threading.Thread(target=send, args=(sender,)) for sender in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    received = []
    while (message := layer.receive(["jobs"])[1]) is not None:
        received.append((message["sender"], message["n"]))
    assert sorted(received) == [(sender, n) for sender in range(4) for n in range(100)]


async def test_the_engine_awaits_sends_and_group_changes(layer):
    await layer.send("jobs", {"n": 1})
    await layer.group_add("room", "one")
    await layer.group_add("room", "two")
    await layer.group_discard("room", "two")
    await layer.group_send("room", {"text": "hi"})
    assert layer.receive(["jobs"]) == ("jobs", {"n": 1})
    assert layer.receive(["one", "two"]) == ("one", {"text": "hi"})
    assert layer.receive(["two"]) == (None, None)
    await layer.flush()
    await layer.close()


async def test_receive_batch_takes_one_message_per_channel_in_turn(layer):
    for n in range(3):
        layer.send("busy", {"n": n})
        layer.send("also-busy", {"n": n})
    batch = await layer.receive_batch(["busy", "also-busy"], 2, block=False)
    assert sorted(delivery.channel for delivery in batch) == ["also-busy", "busy"]
    rest = await layer.receive_batch(["busy"], None, block=False)
    assert [delivery.message["n"] for delivery in rest] == [1, 2]
    assert await layer.receive_batch(["busy"], 5, block=False) == []


async def test_a_blocking_receive_batch_gets_a_message_sent_from_another_thread(layer):
    receiving = asyncio.ensure_future(layer.receive_batch(["jobs"], 1))
    await asyncio.to_thread(layer.send, "jobs", {"n": 1})
    batch = await receiving
    assert [(delivery.channel, delivery.message) for delivery in batch] == [("jobs", {"n": 1})]


async def test_an_abandoned_delivery_is_received_again_first(layer):
    layer.send("jobs", {"n": 1})
    layer.send("jobs", {"n": 2})
    (delivery,) = await layer.receive_batch(["jobs"], 1, block=False)
    layer.ack(delivery)
    layer.abandon(delivery)
    assert layer.receive(["jobs"]) == ("jobs", {"n": 1})


async def test_the_engines_worker_runs_consumers_on_it(layer):
    def consumer(message):
        message.reply_channel.send({"text": message["text"].upper()})

    worker = Worker(Router([route("work", consumer)]), layer)
    running = asyncio.ensure_future(worker.run())
    layer.send("work", {"reply_channel": "client", "text": "hi"})

    async def reply():
        while not (batch := await layer.receive_batch(["client"], 1)):
            pass
        return batch[0].message

    try:
        assert await asyncio.wait_for(reply(), 30) == {"text": "HI"}
    finally:
        worker.stop()
        await asyncio.wait_for(running, 30)
