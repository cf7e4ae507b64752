import json

from channels import Channel, Group
from channels.auth import channel_session_user, channel_session_user_from_http


@channel_session_user_from_http
def ws_connect(message, room):
    if not message.user.is_authenticated:
        message.reply_channel.send({"close": True})
        return
    message.channel_session["room"] = room
    Group("chat-%s" % room).add(message.reply_channel)
    message.reply_channel.send({"accept": True})


@channel_session_user
def ws_message(message, room):
    # Saved by a worker on the chat-messages channel; the model broadcasts it.
    Channel("chat-messages").send({
        "room": message.channel_session["room"],
        "username": message.user.username,
        "text": message["text"],
    })


@channel_session_user
def ws_disconnect(message, room):
    Group("chat-%s" % message.channel_session["room"]).discard(message.reply_channel)


def msg_consumer(message):
    from chat.models import ChatMessage

    ChatMessage.objects.create(room=message["room"], username=message["username"], text=message["text"])


def echo(message):
    message.channel_layer.send(message.reply_channel.name, {
        "text": json.dumps({"echo": message["text"], "channel": message.channel.name}),
    })
