"""The viewers of a log tail: sockets register and unregister here, and this starts
the file's RQ job when it is needed and stops it on request (``tailf_stop``)."""

import logging
import time

import django_rq
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from channels1 import Group

from .log_files import QUEUE, Keys, connection, files, frame, group_name, new_job_id, send_to_viewer
from .log_tail import tail

logger = logging.getLogger("tracker.demo")

KEY_TTL = 86400
STARTING_TTL = 10
PENDING_STATUSES = {JobStatus.QUEUED.value, JobStatus.SCHEDULED.value, JobStatus.DEFERRED.value}


def watch(file_id, channel):
    """Make ``channel`` a viewer: the job sends it the last lines, adds it to the
    group, and is started if it is not running."""
    conn, keys = connection(), Keys(file_id)
    with conn.pipeline() as pipe:
        pipe.zadd(keys.viewers, {channel: time.time()})
        pipe.sadd(keys.joining, channel)
        pipe.expire(keys.viewers, KEY_TTL)
        pipe.expire(keys.joining, KEY_TTL)
        pipe.execute()
    return ensure_job(file_id)


def unwatch(file_id, channel):
    """Stop sending to ``channel``; the job ends once no viewer is left."""
    conn, keys = connection(), Keys(file_id)
    with conn.pipeline() as pipe:
        pipe.zrem(keys.viewers, channel)
        pipe.srem(keys.joining, channel)
        pipe.execute()
    Group(group_name(file_id)).discard(channel)


def touch(file_id, channel):
    """A viewer's keepalive; also restarts the job if it has died."""
    conn, keys = connection(), Keys(file_id)
    if conn.zadd(keys.viewers, {channel: time.time()}, xx=True, ch=True):
        conn.expire(keys.viewers, KEY_TTL)
        ensure_job(file_id)


def current_job_id(file_id):
    """The RQ job id of the file's latest run, or None if it never ran."""
    found = connection().get(Keys(file_id).job)
    return found.decode() if found else None


def fetch_job(file_id):
    found = current_job_id(file_id)
    if found is None:
        return None
    try:
        return Job.fetch(found, connection=connection())
    except NoSuchJobError:
        return None


def job_status(file_id):
    """RQ's status of the file's job as a string, or None if there is no job."""
    job = fetch_job(file_id)
    if job is None:
        return None
    try:
        status = job.get_status()
    except NoSuchJobError:
        return None
    return getattr(status, "value", status)


def is_running(file_id):
    return bool(connection().exists(Keys(file_id).running))


def ensure_job(file_id):
    """Enqueue the file's job unless it is running (its lock is alive), waiting in
    the queue, or being started; the enqueued Job, or None."""
    conn, keys = connection(), Keys(file_id)
    if conn.exists(keys.running):
        return None
    if job_status(file_id) in PENDING_STATUSES:
        return None
    if not conn.set(keys.starting, "1", nx=True, ex=STARTING_TTL):
        return None
    job_id = new_job_id(file_id)
    conn.set(keys.job, job_id, ex=KEY_TTL)
    logger.info("starting the tail job for log file %s (%s)", file_id, job_id)
    return django_rq.get_queue(QUEUE).enqueue(
        tail, file_id, job_id=job_id, job_timeout=-1, result_ttl=600, failure_ttl=86400,
        description=f"tail -F {files().get(file_id)}",
    )


def viewers(file_id):
    return connection().zcard(Keys(file_id).viewers)


def stop(file_id, reason="stopped by an administrator"):
    """End the file's job through RQ's stop command (or cancel it if it is queued),
    tell its viewers why and drop them; what was done, as text."""
    from rq.command import send_stop_job_command

    conn, keys = connection(), Keys(file_id)
    status, done = job_status(file_id), "no job was running"
    job = fetch_job(file_id)
    if status == JobStatus.STARTED.value:
        send_stop_job_command(conn, job.id)
        done = "sent the stop command"
    elif job is not None and status in PENDING_STATUSES:
        job.cancel()
        done = "cancelled the queued job"
    group = Group(group_name(file_id))
    for channel in conn.zrange(keys.viewers, 0, -1):
        channel = channel.decode()
        group.discard(channel)
        send_to_viewer(channel, frame(stopped=reason))
    conn.delete(keys.viewers, keys.joining, keys.running, keys.starting)
    return done
