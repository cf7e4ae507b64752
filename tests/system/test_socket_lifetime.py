"""Sockets keep what belongs to them for as long as they are open, and no longer:
group memberships renewed past the group expiry, keepalives for routings that ask
for them, channel sessions deleted when the socket ends. Real Daphne, workers,
Redis and WebSocket clients."""

import asyncio
import json

import redis
from websockets.asyncio.client import connect

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
