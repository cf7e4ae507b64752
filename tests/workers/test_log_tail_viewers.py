"""Viewers of a log tail share one RQ job, which is enqueued again only when it died
(jobs are enqueued but no RQ worker runs them here)."""

import django_rq
from rq.job import JobStatus

from workers import log_files, log_tail_viewers


def test_viewers_share_one_enqueued_job(tailf):
    assert log_tail_viewers.watch(tailf, "tailf.test.viewer1") is not None
    assert log_tail_viewers.watch(tailf, "tailf.test.viewer2") is None
    queue = django_rq.get_queue("tailf")
    assert [job for job in queue.job_ids if job.startswith(f"tailf-{tailf}-")] == [log_tail_viewers.current_job_id(tailf)]
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


def test_a_new_run_never_shares_its_rq_record_with_the_run_that_is_ending(tailf):
    """RQ writes a job's end (finished, or failed if the record changed under it) after
    the job has given up its lock; the next run must not be that record."""
    ending = log_tail_viewers.ensure_job(tailf)
    ending.set_status(JobStatus.STARTED)
    log_files.connection().delete(log_files.Keys(tailf).starting)  # it took and gave up its lock
    next_run = log_tail_viewers.ensure_job(tailf)
    assert next_run is not None and next_run.id != ending.id
    ending.set_status(JobStatus.FINISHED)  # RQ finishes the ending run
    assert log_tail_viewers.job_status(tailf) == "queued"


def test_two_systems_sharing_a_redis_never_share_a_job_id(tailf, settings):
    """RQ's job ids are not under the layer's prefix: a run of another system on the
    same server must not take (or overwrite) this system's job record."""
    first = log_tail_viewers.ensure_job(tailf)
    layers = settings.CHANNEL_LAYERS
    settings.CHANNEL_LAYERS = {"default": {**layers["default"], "CONFIG": {
        **layers["default"].get("CONFIG", {}), "prefix": "another-system"}}}
    try:
        other = log_tail_viewers.ensure_job(tailf)
        assert other is not None and other.id != first.id
        other.delete()
        keys = log_files.Keys(tailf)
        log_files.connection().delete(keys.starting, keys.job)
    finally:
        settings.CHANNEL_LAYERS = layers
