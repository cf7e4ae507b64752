"""receive()'s read-ahead (``receive_prefetch``): every message once and in order, what
is read ahead and not taken goes to other receivers (after the hold time, on close,
or after the visibility timeout when the process vanished), never at most once."""

import asyncio

import pytest

from channels1.layer import RedisChannelLayer, _read_ahead

from .conftest import RECEIVE_TIMEOUT, close_made, layer_maker, receive, receive_through_cancels, vanish, wait_until

LONG_HOLD = 600  # for tests where the hold time must not be what hands messages back


async def _send(layer, channel, count):
    for i in range(count):
        await layer.send(channel, {"i": i})


async def _take_all(layer, channel, count):
    """What another receiver takes from the channel (acknowledged), waiting up to
    RECEIVE_TIMEOUT for ``count`` deliveries: [(i, deliveries)] in the order taken."""
    taken = []
    async with asyncio.timeout(RECEIVE_TIMEOUT):
        while len(taken) < count:
            for delivery in await layer.receive_batch([channel], 10):
                taken.append((delivery.message["i"], delivery.deliveries))
                layer.ack(delivery)
    return taken


async def test_receives_with_read_ahead_return_every_message_once_in_order(make_layer, layer_redis):
    layer, other = make_layer(receive_prefetch=4), make_layer()
    await _send(layer, "test.ahead", 10)
    assert [(await receive(layer, "test.ahead"))["i"] for _ in range(10)] == list(range(10))
    key = f"{make_layer.prefix}:c:{{test.ahead}}"
    server = layer_redis.of(key)
    await wait_until(lambda: server.xpending(key, "receivers")["pending"] == 0)
    assert await other.receive_batch(["test.ahead"], 10, block=False) == []


async def test_a_receive_reads_ahead_up_to_receive_prefetch(make_layer, monkeypatch):
    monkeypatch.setattr(_read_ahead, "HOLD_SECONDS", LONG_HOLD)
    reading_ahead, other = make_layer(receive_prefetch=4), make_layer()
    await _send(reading_ahead, "test.ahead", 6)
    assert await receive(reading_ahead, "test.ahead") == {"i": 0}
    # The next three wait in the first layer's memory; only the rest is left to others.
    assert [d.message["i"] for d in await other.receive_batch(["test.ahead"], 10, block=False)] == [4, 5]
    assert [(await receive(reading_ahead, "test.ahead"))["i"] for _ in range(3)] == [1, 2, 3]


async def test_messages_read_ahead_and_not_taken_go_to_another_receiver_after_the_hold_time(make_layer):
    reading_ahead = make_layer(receive_prefetch=5, visibility_timeout=30)
    other = make_layer(visibility_timeout=30)
    await _send(reading_ahead, "test.stale", 5)
    assert await receive(reading_ahead, "test.stale") == {"i": 0}
    # Well before the visibility timeout, and not counted as a second delivery.
    assert sorted(await _take_all(other, "test.stale", 4)) == [(1, 1), (2, 1), (3, 1), (4, 1)]
    await reading_ahead.send("test.stale", {"i": 5})
    assert await receive(reading_ahead, "test.stale") == {"i": 5}


async def test_what_was_read_ahead_stays_with_its_receiver_past_the_visibility_timeout(make_layer, monkeypatch):
    monkeypatch.setattr(_read_ahead, "HOLD_SECONDS", LONG_HOLD)
    reading_ahead = make_layer(receive_prefetch=5, visibility_timeout=0.6)
    other = make_layer(visibility_timeout=0.6)
    await _send(reading_ahead, "test.kept", 5)
    assert await receive(reading_ahead, "test.kept") == {"i": 0}
    for _ in range(4):  # three visibility timeouts while the messages wait in memory
        await asyncio.sleep(0.5)
        assert await other.receive_batch(["test.kept"], 10, block=False) == []
    assert [(await receive(reading_ahead, "test.kept"))["i"] for _ in range(4)] == [1, 2, 3, 4]


async def test_closing_a_layer_hands_back_what_it_read_ahead(make_layer, monkeypatch):
    monkeypatch.setattr(_read_ahead, "HOLD_SECONDS", LONG_HOLD)
    closing = make_layer(receive_prefetch=5, visibility_timeout=30)
    other = make_layer(visibility_timeout=30)
    await _send(closing, "test.closing", 5)
    assert await receive(closing, "test.closing") == {"i": 0}
    await closing.close()
    assert sorted(await _take_all(other, "test.closing", 4)) == [(1, 1), (2, 1), (3, 1), (4, 1)]


async def test_a_message_handed_back_is_counted_received_only_by_the_receiver_that_keeps_it(make_layer):
    reading_ahead = make_layer(receive_prefetch=5, visibility_timeout=30)
    other = make_layer(visibility_timeout=30)
    await _send(reading_ahead, "test.counted", 5)
    assert await receive(reading_ahead, "test.counted") == {"i": 0}
    await _take_all(other, "test.counted", 4)
    assert reading_ahead.stats.take()["received|test.counted"] == 1
    assert other.stats.take()["received|test.counted"] == 4


def test_an_event_loop_that_ends_hands_back_what_its_receives_read_ahead(layer_hosts, layer_options, monkeypatch):
    monkeypatch.setattr(_read_ahead, "HOLD_SECONDS", LONG_HOLD)
    make = layer_maker(layer_hosts, **layer_options)
    ending = make(receive_prefetch=5, visibility_timeout=30)
    other = make(visibility_timeout=30)

    async def read_ahead():
        await _send(ending, "test.ending", 5)
        return await receive(ending, "test.ending")

    async def take_the_rest():
        try:
            return sorted(await _take_all(other, "test.ending", 4))
        finally:
            await close_made(make)

    assert asyncio.run(read_ahead()) == {"i": 0}  # its loop ends without close()
    assert asyncio.run(take_the_rest()) == [(1, 1), (2, 1), (3, 1), (4, 1)]


async def test_what_a_vanished_process_read_ahead_goes_to_another_after_the_visibility_timeout(
        make_layer, monkeypatch):
    monkeypatch.setattr(_read_ahead, "HOLD_SECONDS", LONG_HOLD)
    crashed = make_layer(receive_prefetch=5, visibility_timeout=0.5)
    other = make_layer(visibility_timeout=0.5)
    await _send(crashed, "test.crashed", 5)
    assert await receive(crashed, "test.crashed") == {"i": 0}
    vanish(crashed)
    assert sorted(await _take_all(other, "test.crashed", 4)) == [(1, 2), (2, 2), (3, 2), (4, 2)]


async def test_at_most_once_never_reads_ahead(make_layer, monkeypatch):
    monkeypatch.setattr(_read_ahead, "HOLD_SECONDS", LONG_HOLD)
    layer = make_layer(delivery="at-most-once", receive_prefetch=5)
    other = make_layer(delivery="at-most-once")
    await _send(layer, "test.once", 5)
    assert await receive(layer, "test.once") == {"i": 0}
    assert [d.message["i"] for d in await other.receive_batch(["test.once"], 10, block=False)] == [1, 2, 3, 4]


async def test_cancelled_receives_with_read_ahead_lose_nothing_and_keep_order(make_layer, monkeypatch):
    monkeypatch.setattr(_read_ahead, "HOLD_SECONDS", LONG_HOLD)
    layer = make_layer(receive_prefetch=3)
    assert await receive_through_cancels(layer, "test.cancel", 10) == list(range(10))


@pytest.mark.parametrize("prefetch", [0, -1, 2.5, "4"])
def test_a_receive_prefetch_below_one_or_not_a_whole_number_is_refused(prefetch):
    with pytest.raises(ValueError, match="receive_prefetch"):
        RedisChannelLayer(receive_prefetch=prefetch)
