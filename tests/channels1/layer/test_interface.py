"""The channels 4 layer interface on a real Redis: sends, receives, names, errors."""

import asyncio
import logging
import re
import time

import pytest
import redis.exceptions
from channels.exceptions import ChannelFull, MessageTooLarge

from channels1.layer import RedisChannelLayer

from .conftest import RECEIVE_TIMEOUT, receive, receive_through_cancels


async def test_send_then_receive_keeps_bytes_and_str_apart(layer):
    await layer.send("test.channel", {"text": "héllo", "bytes": b"\x00\xff", "n": [1, 2.5, None, True]})
    message = await receive(layer, "test.channel")
    assert message == {"text": "héllo", "bytes": b"\x00\xff", "n": [1, 2.5, None, True]}
    assert isinstance(message["text"], str) and isinstance(message["bytes"], bytes)


async def test_messages_arrive_in_order(layer):
    for i in range(20):
        await layer.send("test.order", {"i": i})
    assert [(await receive(layer, "test.order"))["i"] for _ in range(20)] == list(range(20))


async def test_new_channel_is_process_specific_and_receivable(layer):
    name = await layer.new_channel()
    assert re.fullmatch(r"specific\.[0-9a-f]+![0-9a-f]+", name)
    assert await layer.new_channel() != name
    await layer.send(name, {"hello": "there"})
    assert await receive(layer, name) == {"hello": "there"}


async def test_process_channel_messages_go_to_their_own_channel(layer):
    first, second = await layer.new_channel(), await layer.new_channel()
    await layer.send(first, {"to": "first"})
    await layer.send(second, {"to": "second"})
    assert await receive(layer, second) == {"to": "second"}
    assert await receive(layer, first) == {"to": "first"}


async def test_send_from_one_layer_reaches_a_process_channel_of_another(make_layer):
    receiver, sender = make_layer(), make_layer()
    name = await receiver.new_channel()
    receiving = asyncio.ensure_future(receiver.receive(name))
    await sender.send(name, {"from": "elsewhere"})
    assert await asyncio.wait_for(receiving, 5) == {"from": "elsewhere"}
    await receiver.close()


@pytest.mark.parametrize("name", ["", "has space", "a" * 100, "unicodé", "trailing?", 42, b"bytes"])
async def test_invalid_channel_names_are_refused(layer, name):
    with pytest.raises(TypeError):
        await layer.send(name, {})
    with pytest.raises(TypeError):
        await receive(layer, name)


@pytest.mark.parametrize("name", ["", "has space", "bang!", "a" * 100, 7])
async def test_invalid_group_names_are_refused(layer, name):
    with pytest.raises(TypeError):
        await layer.group_add(name, "test.channel")
    with pytest.raises(TypeError):
        await layer.group_send(name, {})


async def test_message_must_be_a_dict(layer):
    with pytest.raises(TypeError, match="test.channel"):
        await layer.send("test.channel", ["not", "a", "dict"])


async def test_oversized_message_names_the_channel_and_size(make_layer):
    layer = make_layer(max_message_size=1000)
    with pytest.raises(MessageTooLarge, match=r"'test.big' is \d{4} bytes.*max_message_size of 1000"):
        await layer.send("test.big", {"blob": b"x" * 2000})
    with pytest.raises(MessageTooLarge, match="'room'"):
        await layer.group_send("room", {"blob": b"x" * 2000})
    await layer.send("test.big", {"blob": b"x" * 500})
    assert await receive(layer, "test.big") == {"blob": b"x" * 500}


async def test_default_max_message_size_is_one_mebibyte(layer):
    assert layer.max_message_size == 1024 * 1024
    with pytest.raises(MessageTooLarge):
        await layer.send("test.big", {"blob": b"x" * (1024 * 1024)})


async def test_send_raises_channel_full_at_capacity(make_layer):
    layer = make_layer(capacity=3)
    for i in range(3):
        await layer.send("test.full", {"i": i})
    with pytest.raises(ChannelFull, match="test.full"):
        await layer.send("test.full", {"i": 3})
    assert (await receive(layer, "test.full"))["i"] == 0
    await layer.send("test.full", {"i": 3})


async def test_process_channels_have_capacity_too(make_layer):
    layer = make_layer(capacity=2)
    name = await layer.new_channel()
    await layer.send(name, {})
    await layer.send(name, {})
    with pytest.raises(ChannelFull):
        await layer.send(name, {})


async def test_channel_capacity_by_glob_and_regex(make_layer):
    layer = make_layer(capacity=100, channel_capacity={"small.*": 1, re.compile(r"^tiny$"): 2})
    assert layer.get_capacity("small.one") == 1
    assert layer.get_capacity("tiny") == 2
    assert layer.get_capacity("other") == 100
    await layer.send("small.one", {})
    with pytest.raises(ChannelFull):
        await layer.send("small.one", {})


async def test_expired_messages_are_not_delivered(make_layer):
    layer = make_layer(expiry=1)
    name = await layer.new_channel()
    await layer.send("test.expiring", {"old": True})
    await layer.send(name, {"old": True})
    await asyncio.sleep(1.2)
    await layer.send("test.expiring", {"old": False})
    await layer.send(name, {"old": False})
    assert await receive(layer, "test.expiring") == {"old": False}
    assert await receive(layer, name) == {"old": False}


async def test_expired_messages_free_their_capacity(make_layer):
    layer = make_layer(expiry=1, capacity=1)
    await layer.send("test.expiring", {})
    await asyncio.sleep(1.2)
    await layer.send("test.expiring", {"fresh": True})
    assert await receive(layer, "test.expiring") == {"fresh": True}


async def test_a_message_that_expired_in_its_channel_is_not_delivered(make_layer):
    sender, receiver = make_layer(expiry=60), make_layer(expiry=60)
    await sender.send("test.expiring", {"old": True})
    assert await receiver.receive_batch(["test.nothing"], 1, block=False) == []  # its clock is set
    receiver._clock_offset_ms += 61_000  # a minute later for the receiver; no send trimmed the channel
    assert await receiver.receive_batch(["test.expiring"], 10, block=False) == []


async def test_process_channel_messages_past_their_expiry_are_not_delivered(make_layer):
    sender, receiver = make_layer(expiry=60), make_layer(expiry=60)
    unread, queued = await receiver.new_channel(), await receiver.new_channel()
    assert await receiver.receive_batch(["test.nothing"], 1, block=False) == []  # its clock is set

    def a_minute_later():
        for layer in (sender, receiver):
            layer._clock_offset_ms += 61_000

    # Expired while still in Redis: dropped as the reader takes it.
    await sender.send(unread, {"old": True})
    a_minute_later()
    await sender.send(unread, {"old": False})
    assert await receive(receiver, unread) == {"old": False}
    # Expired after the reader took it into this process: dropped as it is received.
    await sender.send(queued, {"old": True})
    process_channels = receiver._runtimes[asyncio.get_running_loop()].process_channels
    deadline = time.monotonic() + RECEIVE_TIMEOUT
    while not process_channels._queues.get(queued):
        assert time.monotonic() < deadline, "the reader never took the message"
        await asyncio.sleep(0.01)
    a_minute_later()
    await sender.send(queued, {"old": False})
    assert await receive(receiver, queued) == {"old": False}


async def test_a_process_channel_keeps_its_newest_messages_up_to_capacity(make_layer, caplog):
    sender, receiver = make_layer(), make_layer(capacity=2)
    flooded, marker = await receiver.new_channel(), await receiver.new_channel()
    await sender.send(marker, {"reading": True})
    assert await receive(receiver, marker) == {"reading": True}  # the reader runs from now on
    with caplog.at_level(logging.WARNING, logger="channels1.layer"):
        for i in range(4):
            await sender.send(flooded, {"i": i})
        await sender.send(marker, {"after": True})
        assert await receive(receiver, marker) == {"after": True}  # read after the four
    assert [(await receive(receiver, flooded))["i"] for _ in range(2)] == [2, 3]
    assert f"Channel {flooded} is over capacity: dropped its oldest message" in caplog.text


async def test_a_receive_cancelled_as_its_message_came_puts_it_back_first(layer, monkeypatch):
    await layer.send("test.cancel", {"i": 0})
    await layer.send("test.cancel", {"i": 1})
    streams = (await layer._runtime()).streams
    take = streams.take

    async def take_then_cancel(*args, **kwargs):
        deliveries = await take(*args, **kwargs)
        # Runs after the message is handed to the receive, before the receive resumes.
        asyncio.get_running_loop().call_soon(receiving.cancel)
        return deliveries

    monkeypatch.setattr(streams, "take", take_then_cancel)
    receiving = asyncio.ensure_future(layer.receive("test.cancel"))
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(receiving, RECEIVE_TIMEOUT)
    monkeypatch.undo()
    assert [(await receive(layer, "test.cancel"))["i"] for _ in range(2)] == [0, 1]


async def test_a_process_channel_receive_cancelled_as_its_message_came_puts_it_back_first(layer, monkeypatch):
    name = await layer.new_channel()
    await layer.send(name, {"i": 0})
    await layer.send(name, {"i": 1})
    process_channels = (await layer._runtime()).process_channels
    dispatch = process_channels._dispatch

    def dispatch_then_cancel(*envelope):
        # Runs after the message is handed to the receive, before the receive resumes.
        asyncio.get_running_loop().call_soon(receiving.cancel)
        dispatch(*envelope)

    monkeypatch.setattr(process_channels, "_dispatch", dispatch_then_cancel)
    receiving = asyncio.ensure_future(layer.receive(name))
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(receiving, RECEIVE_TIMEOUT)
    monkeypatch.undo()
    assert [(await receive(layer, name))["i"] for _ in range(2)] == [0, 1]


async def test_cancelled_receive_loses_nothing_and_keeps_order(layer):
    for channel in ("test.cancel", await layer.new_channel()):
        assert await receive_through_cancels(layer, channel, 10) == list(range(10)), channel


async def test_flush_empties_channels_and_groups(layer):
    name = await layer.new_channel()
    await layer.send("test.flush", {"before": True})
    await layer.group_add("flushed", name)
    await layer.flush()
    await layer.group_send("flushed", {"to": "nobody"})
    await layer.send("test.flush", {"after": True})
    assert await receive(layer, "test.flush") == {"after": True}
    await layer.send(name, {"direct": True})
    assert await receive(layer, name) == {"direct": True}


async def test_layers_do_not_see_each_others_prefix(layer_hosts):
    first = RedisChannelLayer(hosts=layer_hosts, prefix="test.one")
    second = RedisChannelLayer(hosts=layer_hosts, prefix="test.two")
    await second.flush()
    await first.send("test.shared", {"layer": 1})
    await second.send("test.shared", {"layer": 2})
    assert await receive(second, "test.shared") == {"layer": 2}
    assert await receive(first, "test.shared") == {"layer": 1}
    await first.close()
    await second.close()


@pytest.mark.parametrize(
    "config, error",
    [
        ({"hosts": "redis://localhost"}, "list of Redis URLs"),
        ({"hosts": ["redis://a", "redis://a"]}, "names a Redis host twice"),
        ({"hosts": []}, "at least one Redis host"),
        ({"prefix": "asgi{x}"}, "prefix cannot contain braces"),
        ({"hosts": ["redis://a", "redis+cluster://b"]}, "mixes redis.cluster:// URLs with plain ones"),
        ({"sentinels": [("localhost", 26379)]}, "sentinels need master_name"),
        ({"hosts": [object()]}, "redis:// or unix://"),
        ({"delivery": "exactly-once"}, "delivery must be one of"),
    ],
)
def test_bad_configuration_is_refused_clearly(config, error):
    with pytest.raises(ValueError, match=error):
        RedisChannelLayer(**config)


def test_hosts_accept_urls_and_host_port_pairs():
    assert RedisChannelLayer(hosts=["unix:///tmp/r.sock"]).hosts == ["unix:///tmp/r.sock"]
    assert RedisChannelLayer(hosts=[("10.0.0.1", 6380)]).hosts == ["redis://10.0.0.1:6380/0"]


def test_defaults_follow_the_channels_layers():
    layer = RedisChannelLayer()
    assert (layer.expiry, layer.group_expiry, layer.capacity, layer.prefix) == (60, 86400, 100, "asgi")
    assert layer.extensions == ["groups", "flush"]


async def test_a_dead_redis_gives_a_connection_error():
    layer = RedisChannelLayer(hosts=["redis://127.0.0.1:1/0"])
    with pytest.raises(redis.exceptions.ConnectionError):
        await layer.send("test.channel", {})


async def test_capacity_counts_only_messages_nobody_has_taken(make_layer):
    layer = make_layer(capacity=2)
    await layer.send("test.taken", {"i": 0})
    await layer.send("test.taken", {"i": 1})
    taken = await layer.receive_batch(["test.taken"], 10)  # running, not yet acknowledged
    assert len(taken) == 2
    await layer.send("test.taken", {"i": 2})
    await layer.send("test.taken", {"i": 3})
    with pytest.raises(ChannelFull):
        await layer.send("test.taken", {"i": 4})


async def test_closing_hands_back_process_channel_messages_read_but_not_received(layer, layer_redis):
    name = await layer.new_channel()
    await layer.send(name, {"i": 0})
    assert await receive(layer, name) == {"i": 0}
    for i in range(1, 4):
        await layer.send(name, {"i": i})
    await asyncio.sleep(0.2)  # the reader has taken them
    await layer.close()
    process_list = layer._process_key(name)
    assert layer_redis.of(process_list).llen(process_list) == 3
    assert [(await asyncio.wait_for(layer.receive(name), 5))["i"] for _ in range(3)] == [1, 2, 3]


def test_sync_callers_through_async_to_sync_leave_no_connections_behind(layer_redis, make_layer):
    from asgiref.sync import async_to_sync

    layer = make_layer()
    before = layer_redis.connected_clients()
    for i in range(10):
        async_to_sync(layer.send)("test.sync", {"i": i})
    assert layer_redis.connected_clients() <= before + len(layer_redis.servers)
    assert len(layer._runtimes) == 0


async def test_close_tells_waiting_receives_instead_of_leaving_them_waiting(make_layer):
    layer = make_layer()
    name = await layer.new_channel()
    waiting = [asyncio.ensure_future(layer.receive(channel)) for channel in ("test.waiting", name)]
    await asyncio.sleep(0.2)
    await layer.close()
    for receive in waiting:
        with pytest.raises(RuntimeError, match="closed while receiving"):
            await asyncio.wait_for(receive, 5)
