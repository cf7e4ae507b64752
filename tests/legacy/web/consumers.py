import logging

from channels import Channel

logger = logging.getLogger("web")


def respond_later(message):
    Channel(message["reply_channel"]).send({
        "status": 200,
        "headers": [(b"Content-Type", b"text/plain")],
        "content": ("answered later: %s" % message["text"]).encode(),
    })


def client_left(message):
    logger.warning("Client left %s", message["path"])
