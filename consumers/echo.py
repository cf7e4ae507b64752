"""The echo socket, ``/ws/echo/``, as a Channels 1.x consumer run by the workers:
the twin of echo4.py's channels 4 consumer on ``/ws/echo4/``, which runs inside
Daphne. It only sends, so the workers run it on their loop."""

from channels1 import nonblocking


@nonblocking
def echo(message):
    if "text" in message:
        message.reply_channel.send({"text": message["text"]})
    else:
        message.reply_channel.send({"bytes": message["bytes"]})
