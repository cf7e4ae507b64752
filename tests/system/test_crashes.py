"""After a crash, nothing of the dead process stays behind: real Daphne, runworker
processes killed with SIGKILL, Redis and a WebSocket client."""

import asyncio
import os
import signal

import redis
from websockets.asyncio.client import connect

from channels1.layer import RedisChannelLayer

from .test_status import wait_for


async def test_a_killed_workers_consumer_name_is_removed_after_its_message_was_taken_over(make_system):
    system = make_system(handshake_timeout=2, layer_config={"visibility_timeout": 2})
    await asyncio.to_thread(system.start, 2)
    server = redis.Redis.from_url(system.env["REDIS_URL"])
    key = f"{system.prefix}:c:{{websocket.receive}}"
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


async def test_a_killed_daphnes_sockets_are_ended_for_it(make_system):
    system = make_system(handshake_timeout=2)
    await asyncio.to_thread(system.start, 1)
    server = redis.Redis.from_url(system.env["REDIS_URL"])
    group = f"{system.prefix}:g:{{crash.room}}"

    def channel_sessions():
        return set(server.scan_iter(match="*django.contrib.sessions.cachechn*", count=1000))

    before = channel_sessions()
    socket = await connect(system.ws_url("/ws/test/grouped/?group=crash.room"))
    whoami = await connect(system.ws_url("/ws/test/whoami/"))
    assert (await asyncio.wait_for(whoami.recv(), 30)).startswith("connect")
    [member] = server.zrange(group, 0, -1)
    process_list = f"{system.prefix}:p:{{{member.decode().partition('!')[0]}}}"
    [whoami_session] = channel_sessions() - before
    server.rpush(process_list, b"a reply nobody will read")
    system.daphne.kill()
    system.daphne.wait()
    # Within a few heartbeats: memberships and the process list gone, disconnects run.
    await asyncio.to_thread(wait_for, lambda: not server.exists(group) and not server.exists(process_list),
                            what="the dead Daphne's memberships and process list removed")
    layer = RedisChannelLayer(hosts=[system.env["REDIS_URL"]], prefix=system.prefix)
    disconnect = await asyncio.wait_for(layer.receive("test.disconnects"), 60)
    assert disconnect["pid"] == system.workers[0].pid
    await layer.close()
    await asyncio.to_thread(wait_for, lambda: not server.exists(whoami_session),
                            what="the channel session of the dead Daphne's socket deleted")
    for client in (socket, whoami):
        client.transport.abort()
    server.close()
