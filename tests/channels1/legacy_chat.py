"""A room chat written as a Channels 1.x app wrote it (only the imports name
channels1), for the tests that run a 1.x app's own test suite on the in-memory layer."""

import json

from channels1 import Group, route
from channels1.auth import channel_session_user, channel_session_user_from_http
from channels1.sessions import enforce_ordering


@enforce_ordering
@channel_session_user_from_http
def ws_connect(message, room):
    if not message.user.is_authenticated:
        message.reply_channel.send({"close": True})
        return
    message.channel_session["room"] = room
    Group("chat-%s" % room).add(message.reply_channel)
    message.reply_channel.send({"accept": True})


@enforce_ordering
@channel_session_user
def ws_message(message):
    room = message.channel_session["room"]
    payload = json.loads(message["text"])
    Group("chat-%s" % room).send({
        "text": json.dumps({"user": message.user.username, "text": payload["text"]}),
    })


@enforce_ordering
@channel_session_user
def ws_disconnect(message):
    Group("chat-%s" % message.channel_session["room"]).discard(message.reply_channel)


channel_routing = [
    route("websocket.connect", ws_connect, path=r"^/chat/(?P<room>[a-zA-Z0-9_-]+)/$"),
    route("websocket.receive", ws_message, path=r"^/chat/"),
    route("websocket.disconnect", ws_disconnect, path=r"^/chat/"),
]
