"""Sockets keep what belongs to them for as long as they are open, and no longer:
group memberships renewed past the group expiry, keepalives for routings that ask
for them, channel sessions and memberships removed when the socket ends, and a
connect that outlived its socket not run. Real Daphne, workers, Redis and WebSocket
clients."""

import asyncio
import json

import pytest
import redis
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from .test_status import wait_for

GROUP_EXPIRY = 4


async def test_a_socket_open_past_the_group_expiry_still_gets_group_messages(make_system):
    system = make_system(handshake_timeout=2, layer_config={"group_expiry": GROUP_EXPIRY},
                         env={"TEST_KEEPALIVE_INTERVAL": "1"})
    await asyncio.to_thread(system.start)
    async with connect(system.ws_url("/ws/test/grouped/?group=lifetime")) as socket:
        # Three expiries: without renewals the membership would be gone twice over.
        await asyncio.sleep(3 * GROUP_EXPIRY)
        await asyncio.to_thread(system.manage, "shell", "-c",
                                "from channels1 import Group; Group('lifetime').send({'text': 'still a member'})")
        assert await asyncio.wait_for(socket.recv(), 30) == "still a member"


async def test_keepalives_reach_the_consumer_routed_for_them(make_system):
    system = make_system(handshake_timeout=2, env={"TEST_KEEPALIVE_INTERVAL": "1"})
    await asyncio.to_thread(system.start)
    async with connect(system.ws_url("/ws/test/keepalive/")) as socket:
        assert await asyncio.wait_for(socket.recv(), 30) == "keepalive"
        assert await asyncio.wait_for(socket.recv(), 30) == "keepalive"


async def test_the_channel_session_is_deleted_when_its_socket_disconnects(system):
    server = redis.Redis.from_url(system.env["REDIS_URL"])

    def channel_sessions():
        return set(server.scan_iter(match="*django.contrib.sessions.cachechn*", count=1000))

    before = channel_sessions()
    async with connect(system.ws_url("/ws/test/whoami/")) as socket:
        assert (await asyncio.wait_for(socket.recv(), 30)).startswith("connect")
        await socket.send(json.dumps({}))
        assert (await asyncio.wait_for(socket.recv(), 30)).startswith("receive")
        mine = channel_sessions() - before
        assert len(mine) == 1
    await asyncio.to_thread(wait_for, lambda: not (channel_sessions() & mine),
                            what="the channel session deleted after the disconnect")
    server.close()


async def test_a_connect_that_timed_out_is_not_run_after_its_disconnect(make_system):
    system = make_system(handshake_timeout=1)
    await asyncio.to_thread(system.start, 1)
    server = redis.Redis.from_url(system.env["REDIS_URL"])
    async with connect(system.ws_url("/ws/test/slow/")) as busy:
        await busy.send("4")  # the only worker's only thread works for 4 s
        assert (await asyncio.wait_for(busy.recv(), 30)).startswith("started")
        with pytest.raises(InvalidStatus):  # no worker answered within the handshake timeout
            await connect(system.ws_url("/ws/test/grouped/?group=late.room"))
        await asyncio.to_thread(system.wait_for_log, system.workers[0],
                                "Skipped websocket.connect of daphne.response.", 60)
    assert "with grouped_connect" not in system.log(system.workers[0])
    assert not server.exists(f"{system.prefix}:g:{{late.room}}")
    server.close()


async def test_a_closed_socket_leaves_its_groups_even_without_a_disconnect_consumer(system):
    server = redis.Redis.from_url(system.env["REDIS_URL"])
    group = f"{system.prefix}:g:{{forgotten.room}}"
    async with connect(system.ws_url("/ws/test/grouped/?group=forgotten.room")):
        await asyncio.to_thread(wait_for, lambda: server.zcard(group) == 1, what="the socket in its group")
    await asyncio.to_thread(wait_for, lambda: server.zcard(group) == 0, what="the closed socket out of its group")
    server.close()
