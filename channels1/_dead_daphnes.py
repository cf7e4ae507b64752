"""Workers end the sockets of a Daphne that died without a word (its heartbeat
record expired): the layer removes their memberships and the Daphne's process list,
and each socket's consumers get the ``websocket.disconnect`` the Daphne never sent."""

import asyncio
import logging

from .layer._tasks import end_if_cancelled
from .sessions import NEXT_ORDER_KEY, session_for_reply_channel

logger = logging.getLogger("channels1.worker")

# Close code of a connection that ended without a close frame.
ABNORMAL_CLOSURE = 1006


class DeadDaphneSweeper:
    def __init__(self, layer, interval, executor):
        self.layer = layer
        self.interval = interval
        self.executor = executor
        self._suspected = set()
        self._task = None

    def start(self):
        if self._task is None and hasattr(self.layer, "sweep_dead_sockets"):
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self):
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task])

    async def _run(self):
        while True:
            await asyncio.sleep(self.interval)
            try:
                ended = await self.layer.sweep_dead_sockets(self._suspected)
                if ended:
                    logger.warning("Ending %d socket(s) of a Daphne that stopped without closing them", len(ended))
                for reply_channel, path in ended:
                    await self._disconnect(reply_channel, path)
            except Exception as error:
                end_if_cancelled()
                logger.warning("Looking for the sockets of stopped Daphnes failed: %s", error)
            # stop() may have cancelled a sweep that redis-py retried or turned into an error.
            end_if_cancelled()

    async def _disconnect(self, reply_channel, path):
        order = await asyncio.get_running_loop().run_in_executor(self.executor, _next_order, reply_channel)
        await self.layer.send("websocket.disconnect", {
            "reply_channel": reply_channel, "code": ABNORMAL_CLOSURE, "path": path, "order": order,
        })


def _next_order(reply_channel):
    """The order an ordered consumer waits for next (0 without a channel session)."""
    try:
        return session_for_reply_channel(reply_channel).get(NEXT_ORDER_KEY, 0)
    except Exception:
        return 0
