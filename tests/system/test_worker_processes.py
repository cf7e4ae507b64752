"""Worker processes stopping and dying: SIGTERM loses nothing, and a message whose
worker was SIGKILLed in the middle of its consumer is handled again by another."""

import asyncio
import signal

from websockets.asyncio.client import connect


async def test_sigterm_during_work_finishes_it_and_loses_nothing(make_system):
    system = make_system().start(workers=2)
    async with connect(system.ws_url("/ws/test/slow/")) as socket:
        for _ in range(4):
            await socket.send("1.0")
        started = await asyncio.wait_for(socket.recv(), 5)
        pid = int(started.split()[1])
        [stopping] = [worker for worker in system.workers if worker.pid == pid]
        stopping.send_signal(signal.SIGTERM)
        replies = [started] + [await asyncio.wait_for(socket.recv(), 15) for _ in range(7)]
    assert stopping.wait(timeout=10) == 0
    assert sorted(reply.split()[0] for reply in replies) == ["done"] * 4 + ["started"] * 4
    assert f"done {pid}" in replies


async def test_sigkill_in_the_middle_of_a_consumer_hands_the_message_to_another_worker(make_system):
    system = make_system(layer_config={"visibility_timeout": 2}).start(workers=2)
    async with connect(system.ws_url("/ws/test/slow/")) as socket:
        await socket.send("3.0")
        started = await asyncio.wait_for(socket.recv(), 5)
        killed = int(started.split()[1])
        [victim] = [worker for worker in system.workers if worker.pid == killed]
        victim.send_signal(signal.SIGKILL)
        again = await asyncio.wait_for(socket.recv(), 15)
        done = await asyncio.wait_for(socket.recv(), 15)
    survivor = next(worker.pid for worker in system.workers if worker.pid != killed)
    assert (again, done) == (f"started {survivor}", f"done {survivor}")
