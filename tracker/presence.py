"""Who is in which chat room, kept in Redis: a socket joins on connect, refreshes its
entry with each ping, and leaves on disconnect; entries of sockets that died without
leaving expire after CHAT_PRESENCE_TIMEOUT seconds."""

import time

from django.conf import settings

from workers.log_files import connection

KEY_TTL = 86400


class _Keys:
    def __init__(self, room):
        prefix = settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix", "asgi")
        base = f"{prefix}:chat"
        self.rooms = f"{base}:rooms"                 # sorted set: room name -> last join
        self.seen = f"{base}:seen:{room}"            # sorted set: reply channel -> last seen
        self.names = f"{base}:names:{room}"          # hash: reply channel -> username


def join(room, channel, username):
    keys, now = _Keys(room), time.time()
    with connection().pipeline() as pipe:
        pipe.zadd(keys.seen, {channel: now})
        pipe.hset(keys.names, channel, username)
        pipe.zadd(keys.rooms, {room: now})
        for key in (keys.seen, keys.names, keys.rooms):
            pipe.expire(key, KEY_TTL)
        pipe.execute()


def touch(room, channel):
    """A socket's ping: it is still there (if it had not expired already)."""
    connection().zadd(_Keys(room).seen, {channel: time.time()}, xx=True)


def leave(room, channel):
    keys = _Keys(room)
    with connection().pipeline() as pipe:
        pipe.zrem(keys.seen, channel)
        pipe.hdel(keys.names, channel)
        pipe.execute()


def present(room):
    """The usernames with a live socket in the room, sorted; drops expired sockets."""
    keys, conn = _Keys(room), connection()
    expired = conn.zrangebyscore(keys.seen, "-inf", time.time() - settings.CHAT_PRESENCE_TIMEOUT)
    if expired:
        with conn.pipeline() as pipe:
            pipe.zrem(keys.seen, *expired)
            pipe.hdel(keys.names, *expired)
            pipe.execute()
    channels = conn.zrange(keys.seen, 0, -1)
    names = conn.hmget(keys.names, channels) if channels else []
    return sorted({name.decode() for name in names if name is not None})


def active_rooms(limit=50):
    """Rooms someone joined lately, most recent first."""
    return [room.decode() for room in connection().zrevrange(_Keys("").rooms, 0, limit - 1)]
