"""One layer over many event loops: a loop closed without close() ends the layer's
tasks quietly and gives back what they read, the next loop starts afresh, loops of
async_to_sync in several threads share the layer and lose no message, close() and
flush() work from any loop. Tests run on pytest-asyncio's function-scoped loops, as
projects' tests do."""

import asyncio
import threading
import time
import uuid

import pytest
from asgiref.sync import async_to_sync

from channels1.layer import ForeignChannel, RedisChannelLayer
from channels1.layer._codec import pack_envelope, pack_message, unpack_envelope, unpack_message
from channels1.layer._process_channels import Body

from .conftest import RECEIVE_TIMEOUT, wait_until


@pytest.fixture(scope="module")
def shared_layer(layer_hosts):
    """One layer for the whole module, as a project's settings give one to all its
    tests: each test runs it on a new event loop and leaves it open."""
    return RedisChannelLayer(hosts=layer_hosts, prefix=f"test{uuid.uuid4().hex[:8]}")


async def test_receive_on_a_process_channel_of_another_layer_fails_at_once(ends_quietly, make_layer):
    layer, other = ends_quietly(make_layer()), ends_quietly(make_layer())
    theirs = await other.new_channel()
    for channel in ("not-client-prefix!local_part", theirs):
        with pytest.raises(ForeignChannel, match=f"Cannot receive on '{channel}'.*layer instance that made it"):
            await asyncio.wait_for(layer.receive(channel), 5)
    with pytest.raises(AssertionError):  # what channels_redis raises here
        await asyncio.wait_for(layer.receive(theirs), 5)
    await layer.send(theirs, {"to": "them"})
    assert await asyncio.wait_for(other.receive(theirs), 5) == {"to": "them"}


async def test_process_channel_reader_left_running_ends_with_the_loop_and_gives_back(ends_quietly, make_layer, layer_redis):
    layer = ends_quietly(make_layer())
    name = await layer.new_channel()
    await layer.send(name, {"i": 0})
    assert await layer.receive(name) == {"i": 0}
    for i in range(1, 4):
        await layer.send(name, {"i": i})
    process_list = layer._process_key(name)
    server = layer_redis.of(process_list)
    await wait_until(lambda: server.llen(process_list) == 0)  # the reader holds them
    asyncio.ensure_future(layer.receive(f"{name}x"))  # still waiting when the loop ends

    @ends_quietly.then
    def given_back():
        envelopes = [unpack_envelope(data) for data in server.lrange(process_list, 0, -1)]
        assert [(channels, unpack_message(body)) for _, channels, body, _ in envelopes] == [
            ([name], {"i": i}) for i in range(1, 4)
        ]


async def test_stream_readers_left_running_end_quietly_with_the_loop(ends_quietly, make_layer):
    layer = ends_quietly(make_layer())
    await layer.send("test.held", {"i": 0})
    held = await layer.receive_batch(["test.held"], 1)  # keeps its visibility extended
    assert [delivery.message for delivery in held] == [{"i": 0}]
    asyncio.ensure_future(layer.receive("test.waiting"))
    await layer.send("test.taken", {"i": 1})
    assert await layer.receive("test.taken") == {"i": 1}
    await asyncio.sleep(0.2)  # every task of the layer is waiting on Redis


@pytest.mark.parametrize("turn", [1, 2])
async def test_a_layer_left_open_by_a_test_starts_afresh_on_the_next_tests_loop(ends_quietly, shared_layer, turn):
    assert shared_layer._live_runtimes() == []  # an earlier test's loop took its runtime along
    ends_quietly(shared_layer)
    name = await shared_layer.new_channel()
    await shared_layer.group_add("room", name)
    await shared_layer.group_send("room", {"turn": turn})
    assert await asyncio.wait_for(shared_layer.receive(name), 5) == {"turn": turn}
    await shared_layer.send("test.turns", {"turn": turn})
    assert await asyncio.wait_for(shared_layer.receive("test.turns"), 5) == {"turn": turn}
    asyncio.ensure_future(shared_layer.receive(name))


async def test_close_pools_is_close(ends_quietly, make_layer):
    layer = ends_quietly(make_layer())
    name = await layer.new_channel()
    waiting = asyncio.ensure_future(layer.receive(name))
    await asyncio.sleep(0.2)
    await layer.close_pools()
    with pytest.raises(RuntimeError, match="closed while receiving"):
        await asyncio.wait_for(waiting, 5)
    assert layer._live_runtimes() == []



async def test_a_receive_begun_while_close_runs_waits_on_a_fresh_start(ends_quietly, make_layer):
    layer = ends_quietly(make_layer())
    name = await layer.new_channel()
    for channel in (name, "test.afresh"):
        await layer.send(channel, {"before": "close"})
        assert await asyncio.wait_for(layer.receive(channel), 5) == {"before": "close"}
    closing = asyncio.ensure_future(layer.close())
    await asyncio.sleep(0)  # close() has begun with this loop's connections and readers
    waiting = [asyncio.ensure_future(layer.receive(channel)) for channel in (name, "test.afresh")]
    await asyncio.wait_for(closing, 5)
    for channel in (name, "test.afresh"):
        await layer.send(channel, {"after": "close"})
    assert await asyncio.wait_for(asyncio.gather(*waiting), 5) == [{"after": "close"}] * 2


async def test_what_redis_popped_for_a_reader_cancelled_with_its_loop_is_given_back(
    ends_quietly, make_layer, layer_redis
):
    layer = ends_quietly(make_layer())
    name = await layer.new_channel()
    await layer.send(name, {"i": 0})
    assert await layer.receive(name) == {"i": 0}
    process_list = layer._process_key(name)
    server = layer_redis.of(process_list)
    await wait_until(lambda: any(
        client["cmd"] == "blmpop" and "b" in client["flags"]
        for each in layer_redis.servers for client in each.client_list()))
    body = pack_message(name, {"i": 1}, layer.max_message_size)
    server.rpush(process_list, pack_envelope(layer._now_ms(), name, body))
    # Blocks this loop on purpose: Redis pops the message for the reader, whose
    # reply then waits unread while the loop's end cancels the reader.
    deadline = time.monotonic() + RECEIVE_TIMEOUT
    while server.llen(process_list):
        assert time.monotonic() < deadline, "the reader's blocking read never took the message"
        time.sleep(0.01)
    for task in asyncio.all_tasks():  # as asyncio.run() ends: every other task is cancelled
        if task is not asyncio.current_task():
            task.cancel()

    @ends_quietly.then
    def given_back():
        envelopes = [unpack_envelope(data) for data in server.lrange(process_list, 0, -1)]
        assert [(channels, unpack_message(body)) for _, channels, body, _ in envelopes] == [([name], {"i": 1})]


async def test_a_message_handed_to_a_loop_whose_receive_ended_goes_on_to_a_receive_elsewhere(make_layer):
    layer = make_layer()
    name = await layer.new_channel()
    here = (await layer._runtime()).process_channels
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever)
    thread.start()
    try:
        there = asyncio.run_coroutine_threadsafe(layer._runtime(), loop).result(RECEIVE_TIMEOUT).process_channels
        waiting = asyncio.ensure_future(layer.receive(name))
        await wait_until(lambda: here._waiters.get(name))
        # As another loop's reader hands over a message read for a receive there
        # that has just ended.
        body = pack_message(name, {"i": 0}, layer.max_message_size)
        loop.call_soon_threadsafe(there._deliver, name, (layer._now_ms(), Body(body, 1)))
        assert await asyncio.wait_for(waiting, RECEIVE_TIMEOUT) == {"i": 0}
        await layer.close()
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


def test_no_process_channel_message_is_lost_while_loops_of_several_threads_end(ends_quietly, make_layer, layer_redis):
    """Each call of each thread runs on an event loop of its own that ends with it, while
    the readers of the other threads' loops take what is sent: every message is received
    or, if nobody receives on its channel, back in the process's list at the end."""
    layer = ends_quietly(make_layer())
    threads, calls = 8, 8
    errors, unreceived = [], []

    async def call(thread, number):
        name, nobodys = await layer.new_channel(), await layer.new_channel()
        await layer.send(name, {"thread": thread, "call": number})
        await layer.send(nobodys, {"thread": thread, "call": number})
        unreceived.append((nobodys, {"thread": thread, "call": number}))
        assert await asyncio.wait_for(layer.receive(name), RECEIVE_TIMEOUT) == {"thread": thread, "call": number}

    def calls_of(thread):
        try:
            for number in range(calls):
                async_to_sync(call)(thread, number)
        except Exception as error:
            errors.append(repr(error))

    running = [threading.Thread(target=calls_of, args=(n,)) for n in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    assert errors == []
    process_list = layer._process_key(unreceived[0][0])
    envelopes = [unpack_envelope(data) for data in layer_redis.of(process_list).lrange(process_list, 0, -1)]
    left = [(channels[0], unpack_message(body)) for _, channels, body, _ in envelopes]
    assert sorted(left, key=repr) == sorted(unreceived, key=repr)


def test_sync_callers_in_several_threads_share_one_layer(ends_quietly, make_layer):
    layer = ends_quietly(make_layer())
    errors = []

    async def round_trip(thread, call):
        name = await layer.new_channel()
        await layer.group_add(f"thread{thread}", name)
        await layer.group_send(f"thread{thread}", {"call": call})
        assert await asyncio.wait_for(layer.receive(name), 10) == {"call": call}
        await layer.send(f"test.thread{thread}", {"call": call})
        assert await asyncio.wait_for(layer.receive(f"test.thread{thread}"), 10) == {"call": call}

    def calls(thread):
        try:
            for call in range(5):
                async_to_sync(round_trip)(thread, call)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=calls, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_close_and_flush_work_from_another_loop(make_layer, layer_redis):
    layer = make_layer()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever)
    thread.start()
    try:
        def on_the_thread(coroutine):
            return asyncio.run_coroutine_threadsafe(coroutine, loop).result(10)

        name = on_the_thread(layer.new_channel())
        on_the_thread(layer.send(name, {"i": 0}))
        on_the_thread(layer.send("test.flushed", {"i": 0}))
        waiting = asyncio.run_coroutine_threadsafe(layer.receive(f"{name}x"), loop)

        async def flush_then_close():
            await layer.flush()
            await layer.close()

        asyncio.run(flush_then_close())  # a loop of its own, as async_to_sync makes
        with pytest.raises(RuntimeError, match="closed while receiving"):
            waiting.result(10)
        assert layer._live_runtimes() == []
        assert layer_redis.keys(f"{layer.prefix}:*") == []
        on_the_thread(layer.send(name, {"i": 1}))
        assert on_the_thread(asyncio.wait_for(layer.receive(name), 5)) == {"i": 1}
        on_the_thread(layer.close())
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


async def test_a_message_a_read_in_flight_brings_in_after_a_flush_is_flushed_too(make_layer):
    layer = make_layer()
    name = await layer.new_channel()
    process_channels = (await layer._runtime()).process_channels
    sent_before = layer._now_ms() - 1
    await layer.flush()
    # As a read that Redis answered before the flush hands its message in after it.
    process_channels._dispatch(sent_before, [name], pack_message(name, {"i": 0}, layer.max_message_size))
    process_channels._dispatch(layer._now_ms() + 1, [name], pack_message(name, {"i": 1}, layer.max_message_size))
    assert await asyncio.wait_for(layer.receive(name), RECEIVE_TIMEOUT) == {"i": 1}
