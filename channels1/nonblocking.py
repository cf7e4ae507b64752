"""Marks a sync consumer that never blocks (no database, files, network or sleeps,
only held sends), so that a worker runs it on its event loop instead of a pool
thread: ``@nonblocking`` above ``def consumer(message)``."""


def nonblocking(consumer):
    """Run ``consumer`` on the worker's event loop thread. It may read its message
    and send (the sends are held as usual); anything that blocks would stall every
    consumer of the worker, and what refuses to run on a loop (the Django ORM, a
    send with ``immediately=True``, ``Group.add``) raises, logged with its channel."""
    consumer.nonblocking = True
    return consumer


def is_nonblocking(consumer):
    return getattr(consumer, "nonblocking", False) is True
