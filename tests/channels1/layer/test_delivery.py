"""At-least-once delivery on normal channels: pending until acknowledged, taken over
after the visibility timeout, counted, dropped past max_deliveries; and the
at-most-once mode."""

import asyncio
import logging
import time

import redis.exceptions

from .conftest import RECEIVE_TIMEOUT, receive, vanish


async def test_acknowledged_messages_are_not_delivered_again(make_layer):
    first, second = make_layer(visibility_timeout=0.5), make_layer(visibility_timeout=0.5)
    await first.send("test.work", {"n": 1})
    [delivery] = await first.receive_batch(["test.work"], 10)
    first.ack(delivery)
    await asyncio.sleep(0.8)
    assert await second.receive_batch(["test.work"], 10, block=False) == []


async def test_unacknowledged_message_goes_to_another_receiver_after_visibility_timeout(make_layer):
    crashed, other = make_layer(visibility_timeout=0.5), make_layer(visibility_timeout=0.5)
    await crashed.send("test.work", {"n": 1})
    [taken] = await crashed.receive_batch(["test.work"], 10)
    vanish(crashed)
    assert await other.receive_batch(["test.work"], 10, block=False) == []
    await asyncio.sleep(0.6)
    [again] = await other.receive_batch(["test.work"], 10)
    assert (again.message, again.deliveries, again.id) == ({"n": 1}, 2, taken.id)
    assert again.message_id == taken.message_id == f"test.work:{taken.id.decode()}"
    other.ack(again)


async def test_a_busy_receiver_keeps_its_messages(make_layer):
    busy, other = make_layer(visibility_timeout=0.6), make_layer(visibility_timeout=0.6)
    await busy.send("test.slow", {"n": 1})
    [delivery] = await busy.receive_batch(["test.slow"], 10)
    for _ in range(4):  # three visibility timeouts while the consumer still runs
        await asyncio.sleep(0.5)
        assert await other.receive_batch(["test.slow"], 10, block=False) == []
    busy.ack(delivery)


async def test_message_past_max_deliveries_is_dropped_with_an_error(make_layer, caplog, layer_redis):
    layers = [make_layer(visibility_timeout=0.3, max_deliveries=2) for _ in range(3)]
    await layers[0].send("test.poison", {"n": 1})
    [first] = await layers[0].receive_batch(["test.poison"], 10)
    vanish(layers[0])
    await asyncio.sleep(0.4)
    [second] = await layers[1].receive_batch(["test.poison"], 10)
    assert second.deliveries == 2
    vanish(layers[1])
    await asyncio.sleep(0.4)
    with caplog.at_level(logging.ERROR, logger="channels1.layer"):
        assert await layers[2].receive_batch(["test.poison"], 10, block=False) == []
    assert "on channel test.poison: delivered 2 times and never acknowledged" in caplog.text
    key = f"{make_layer.prefix}:c:{{test.poison}}"
    assert layer_redis.of(key).xlen(key) == 0
    await layers[2].close()


async def test_at_most_once_never_delivers_again(make_layer, layer_redis):
    crashed = make_layer(delivery="at-most-once", visibility_timeout=0.3)
    other = make_layer(visibility_timeout=0.3)  # at-least-once: it takes over what stays pending
    await crashed.send("test.once", {"n": 1})
    [taken] = await crashed.receive_batch(["test.once"], 10)
    assert taken.message == {"n": 1}
    vanish(crashed)
    key = f"{make_layer.prefix}:c:{{test.once}}"
    pending = layer_redis.of(key).xpending(key, "receivers")
    assert pending["pending"] == 0
    await asyncio.sleep(0.5)
    assert await other.receive_batch(["test.once"], 10, block=False) == []


async def test_an_abandoned_delivery_goes_to_another_receiver_after_the_visibility_timeout(make_layer):
    giving_up, other = make_layer(visibility_timeout=0.6), make_layer(visibility_timeout=0.6)
    await giving_up.send("test.abandoned", {"n": 1})
    await giving_up.send("test.kept", {"n": 2})
    [abandoned] = await giving_up.receive_batch(["test.abandoned"], 1)
    [kept] = await giving_up.receive_batch(["test.kept"], 1)
    giving_up.abandon(abandoned)
    deadline = time.monotonic() + RECEIVE_TIMEOUT
    while not (again := await other.receive_batch(["test.abandoned"], 1)):
        assert time.monotonic() < deadline, "the abandoned message never went to another receiver"
    assert [(d.message, d.deliveries) for d in again] == [({"n": 1}, 2)]
    # What the first receiver still holds stays with it.
    assert await other.receive_batch(["test.kept"], 1, block=False) == []
    giving_up.ack(kept)


async def test_closing_hands_back_what_was_taken_but_not_consumed(make_layer):
    first, second = make_layer(visibility_timeout=30), make_layer(visibility_timeout=30)
    for channel in ("test.a", "test.b"):
        await first.send(channel, {"c": channel})
    [consumed] = await first.receive_batch(["test.a", "test.b"], 1)  # the other is kept aside
    first.ack(consumed)
    await first.close()
    [handed_back] = await second.receive_batch(["test.a", "test.b"], 10)
    assert handed_back.channel != consumed.channel
    assert handed_back.deliveries == 1


async def test_receive_acknowledges_what_it_returns(make_layer):
    first, second = make_layer(visibility_timeout=0.3), make_layer(visibility_timeout=0.3)
    await first.send("test.plain", {"n": 1})
    assert await receive(first, "test.plain") == {"n": 1}
    vanish(first)
    await asyncio.sleep(0.5)
    assert await second.receive_batch(["test.plain"], 10, block=False) == []


async def test_receive_takes_only_what_it_returns(make_layer):
    first, second = make_layer(visibility_timeout=0.5), make_layer(visibility_timeout=0.5)
    for i in range(5):
        await first.send("test.plain", {"i": i})
    assert await receive(first, "test.plain") == {"i": 0}
    rest = await second.receive_batch(["test.plain"], 10, block=False)
    assert [d.message["i"] for d in rest] == [1, 2, 3, 4]


async def test_receives_in_a_row_take_only_what_each_returns_and_acknowledge_it(make_layer, layer_redis):
    first, second = make_layer(visibility_timeout=30), make_layer(visibility_timeout=30)
    for i in range(5):
        await first.send("test.row", {"i": i})
    assert [(await receive(first, "test.row"))["i"] for _ in range(2)] == [0, 1]
    key = f"{make_layer.prefix}:c:{{test.row}}"
    await _until_nothing_pending(layer_redis.of(key), key)
    rest = await second.receive_batch(["test.row"], 10, block=False)
    assert [d.message["i"] for d in rest] == [2, 3, 4]
    for delivery in rest:
        second.ack(delivery)


async def test_receive_acknowledges_what_it_returned_when_no_receive_follows(make_layer, layer_redis):
    layer = make_layer(visibility_timeout=30)
    await layer.send("test.last", {"n": 1})
    assert await receive(layer, "test.last") == {"n": 1}
    key = f"{make_layer.prefix}:c:{{test.last}}"
    await _until_nothing_pending(layer_redis.of(key), key)
    assert layer_redis.of(key).xlen(key) == 0


async def test_receives_in_a_row_read_in_the_round_trip_of_their_acknowledgements(make_layer, monkeypatch):
    layer = make_layer(visibility_timeout=30)
    for i in range(4):
        await layer.send("test.rides", {"i": i})
    assert await receive(layer, "test.rides") == {"i": 0}
    runtime = layer._runtimes[asyncio.get_running_loop()]
    client = runtime.shards.client(layer._stream_key("test.rides"))
    separate_reads = []
    execute = client.execute_command

    async def counted(*args, **options):
        if args[0] == "XREADGROUP":
            separate_reads.append(args)
        return await execute(*args, **options)

    monkeypatch.setattr(client, "execute_command", counted)
    assert [(await receive(layer, "test.rides"))["i"] for _ in range(3)] == [1, 2, 3]
    assert separate_reads == []


async def test_receives_in_a_row_go_on_after_the_server_forgot_its_scripts(make_layer, layer_redis, caplog):
    layer = make_layer(visibility_timeout=30)
    for i in range(3):
        await layer.send("test.forgot", {"i": i})
    assert await receive(layer, "test.forgot") == {"i": 0}
    key = f"{make_layer.prefix}:c:{{test.forgot}}"
    layer_redis.of(key).script_flush()
    with caplog.at_level(logging.ERROR, logger="channels1.layer"):
        assert [(await receive(layer, "test.forgot"))["i"] for _ in range(2)] == [1, 2]
    assert "failed" not in caplog.text
    await _until_nothing_pending(layer_redis.of(key), key)


async def _until_nothing_pending(client, key):
    deadline = time.monotonic() + RECEIVE_TIMEOUT
    while client.xpending(key, "receivers")["pending"]:
        assert time.monotonic() < deadline, "what receive() returned stayed pending"
        await asyncio.sleep(0.05)


async def test_a_failed_take_hands_back_what_it_had_read(make_layer, monkeypatch):
    failing, other = make_layer(visibility_timeout=30), make_layer(visibility_timeout=30)
    await failing.send("test.blip", {"n": 1})
    await failing.receive_batch(["test.nothing"], 1, block=False)  # start its runtime
    streams = failing._runtimes[asyncio.get_running_loop()].streams
    monkeypatch.setattr(streams, "_reclaim_due", lambda: True)
    await failing.send("test.blip", {"n": 2})

    read = streams._read

    async def read_one(channels, keys, max_messages):
        return await read(channels, keys, 1, False)

    async def blip(*args):
        raise redis.exceptions.ConnectionError("blip after reading")

    monkeypatch.setattr(streams, "_reclaim", read_one)  # the first step takes the message...
    monkeypatch.setattr(streams, "_read", blip)  # ...and the next one fails
    try:
        await failing.receive_batch(["test.blip"], 10)
    except redis.exceptions.ConnectionError:
        pass
    await asyncio.sleep(0.1)
    again = await other.receive_batch(["test.blip"], 10, block=False)
    assert [d.message["n"] for d in again] == [1, 2]
    assert again[0].deliveries == 1


async def test_a_non_blocking_take_on_a_missing_channel_creates_nothing(make_layer, layer_redis):
    layer = make_layer()
    assert await layer.receive_batch(["test.never"], 10, block=False) == []
    assert layer_redis.keys(f"{make_layer.prefix}:*test.never*") == []


async def test_a_crashed_receivers_consumer_name_is_removed_after_its_messages_were_taken_over(
        make_layer, layer_redis):
    crashed, other = make_layer(visibility_timeout=0.5), make_layer(visibility_timeout=0.5)
    await crashed.send("test.held", {"n": 1})
    assert [d.message for d in await crashed.receive_batch(["test.held"], 1)] == [{"n": 1}]
    vanish(crashed)
    key = f"{make_layer.prefix}:c:{{test.held}}"
    server = layer_redis.of(key)

    def names():
        return {consumer["name"].decode() for consumer in server.xinfo_consumers(key, "receivers")}

    assert crashed.consumer in names()
    taken = []
    async with asyncio.timeout(RECEIVE_TIMEOUT):
        while crashed.consumer in names():
            for delivery in await other.receive_batch(["test.held"], 1, block=False):
                taken.append(delivery.message)
                other.ack(delivery)
            await asyncio.sleep(0.1)
    assert taken == [{"n": 1}]
