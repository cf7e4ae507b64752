"""A Channels 1.x echo consumer, run by the workers: the twin of consumers4.py's
channels 4 consumer, which runs inside Daphne."""


def echo(message):
    if "text" in message:
        message.reply_channel.send({"text": message["text"]})
    else:
        message.reply_channel.send({"bytes": message["bytes"]})
