"""Sockets on the project's paths that no route serves (a chat path without a room, a
log tail path with more parts): closed with 4404 after a frame saying so, where 1.x's
fallback would accept them and drop their frames."""

import json

NOT_FOUND = 4404


def connect(message, **kwargs):
    message.reply_channel.send({
        "accept": True,
        "text": json.dumps({"error": "nothing is served at this path"}),
        "close": NOT_FOUND,
    })
