"""Reading a chat socket as the page does: the frames it gets on joining (history, who
is there), presence changes and pongs come between the lines people say."""

import asyncio
import json


async def next_frame(socket, key, timeout=10):
    """The next frame with ``key``, skipping the others."""
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), timeout))
        if key in frame:
            return frame


async def next_line(socket, timeout=10):
    """The next line said in the room: ``{"user", "message", ...}``."""
    return await next_frame(socket, "message", timeout)
