"""The event loop that serves the layer to sync code (views, signal receivers, RQ
jobs, the shell, sync consumers): one per process, so every sync send shares its
pooled connections. A worker lends its own loop; elsewhere a thread runs one."""

import asyncio
import os
import threading

_lock = threading.Lock()
_loop = None


def lend_loop(loop):
    """Serve sync callers from ``loop`` (a worker's, running in its main thread)."""
    global _loop
    with _lock:
        _loop = loop


def runs_process_loop():
    """Whether the calling thread runs the lent loop: told by the loop's thread, without
    asyncio.get_running_loop(), which makes a getpid() system call on Python 3.11."""
    loop = _loop
    return loop is not None and getattr(loop, "_thread_id", None) == threading.get_ident()


def call(awaitable_factory):
    """Run ``awaitable_factory()`` on the process loop and wait for its result."""
    loop = _process_loop()
    refuse_in_async_code()
    return asyncio.run_coroutine_threadsafe(awaitable_factory(), loop).result()


def refuse_in_async_code():
    """Raise if the calling thread runs an event loop, which a sync call would block."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(
        "This is a sync call made from async code, which would block its event loop; "
        "use the async form (asend, aadd, adiscard) instead"
    )


def _process_loop():
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="channels1-layer", daemon=True).start()
        return _loop


def _forget_loop_after_fork():
    # A forked child (an RQ work horse) has the loop object but not its thread.
    global _loop, _lock
    _loop = None
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_loop_after_fork)
