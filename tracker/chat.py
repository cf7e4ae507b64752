"""Chat rooms served by plain Channels 1.x consumer functions: join the room's group
on connect, broadcast what a socket says, leave on disconnect."""

import hashlib
import json
import re

from channels1 import Group

_READABLE = re.compile(r"[A-Za-z0-9-]+")
_MAX_READABLE = 60


def room_group(room):
    """The group of a room. Any room name maps to a valid group name, and different
    names to different groups: plain names stay readable, others are hashed under a
    prefix of their own so the two kinds cannot meet."""
    if _READABLE.fullmatch(room) and len(room) <= _MAX_READABLE:
        return f"chat.room.{room}"
    return f"chat.hash.{hashlib.sha256(room.encode('utf-8', 'surrogatepass')).hexdigest()}"


def connect(message, room):
    Group(room_group(room)).add(message.reply_channel)
    message.reply_channel.send({"accept": True})


def receive(message, room):
    try:
        text = json.loads(message.get("text") or "")["message"]
        if not isinstance(text, str):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        message.reply_channel.send({"text": json.dumps({"error": 'send JSON like {"message": "hello"}'})})
        return
    Group(room_group(room)).send({"text": json.dumps({"message": text})})


def disconnect(message, room):
    Group(room_group(room)).discard(message.reply_channel)
