"""The threads a worker runs sync consumers in: a call goes to a free thread through
one queue, and the results of calls that finish close together come back to the
event loop with one wake-up, instead of one wake-up (a system call) per call."""

import collections
import queue
import threading

_STOP = object()


class ConsumerThreads:
    """``await threads.run(function, *args)`` runs ``function(*args)`` in one of
    ``count`` threads (started on first use, named ``consumer_N``) and returns its
    result or raises its exception. ``threads.stop()`` ends the threads once the
    calls given to them have finished."""

    def __init__(self, count, loop):
        self._count = count
        self._loop = loop
        self._calls = queue.SimpleQueue()
        self._finished = collections.deque()  # (future, result, error) waiting for the loop
        self._woken = False
        self._threads = []

    def run(self, function, *args):
        if not self._threads:
            self._start()
        future = self._loop.create_future()
        self._calls.put((future, function, args))
        return future

    def stop(self):
        threads, self._threads = self._threads, []
        for _ in threads:
            self._calls.put(_STOP)
        for thread in threads:
            thread.join()

    def _start(self):
        for number in range(self._count):
            thread = threading.Thread(target=self._serve, name=f"consumer_{number}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self):
        while (call := self._calls.get()) is not _STOP:
            future, function, args = call
            try:
                outcome = (future, function(*args), None)
            except BaseException as error:  # handed to the awaiting task, as an executor does
                outcome = (future, None, error)
            self._finished.append(outcome)
            if not self._woken:
                # Set before the loop looks at the queue, so a result appended after the
                # loop reset the flag wakes it again, and none is left behind.
                self._woken = True
                try:
                    self._loop.call_soon_threadsafe(self._settle)
                except RuntimeError:  # the loop was closed: nobody awaits the result any more
                    return

    def _settle(self):
        self._woken = False
        finished = self._finished
        while finished:
            future, result, error = finished.popleft()
            if future.cancelled():
                continue
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)
