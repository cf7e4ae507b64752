"""A value kept for the event loop it was last used on, handed back only while that
loop runs the caller: checked without asyncio.get_running_loop(), which makes a
getpid() system call each time, a cost on the hot path where system calls are slow."""

import os
import threading
import weakref

_forks = 0  # forks since this module was imported, counted in each child


def _forked():
    global _forks
    _forks += 1


os.register_at_fork(after_in_child=_forked)


def _gone():
    return None


class LastOnLoop:
    """One value and its loop, both held weakly. ``get()`` gives the value while its
    loop runs in this thread of this process, since a thread runs one loop at a
    time; else None. A loop that does not say which thread runs it gives None."""

    def __init__(self):
        self._state = (_gone, _gone, -1)  # one tuple: threads read and replace it whole

    def set(self, value, loop):
        self._state = (weakref.ref(value), weakref.ref(loop), _forks)

    def get(self):
        value, loop, forks = self._state
        loop = loop()
        if forks != _forks or loop is None or getattr(loop, "_thread_id", None) != threading.get_ident():
            return None
        return value()
