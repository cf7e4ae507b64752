"""After a crash, nothing of the dead process stays behind: real Daphne, runworker
processes killed with SIGKILL, Redis and a WebSocket client."""

import asyncio
import os
import signal

import redis
from websockets.asyncio.client import connect

from .test_status import wait_for


async def test_a_killed_workers_consumer_name_is_removed_after_its_message_was_taken_over(make_system):
    system = make_system(handshake_timeout=2, layer_config={"visibility_timeout": 2})
    await asyncio.to_thread(system.start, 2)
    server = redis.Redis.from_url(system.env["REDIS_URL"])
    key = f"{system.prefix}:c:websocket.receive"
    async with connect(system.ws_url("/ws/test/slow/")) as socket:
        await socket.send("5")  # seconds the consumer works: the kill comes first
        started = await asyncio.wait_for(socket.recv(), 30)
        killed = int(started.split()[1])
        os.kill(killed, signal.SIGKILL)
        # The other worker takes the message over and runs it.
        assert await asyncio.wait_for(socket.recv(), 60) == started.replace(str(killed), _other(system, killed))

    def killed_gone():
        names = [consumer["name"].decode() for consumer in server.xinfo_consumers(key, "receivers")]
        return not any(f".{killed}." in name for name in names)

    await asyncio.to_thread(wait_for, killed_gone, what="the killed worker's consumer name removed")
    server.close()


def _other(system, killed):
    return str(next(worker.pid for worker in system.workers if worker.pid != killed))
