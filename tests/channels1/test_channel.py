"""Channel and Group used from plain sync code, threads and async code, on a real
Redis: sends go out at once outside consumers, from the calling thread."""

import asyncio
import threading

import pytest

from channels1 import Channel, Group, _sync
from channels1.layer import RedisChannelLayer


def receive(layer, channel, timeout=5):
    """The next message on the channel, read with ``layer`` on a loop of its own (a
    process-specific channel only by the layer that made it)."""
    async def take():
        try:
            return await asyncio.wait_for(layer.receive(channel), timeout)
        finally:
            await layer.close()

    return asyncio.run(take())


def test_channel_send_from_sync_code_arrives(channel_layer_settings):
    Channel("thumbnails").send({"id": 1, "data": b"\x00"})
    assert receive(RedisChannelLayer(**channel_layer_settings), "thumbnails") == {"id": 1, "data": b"\x00"}


def test_group_add_send_discard_from_sync_code(channel_layer_settings):
    layer = RedisChannelLayer(**channel_layer_settings)
    member, gone = asyncio.run(layer.new_channel()), asyncio.run(layer.new_channel())
    Group("notifications").add(member)
    Group("notifications").add(Channel(gone))
    Group("notifications").discard(gone)
    Group("notifications").send({"text": "hello"})
    assert receive(layer, member) == {"text": "hello"}
    Channel(gone).send({"direct": True})
    assert receive(layer, gone) == {"direct": True}


def test_sends_from_many_threads_all_arrive(channel_layer_settings):
    errors = []

    def send_some(start):
        try:
            for i in range(start, start + 25):
                Channel("from.threads").send({"i": i})
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=send_some, args=(n * 25,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    layer = RedisChannelLayer(**channel_layer_settings)
    got = sorted(receive(layer, "from.threads")["i"] for _ in range(100))
    assert got == list(range(100))


def test_sync_sends_are_made_on_the_calling_thread_without_the_process_loop(channel_layer_settings, monkeypatch):
    def no_loop(awaitable_factory):
        raise AssertionError("a sync send went through the process loop")

    layer = RedisChannelLayer(**channel_layer_settings)
    member = asyncio.run(layer.new_channel())
    Group("direct").add(member)
    monkeypatch.setattr(_sync, "call", no_loop)
    Channel("direct").send({"n": 1})
    Group("direct").send({"n": 2})
    assert receive(RedisChannelLayer(**channel_layer_settings), "direct") == {"n": 1}
    assert receive(layer, member) == {"n": 2}


async def test_async_code_uses_asend_and_is_told_so_otherwise(channel_layer_settings):
    await Channel("from.async").asend({"n": 1})
    layer = RedisChannelLayer(**channel_layer_settings)
    try:
        assert await asyncio.wait_for(layer.receive("from.async"), 10) == {"n": 1}
        member = await layer.new_channel()
        await Group("room").aadd(member)
        await Group("room").asend({"n": 2})
        assert await asyncio.wait_for(layer.receive(member), 10) == {"n": 2}
        await Group("room").adiscard(member)
        with pytest.raises(RuntimeError, match="asend"):
            Channel("from.async").send({"n": 3})
    finally:
        await layer.close()


def test_channel_full_reaches_a_direct_sender(channel_layer_settings, settings):
    from channels.exceptions import ChannelFull

    settings.CHANNEL_LAYERS["default"]["CONFIG"]["capacity"] = 1
    settings.CHANNEL_LAYERS = dict(settings.CHANNEL_LAYERS)
    Channel("tiny").send({"n": 1})
    with pytest.raises(ChannelFull):
        Channel("tiny").send({"n": 2})


def test_channel_names_may_be_bytes_and_print_as_their_name():
    assert Channel(b"thumbnails").name == "thumbnails"
    assert str(Group("room")) == "room"


@pytest.fixture
def restartable_layer(settings, tmp_path):
    """The default layer on a Redis of this test's own, which the test may stop."""
    from channels.layers import channel_layers

    from channels1.redis_server import RedisServer

    server = RedisServer(tmp_path / "redis", persist=True).start()
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels1.layer.RedisChannelLayer",
                                           "CONFIG": {"hosts": [server.url], "prefix": "restartable"}}}
    channel_layers.backends.pop("default", None)
    yield server, settings.CHANNEL_LAYERS["default"]["CONFIG"]
    channel_layers.backends.pop("default", None)
    server.stop()


def test_a_send_while_redis_restarts_arrives_once_it_is_back(restartable_layer):
    server, config = restartable_layer
    Channel("before").send({"warm": True})  # the process loop holds a connection now
    server.process.kill()
    server.process.wait()
    restarting = threading.Timer(1.0, server.start)
    restarting.start()
    Channel("during").send({"kept": True})
    restarting.join()
    assert receive(RedisChannelLayer(**config), "during") == {"kept": True}


def test_a_send_fails_loudly_once_redis_stays_away(restartable_layer, monkeypatch):
    from channels1 import channel
    from channels1.exceptions import REDIS_UNREACHABLE

    server, _ = restartable_layer
    monkeypatch.setattr(channel, "REDIS_RETRY_TIMEOUT", 0.5)
    server.stop()
    with pytest.raises(REDIS_UNREACHABLE):
        Channel("nowhere").send({"lost": True})


async def test_a_held_send_gives_up_with_an_error_once_redis_stays_away(restartable_layer, monkeypatch, caplog):
    from channels1 import channel

    server, _ = restartable_layer
    monkeypatch.setattr(channel, "REDIS_RETRY_TIMEOUT", 0.5)
    server.stop()
    target = Channel("nowhere")
    await channel.send_held([(target, {"lost": True})])
    assert "Gave up a held send to nowhere: Redis did not answer for 0.5 s" in caplog.text
    assert target.channel_layer.stats.take()["dropped|nowhere"] == 1  # counted
