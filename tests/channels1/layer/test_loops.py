"""The value kept for its event loop: given back only while that loop runs the
caller, never on another loop, in another thread, after the loop stopped or in a
forked child."""

import asyncio
import os
import threading

from channels1.layer._loops import LastOnLoop


class Value:
    pass


def test_a_value_is_given_back_only_while_its_loop_runs_the_caller():
    last, value = LastOnLoop(), Value()

    async def keep():
        last.set(value, asyncio.get_running_loop())
        return last.get()

    async def look():
        return last.get()

    with asyncio.Runner() as runner:
        assert runner.run(keep()) is value
        assert runner.run(look()) is value
        assert last.get() is None  # the loop is not running
        on_another_loop = asyncio.run(look())
        in_another_thread = []

        async def look_while_kept():
            thread = threading.Thread(target=lambda: in_another_thread.append(asyncio.run(look())))
            thread.start()
            await asyncio.to_thread(thread.join)
            return last.get()

        assert runner.run(look_while_kept()) is value
    assert on_another_loop is None
    assert in_another_thread == [None]


def test_a_forked_child_is_not_given_its_parents_value():
    last, value = LastOnLoop(), Value()

    async def fork_while_kept():
        last.set(value, asyncio.get_running_loop())
        reading, writing = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child, still inside this coroutine
            os.write(writing, b"none" if last.get() is None else b"given")
            os._exit(0)
        os.close(writing)
        os.waitpid(pid, 0)
        with os.fdopen(reading, "rb") as pipe:
            return pipe.read(), last.get()

    assert asyncio.run(fork_while_kept()) == (b"none", value)


def test_a_value_gone_is_not_given_back():
    last = LastOnLoop()

    async def keep_and_drop():
        value = Value()
        last.set(value, asyncio.get_running_loop())
        del value
        return last.get()

    assert asyncio.run(keep_and_drop()) is None
