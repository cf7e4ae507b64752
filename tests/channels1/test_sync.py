"""The process loop that sync code sends through: which thread runs the loop a
worker lent, told without asking asyncio."""

import asyncio
import threading

import pytest

from channels1 import _sync

WAIT_TIMEOUT = 15


@pytest.fixture
def lent_loop():
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    _sync.lend_loop(loop)
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(WAIT_TIMEOUT)
    loop.close()
    _sync.lend_loop(None)


def test_runs_process_loop_is_true_only_in_the_thread_running_the_lent_loop(lent_loop):
    async def ask():
        return _sync.runs_process_loop()

    assert asyncio.run_coroutine_threadsafe(ask(), lent_loop).result(WAIT_TIMEOUT) is True
    assert _sync.runs_process_loop() is False
    other = []
    thread = threading.Thread(target=lambda: other.append(_sync.runs_process_loop()))
    thread.start()
    thread.join(WAIT_TIMEOUT)
    assert other == [False]

