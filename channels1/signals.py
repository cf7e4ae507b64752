"""Signals of the Channels 1.x worker: around each consumer, and when workers start."""

import asyncio
import contextlib

from django.db import close_old_connections
from django.dispatch import Signal

consumer_started = Signal()
consumer_finished = Signal()
worker_ready = Signal()
worker_process_ready = Signal()

_DB_STARTED = "channels1_db_started"
_DB_FINISHED = "channels1_db_finished"


def _close_old_connections(**kwargs):
    """Database connections are checked like around a Django request, in the
    consumer's thread; async consumers on the loop hold none to check."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        close_old_connections()


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
