"""Holding a consumer's sends until it has returned, so that whoever reacts to them
sees the state it saved ("consumer atomicity"); the worker sends what was held."""

import contextvars

_held = contextvars.ContextVar("channels1_held_sends", default=None)


class _Held(list):
    """The sends a consumer held; closed once it returned, so that tasks it left
    running (which copied its context) send at once instead of into a list nobody
    will read again."""

    closed = False


def hold(target, content):
    """Inside a consumer, keep a send to ``target`` (Channel or Group) for later and
    return True; outside one, return False."""
    held = _held.get()
    if held is None or held.closed:
        return False
    held.append((target, content))
    return True


class holding_sends:
    """Context in which sends are held: ``with holding_sends() as held:``; the list
    is filled with (target, content) pairs, to be sent by ``send_held``."""

    def __enter__(self):
        self.held = _Held()
        self._token = _held.set(self.held)
        return self.held

    def __exit__(self, *exc_info):
        self.held.closed = True
        _held.reset(self._token)
