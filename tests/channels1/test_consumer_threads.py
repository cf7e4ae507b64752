"""The threads a worker runs sync consumers in: every call's result or exception
comes back to its caller, also when many finish at once and share a wake-up."""

import asyncio
import threading

import pytest

from channels1._consumer_threads import ConsumerThreads

WAIT_TIMEOUT = 15


@pytest.fixture
async def threads():
    made = []

    def make(count):
        made.append(ConsumerThreads(count, asyncio.get_running_loop()))
        return made[-1]

    yield make
    for pool in made:
        pool.stop()


async def test_a_call_returns_its_result_from_a_consumer_thread(threads):
    pool = threads(2)
    name = await asyncio.wait_for(pool.run(lambda: threading.current_thread().name), WAIT_TIMEOUT)
    assert name.startswith("consumer_") and name != threading.current_thread().name


async def test_a_call_raises_its_exception_to_its_caller(threads):
    def fail(text):
        raise ValueError(text)

    with pytest.raises(ValueError, match="broken"):
        await asyncio.wait_for(threads(1).run(fail, "broken"), WAIT_TIMEOUT)


async def test_calls_finishing_together_each_get_their_own_result(threads):
    pool = threads(4)
    release = threading.Barrier(4, timeout=WAIT_TIMEOUT)

    def square(number):
        if number < 4:  # the first four finish at the same moment
            release.wait()
        return number * number

    results = await asyncio.wait_for(asyncio.gather(*(pool.run(square, n) for n in range(500))), WAIT_TIMEOUT)
    assert results == [n * n for n in range(500)]


async def test_calls_run_side_by_side_in_at_most_count_threads(threads):
    pool = threads(3)
    meeting = threading.Barrier(3, timeout=WAIT_TIMEOUT)
    names = await asyncio.wait_for(asyncio.gather(*(
        pool.run(lambda: (meeting.wait(), threading.current_thread().name)[1]) for _ in range(3)
    )), WAIT_TIMEOUT)
    assert len(set(names)) == 3
    more = await asyncio.wait_for(asyncio.gather(*(
        pool.run(lambda: threading.current_thread().name) for _ in range(30)
    )), WAIT_TIMEOUT)
    assert set(more) <= set(names)


async def test_stop_ends_the_threads_after_the_calls_given_finished(threads):
    pool = threads(2)
    started, go_on = threading.Event(), threading.Event()

    def slow():
        started.set()
        go_on.wait(WAIT_TIMEOUT)
        return "finished"

    call = pool.run(slow)
    await asyncio.get_running_loop().run_in_executor(None, started.wait, WAIT_TIMEOUT)
    running = [thread for thread in threading.enumerate() if thread.name.startswith("consumer_")]
    threading.Timer(0.2, go_on.set).start()
    await asyncio.get_running_loop().run_in_executor(None, pool.stop)
    assert not any(thread.is_alive() for thread in running)
    assert await asyncio.wait_for(call, WAIT_TIMEOUT) == "finished"
