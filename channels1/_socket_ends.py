"""What a worker does at the ends of a socket's life: a ``websocket.connect`` whose
socket ended before a worker took it is skipped, and once a socket has ended its
channel session and every group membership it still has are removed."""

import asyncio
import logging

from .sessions import delete_channel_session

logger = logging.getLogger("channels1.worker")

CONNECT, DISCONNECT = "websocket.connect", "websocket.disconnect"


async def connect_outlived(layer, channel, message):
    """True for a websocket.connect whose socket has ended already (its handshake
    timed out, say): logged once, and not to be run, since its disconnect may have
    run before it and the memberships it would add would stay for good."""
    if channel != CONNECT or message.reply_channel is None or not hasattr(layer, "socket_ended"):
        return False
    reply_channel = message.reply_channel.name
    try:
        ended = await layer.socket_ended(reply_channel)
    except Exception as error:
        logger.warning("Could not tell whether the socket of %s has ended (running its connect): %s",
                       reply_channel, error)
        return False
    if ended:
        logger.info("Skipped websocket.connect of %s (%s): its socket ended before a worker took it",
                    reply_channel, message.get("path"))
    return ended


async def after_consumer(layer, executor, channel, message):
    """After a disconnect (routed or not): the socket's channel session and group
    memberships go. After a connect that ran while its socket ended: what it joined goes."""
    if channel not in (CONNECT, DISCONNECT) or message.reply_channel is None:
        return
    if getattr(message, "parked", False):  # a disconnect waiting for its turn still needs them
        return
    reply_channel = message.reply_channel.name
    try:
        if channel == DISCONNECT:
            await asyncio.get_running_loop().run_in_executor(executor, delete_channel_session, reply_channel)
        elif not (hasattr(layer, "socket_ended") and await layer.socket_ended(reply_channel)):
            return
        if hasattr(layer, "forget_channel"):
            left = await layer.forget_channel(reply_channel)
            if left:
                logger.info("Removed %d group membership(s) that %s kept after its socket ended", left, reply_channel)
    except Exception as error:
        logger.error("Cleaning up after the socket of %s (%s) failed: %s", reply_channel, channel, error)
