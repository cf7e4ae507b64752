"""The log tail's RQ job run in a thread: one run per file at a time, and the end
when no viewer is left."""

import threading

from workers import log_files, log_tail, log_tail_viewers


def test_the_job_refuses_a_second_run_and_ends_without_viewers(tailf):
    log_files.connection().set(log_files.Keys(tailf).running, "other", px=5000)
    assert log_tail.tail(tailf) == "another job already follows this file"
    log_files.connection().delete(log_files.Keys(tailf).running)
    result = []
    thread = threading.Thread(target=lambda: result.append(log_tail.tail(tailf)), daemon=True)
    thread.start()
    thread.join(10)
    assert result == ["no viewers left"]
    assert not log_tail_viewers.is_running(tailf)


def test_the_job_drops_viewers_that_stopped_pinging(tailf, settings):
    settings.TAILF_VIEWER_TIMEOUT = 60
    keys = log_files.Keys(tailf)
    log_files.connection().zadd(keys.viewers, {"tailf.test.silent": 1.0})
    result = []
    thread = threading.Thread(target=lambda: result.append(log_tail.tail(tailf)), daemon=True)
    thread.start()
    thread.join(10)
    assert result == ["no viewers left"] and log_tail_viewers.viewers(tailf) == 0

