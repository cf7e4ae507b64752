"""Chat rooms, ``/ws/chat/<room>/`` (any name, ``/`` too), as plain Channels 1.x
consumer functions run in the order each socket sent its messages: a logged-in user's
socket joins the room's group, gets the last messages and who is there; what it says is
stored and goes to the room with its author and time; it leaves on disconnect."""

import hashlib
import json
import logging
import re

from channels1 import Group
from channels1.auth import channel_session_user, channel_session_user_from_http, login_required, user_group_name
from channels1.exceptions import ChannelSocketException
from channels1.security import same_origin_only
from channels1.sessions import enforce_ordering

from tracker import presence
from tracker.models import ChatMessage

from .frames import json_object

logger = logging.getLogger("consumers.chat")

# Close code of a socket whose channel session was lost, as the bridge's after Redis
# came back without its data: the page connects again at once.
SESSION_LOST = 1012

_READABLE = re.compile(r"[A-Za-z0-9-]+")
_MAX_READABLE = 60
MAX_ROOM_LENGTH = ChatMessage._meta.get_field("room").max_length
MAX_MESSAGE_LENGTH = 2000
MAX_NONCE_LENGTH = 64
HISTORY = 50


def room_group(room):
    """The group of a room. Any room name maps to a valid group name, and different
    names to different groups: plain names stay readable, others are hashed under a
    prefix of their own so the two kinds cannot meet."""
    if _READABLE.fullmatch(room) and len(room) <= _MAX_READABLE:
        return f"chat.room.{room}"
    return f"chat.hash.{hashlib.sha256(room.encode('utf-8', 'surrogatepass')).hexdigest()}"


class BadRoom(ChannelSocketException):
    """Ends a socket whose room name is too long: close code 4400 after a frame saying so."""

    code = 4400

    def run(self, message):
        text = json.dumps({"error": f"room names are at most {MAX_ROOM_LENGTH} characters"})
        message.reply_channel.send({"accept": True, "text": text, "close": self.code})


def _frame(**data):
    return {"text": json.dumps(data)}


def history(room):
    """The last HISTORY lines said in the room, oldest first."""
    lines = ChatMessage.objects.filter(room=room).order_by("-created", "-pk")[:HISTORY]
    return [line.as_line() for line in reversed(lines)]


def _announce_presence(room):
    Group(room_group(room)).send(_frame(present=presence.present(room)))


@same_origin_only
@enforce_ordering
@channel_session_user_from_http
@login_required
def connect(message, room):
    if len(room) > MAX_ROOM_LENGTH:
        raise BadRoom(room)
    Group(room_group(room)).add(message.reply_channel)
    Group(user_group_name(message.user)).add(message.reply_channel)
    username = message.user.get_username()
    # Held until the consumer returned, so after its channel session was saved: the
    # socket's first frame may run on another worker as soon as it is accepted.
    message.reply_channel.send({"accept": True, **_frame(you=username, history=history(room))})
    presence.join(room, message.reply_channel.name, username)
    _announce_presence(room)


def _said(message):
    """(text, nonce) of a frame ``{"message": text, "nonce": optional}``, or None for a
    ping (the page's check that a worker still answers); ValueError saying what is
    wrong otherwise."""
    data = json_object(message)
    if isinstance(data, dict) and data.get("action") == "ping":
        return None
    if not isinstance(data, dict) or not isinstance(data.get("message"), str):
        raise ValueError('send JSON like {"message": "hello"}')
    text = data["message"].strip()
    if not text:
        raise ValueError("empty messages are not sent")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise ValueError(f"messages are at most {MAX_MESSAGE_LENGTH} characters")
    nonce = data.get("nonce")
    if nonce is not None and not (isinstance(nonce, str) and 0 < len(nonce) <= MAX_NONCE_LENGTH):
        raise ValueError(f"a nonce is a string of 1 to {MAX_NONCE_LENGTH} characters")
    return text, nonce


@enforce_ordering
@channel_session_user
def receive(message, room):
    if not message.user.is_authenticated:
        # Logged in on connect, so its channel session is gone: Redis came back without
        # its data. The page connects again (a new token, the room joined again).
        message.reply_channel.send({"close": SESSION_LOST})
        return
    try:
        said = _said(message)
    except ValueError as error:
        message.reply_channel.send(_frame(error=str(error)))
        return
    if said is None:
        presence.touch(room, message.reply_channel.name)
        message.reply_channel.send(_frame(pong=True))
        return
    line = _store_once(message, room, *said)
    if line is None:
        logger.info("Skipped a chat line of %s in %r: message %s (delivered %d times) was stored already",
                    message.reply_channel.name, room, message.id, message.deliveries)
        return
    # At once, not held: the socket's next message may run on another worker as soon
    # as this one is done, and its line must not overtake this one.
    Group(room_group(room)).send(_frame(**line.as_line()), immediately=True)


def _store_once(message, room, text, nonce):
    """The line stored for this message, or None if an earlier delivery of the same
    message stored it (at-least-once delivers again after a worker went silent), or
    an earlier frame of its user with the same nonce (a frame written twice, which
    has two message ids, as a Daphne's send retried after Redis died may be)."""
    fields = {"room": room, "user": message.user, "username": message.user.get_username(), "text": text}
    if nonce is not None:
        once_by = f"nonce:{message.user.pk}:{nonce}"
    elif message.id is not None:
        once_by = message.id
    else:  # not delivered by a worker: nothing to tell deliveries apart by
        return ChatMessage.objects.create(**fields)
    line, created = ChatMessage.objects.get_or_create(message_id=once_by, defaults=fields)
    return line if created else None


@enforce_ordering
@channel_session_user
def disconnect(message, room):
    Group(room_group(room)).discard(message.reply_channel)
    if message.user.is_authenticated:
        Group(user_group_name(message.user)).discard(message.reply_channel)
    if len(room) <= MAX_ROOM_LENGTH:
        presence.leave(room, message.reply_channel.name)
        _announce_presence(room)
