"""Chat rooms, ``/ws/chat/<room>/``, as plain Channels 1.x consumer functions: a
logged-in user's socket joins the room's group (and the user's own) on connect, what
it says goes to the room with its author, and it leaves on disconnect."""

import hashlib
import json
import re

from channels1 import Group
from channels1.auth import channel_session_user, channel_session_user_from_http, login_required, user_group_name
from channels1.security import same_origin_only

from .frames import json_object

_READABLE = re.compile(r"[A-Za-z0-9-]+")
_MAX_READABLE = 60


def room_group(room):
    """The group of a room. Any room name maps to a valid group name, and different
    names to different groups: plain names stay readable, others are hashed under a
    prefix of their own so the two kinds cannot meet."""
    if _READABLE.fullmatch(room) and len(room) <= _MAX_READABLE:
        return f"chat.room.{room}"
    return f"chat.hash.{hashlib.sha256(room.encode('utf-8', 'surrogatepass')).hexdigest()}"


@same_origin_only
@channel_session_user_from_http
@login_required
def connect(message, room):
    Group(room_group(room)).add(message.reply_channel)
    Group(user_group_name(message.user)).add(message.reply_channel)
    message.reply_channel.send({"accept": True})


@channel_session_user
def receive(message, room):
    text = (json_object(message) or {}).get("message")
    if not isinstance(text, str):
        message.reply_channel.send({"text": json.dumps({"error": 'send JSON like {"message": "hello"}'})})
        return
    line = {"user": message.user.get_username(), "message": text}
    Group(room_group(room)).send({"text": json.dumps(line)})


@channel_session_user
def disconnect(message, room):
    Group(room_group(room)).discard(message.reply_channel)
    if message.user.is_authenticated:
        Group(user_group_name(message.user)).discard(message.reply_channel)
