"""Viewers of a log tail share one RQ job, which is enqueued again only when it died
(jobs are enqueued but no RQ worker runs them here)."""

import django_rq
from rq.job import JobStatus

from workers import log_files, log_tail_viewers


def test_viewers_share_one_enqueued_job(tailf):
    assert log_tail_viewers.watch(tailf, "tailf.test.viewer1") is not None
    assert log_tail_viewers.watch(tailf, "tailf.test.viewer2") is None
    queue = django_rq.get_queue("tailf")
    assert queue.job_ids.count(f"tailf-{tailf}") == 1
    assert log_tail_viewers.job_status(tailf) == "queued"
    assert not log_tail_viewers.is_running(tailf) and log_tail_viewers.viewers(tailf) == 2
    log_tail_viewers.unwatch(tailf, "tailf.test.viewer1")
    assert log_tail_viewers.viewers(tailf) == 1


def test_a_dead_job_is_enqueued_again_but_a_live_one_is_not(tailf):
    keys = log_files.Keys(tailf)
    assert log_tail_viewers.ensure_job(tailf) is not None
    log_tail_viewers.fetch_job(tailf).set_status(JobStatus.STARTED)
    assert log_tail_viewers.ensure_job(tailf) is None  # started, about to take its lock
    log_files.connection().delete(keys.starting)
    log_files.connection().set(keys.running, "token", px=5000)
    assert log_tail_viewers.ensure_job(tailf) is None  # its lock is alive
    log_files.connection().delete(keys.running)  # the lock expired: the job died
    assert log_tail_viewers.ensure_job(tailf) is not None
