"""Tracked sends: where a message went in a normal channel, and whether a receiver has
taken it yet, so that a sender can keep a window of its own messages in a shared
channel. The websocket.* channels hold more than other channels by default."""

import asyncio

import pytest


async def test_untaken_lists_what_no_receiver_has_taken_yet(layer):
    positions = [await layer.send_tracked("test.tracked", {"i": i}) for i in range(5)]
    assert await layer.untaken("test.tracked", positions) == positions
    await layer.receive("test.tracked")
    await layer.receive("test.tracked")
    assert await layer.untaken("test.tracked", positions) == positions[2:]


async def test_taken_but_unacknowledged_counts_as_taken(layer):
    positions = [await layer.send_tracked("test.tracked", {"i": i}) for i in range(3)]
    await layer.receive_batch(["test.tracked"], 2)
    assert await layer.untaken("test.tracked", positions) == positions[2:]


async def test_concurrent_untaken_queries_agree(layer):
    positions = [await layer.send_tracked("test.tracked", {"i": i}) for i in range(4)]
    await layer.receive("test.tracked")
    answers = await asyncio.gather(*(layer.untaken("test.tracked", positions[i:]) for i in range(4)))
    assert answers == [positions[1:], positions[1:], positions[2:], positions[3:]]


async def test_untaken_of_a_channel_that_never_existed_is_empty(layer):
    assert await layer.untaken("test.nothing", [b"1-0"]) == []


async def test_send_tracked_to_a_process_channel_has_no_position(layer):
    name = await layer.new_channel()
    assert await layer.send_tracked(name, {"x": 1}) is None
    assert await layer.receive(name) == {"x": 1}


@pytest.mark.parametrize("channel, capacity", [
    ("websocket.receive", 2000), ("websocket.connect", 2000), ("test.other", 100),
])
def test_websocket_channels_hold_more_by_default(make_layer, channel, capacity):
    assert make_layer().get_capacity(channel) == capacity


def test_given_capacities_come_before_the_defaults(make_layer):
    layer = make_layer(channel_capacity={"websocket.receive": 7})
    assert layer.get_capacity("websocket.receive") == 7
    assert layer.get_capacity("websocket.connect") == 2000
