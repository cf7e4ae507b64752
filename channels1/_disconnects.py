"""A socket's ``websocket.disconnect`` is never given up: the bridge sends it from a
task of its own (Daphne cancels the socket's application soon after the close), and
while the channel is full or Redis does not answer it tries again, backing off, for
as long as it takes. The socket is marked as ended first, so that its connect, if
still waiting, is not run after it."""

import asyncio
import logging

logger = logging.getLogger("channels1.bridge")

# Pauses between tries: doubling from the first to the last.
PAUSES = (0.05, 5.0)


class Disconnects:
    """The disconnects a bridge is still sending."""

    def __init__(self, warn_after):
        self.warn_after = warn_after
        self._sending = set()

    def send(self, layer, message, then):
        """Send ``message`` on ``layer``, then await ``then()``."""
        task = asyncio.get_running_loop().create_task(self._send(layer, message, then))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)
        return task

    def __len__(self):
        return len(self._sending)

    async def _send(self, layer, message, then):
        reply_channel = message["reply_channel"]
        loop = asyncio.get_running_loop()
        started = loop.time()
        pause, longest = PAUSES
        marked = not hasattr(layer, "end_socket")
        warned = False
        while True:
            try:
                if not marked:
                    await layer.end_socket(reply_channel)
                    marked = True
                await layer.send("websocket.disconnect", message)
                break
            except Exception as error:
                problem = f"{type(error).__name__}: {error}"
            waited = loop.time() - started
            if not warned and waited >= self.warn_after:
                warned = True
                logger.warning("websocket.disconnect of %s (%s) not sent after %.0f s: %s; trying again "
                               "until it is", reply_channel, message["path"], waited, problem)
            await asyncio.sleep(pause)
            pause = min(pause * 2, longest)
        if warned:
            logger.warning("websocket.disconnect of %s (%s) sent after %.0f s",
                           reply_channel, message["path"], loop.time() - started)
        await then()
