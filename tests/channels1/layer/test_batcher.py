"""Write batches and dead connections: a batch whose connection died (the server
restarted, or the connection broke with the batch on it) is written again on a fresh
one, logged, and not lost."""

import asyncio
import contextlib
import logging
import uuid

import pytest

from channels1.layer import RedisChannelLayer
from channels1.redis_server import RedisServer

from .conftest import receive


class CuttingProxy:
    """A TCP proxy in front of a Redis server that, once armed, cuts the connection
    carrying the next request before the server reads it: a connection that dies
    under a write, with no sign of it beforehand."""

    def __init__(self, port):
        self._port = port
        self._armed = False
        self.cuts = 0

    async def __aenter__(self):
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"redis://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/0"
        return self

    async def __aexit__(self, *exc_info):
        self._server.close()

    def cut_next_request(self):
        self._armed = True

    async def _serve(self, reader, writer):
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self._port)

        async def to_server():
            while data := await reader.read(65536):
                if self._armed:
                    self._armed = False
                    self.cuts += 1
                    break
                upstream_writer.write(data)
                await upstream_writer.drain()

        async def to_client():
            while data := await upstream_reader.read(65536):
                writer.write(data)
                await writer.drain()

        with contextlib.suppress(OSError):
            await asyncio.wait([asyncio.ensure_future(to_server()), asyncio.ensure_future(to_client())],
                               return_when=asyncio.FIRST_COMPLETED)
        for stream in (writer, upstream_writer):
            stream.close()


@pytest.fixture
def tcp_redis(tmp_path):
    with RedisServer(tmp_path / "redis", port=None, unix_socket=False) as server:
        yield server


async def test_a_batch_whose_connection_breaks_under_it_is_sent_again_on_a_new_one(tcp_redis, caplog):
    async with CuttingProxy(tcp_redis.port) as proxy:
        layer = RedisChannelLayer(hosts=[proxy.url], prefix=f"test{uuid.uuid4().hex[:8]}")
        try:
            await layer.send("test.cut", {"n": 0})
            proxy.cut_next_request()
            with caplog.at_level(logging.WARNING, logger="channels1.layer"):
                await layer.send("test.cut", {"n": 1})
            assert proxy.cuts == 1
            assert "sent again on a new connection" in caplog.text
            assert [await receive(layer, "test.cut") for _ in range(2)] == [{"n": 0}, {"n": 1}]
        finally:
            await layer.close()


async def test_an_idle_layers_first_send_after_a_redis_restart_is_not_lost(tmp_path):
    server = RedisServer(tmp_path / "redis")
    server.start()
    layer = RedisChannelLayer(hosts=[server.url], prefix=f"test{uuid.uuid4().hex[:8]}")
    try:
        await layer.send("test.warm", {"n": 0})  # the batcher's connection, idle from here
        server.stop()
        server.start()
        await layer.send("test.restarted", {"n": 1})
        assert await receive(layer, "test.restarted") == {"n": 1}
    finally:
        await layer.close()
        server.stop()
