"""Signals of the Channels 1.x worker: around each consumer, and when workers start."""

import asyncio

from django.db import close_old_connections
from django.dispatch import Signal

consumer_started = Signal()
consumer_finished = Signal()
worker_ready = Signal()
worker_process_ready = Signal()



def _close_old_connections(**kwargs):
    """Database connections are checked like around a Django request, in the
    consumer's thread; async consumers on the loop hold none to check."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        close_old_connections()


consumer_started.connect(_close_old_connections, dispatch_uid="channels1_db_started")
consumer_finished.connect(_close_old_connections, dispatch_uid="channels1_db_finished")
