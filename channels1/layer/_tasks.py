"""How the layer's background tasks notice that their event loop is going away:
asyncio.run() and pytest-asyncio cancel every task before closing the loop."""

import asyncio


def end_if_cancelled():
    """Raise CancelledError if the running task was asked to stop. A cancellation
    can be lost on the way: redis-py retries a read that it broke, as if the
    connection had failed, and the task would read on."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError()
