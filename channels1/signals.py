"""Signals of the Channels 1.x worker: around each consumer, and when workers start."""

import asyncio
import contextlib

from django.db import close_old_connections, reset_queries
from django.dispatch import Signal

from . import _sync

consumer_started = Signal()
consumer_finished = Signal()
worker_ready = Signal()
worker_process_ready = Signal()

_DB_STARTED = "channels1_db_started"
_DB_FINISHED = "channels1_db_finished"


def _close_old_connections(**kwargs):
    """Database connections are checked like around a Django request, in the
    consumer's thread; consumers on the loop hold none to check."""
    if _sync.runs_process_loop():  # a worker's loop: the cheap test first
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        close_old_connections()


def _reset_queries(**kwargs):
    """With DEBUG on, each consumer's queries are logged from an empty log, as each
    request's are: a worker's log would otherwise grow for as long as it runs. A
    worker's loop thread makes no queries (Django refuses them there)."""
    if not _sync.runs_process_loop():
        reset_queries()


@contextlib.contextmanager
def database_connections_kept():
    """Within it, consumers leave the database connection alone, as Django's test
    client does around requests: in a test it holds the test's transaction."""
    consumer_started.disconnect(dispatch_uid=_DB_STARTED)
    consumer_finished.disconnect(dispatch_uid=_DB_FINISHED)
    try:
        yield
    finally:
        _connect_database_receivers()


def _connect_database_receivers():
    consumer_started.connect(_close_old_connections, dispatch_uid=_DB_STARTED)
    consumer_finished.connect(_close_old_connections, dispatch_uid=_DB_FINISHED)


_connect_database_receivers()
# Not with the receivers above: tests that keep their connection still start each consumer afresh.
consumer_started.connect(_reset_queries, dispatch_uid="channels1_reset_queries")
