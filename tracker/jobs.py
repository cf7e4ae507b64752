"""The live log tail's RQ job: one job per file (id ``tailf-<id>``, queue ``tailf``)
follows it and sends its lines to the group ``tailf.<id>``. Sockets register as
viewers in Redis; the job starts with the first and ends soon after the last leaves."""

import json
import logging
import time
import uuid

import django_rq
from django.conf import settings
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from channels1 import Channel, Group
from channels1.exceptions import ChannelFull

from .follow import Batcher, Follower, chunked

logger = logging.getLogger("tracker.demo")

QUEUE = "tailf"
POLL_SECONDS = 0.025
CHECK_SECONDS = 0.5
RUNNING_TTL_MS = 5000
STARTING_TTL = 10
KEY_TTL = 86400
MAX_MESSAGE_BYTES = 64 * 1024
PENDING_STATUSES = {JobStatus.QUEUED.value, JobStatus.SCHEDULED.value, JobStatus.DEFERRED.value}

# Extends the running lock only while this job holds it.
_REFRESH = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
# Gives up the lock only if no viewer is registered or waiting: a socket registers
# before it checks the lock, so either it sees the job gone or the job sees it.
_RELEASE_IF_IDLE = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 1 end
if redis.call('zcard', KEYS[2]) > 0 or redis.call('scard', KEYS[3]) > 0 then return 0 end
redis.call('del', KEYS[1])
return 1
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


def files():
    """The files that may be tailed: ``{id: path}`` (setting TAILF)."""
    return settings.TAILF


def file_id_of(text):
    """The id of a configured file named by ``text`` (from a URL), or None."""
    try:
        file_id = int(text)
    except (TypeError, ValueError):
        return None
    return file_id if str(file_id) == str(text) and file_id in files() else None


def job_id(file_id):
    return f"tailf-{file_id}"


def group_name(file_id):
    return f"tailf.{file_id}"


def initial_lines():
    return getattr(settings, "TAILF_INITIAL_LINES", 100)


def idle_seconds():
    """How long a job runs on without viewers (setting TAILF_IDLE_SECONDS)."""
    return getattr(settings, "TAILF_IDLE_SECONDS", 2.0)


def viewer_timeout():
    """Seconds after which a viewer that has not pinged counts as gone (pages ping
    every 30 s; setting TAILF_VIEWER_TIMEOUT)."""
    return getattr(settings, "TAILF_VIEWER_TIMEOUT", 120)


_connections = {}


def connection():
    """The Redis connection of the ``tailf`` queue (RQ_QUEUES), one per URL."""
    url = settings.RQ_QUEUES[QUEUE]["URL"]
    if url not in _connections:
        _connections[url] = django_rq.get_connection(QUEUE)
    return _connections[url]


class Keys:
    """The Redis keys of one file's tail, under the channel layer's prefix."""

    def __init__(self, file_id):
        prefix = settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix", "asgi")
        base = f"{prefix}:tailf:{file_id}"
        self.viewers = f"{base}:viewers"    # sorted set: reply channel -> last seen
        self.joining = f"{base}:joining"    # set: reply channels waiting for their last lines
        self.running = f"{base}:running"    # the running job's token, with a short expiry
        self.starting = f"{base}:starting"  # set while a job is enqueued but not yet running


def frame(**data):
    return {"text": json.dumps(data)}


# The socket side: consumers call these.

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


def fetch_job(file_id):
    try:
        return Job.fetch(job_id(file_id), connection=connection())
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
    logger.info("starting the tail job for log file %s", file_id)
    return django_rq.get_queue(QUEUE).enqueue(
        tail, file_id, job_id=job_id(file_id), job_timeout=-1, result_ttl=600, failure_ttl=86400,
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
        send_stop_job_command(conn, job_id(file_id))
        done = "sent the stop command"
    elif job is not None and status in PENDING_STATUSES:
        job.cancel()
        done = "cancelled the queued job"
    group = Group(group_name(file_id))
    for channel in conn.zrange(keys.viewers, 0, -1):
        channel = channel.decode()
        group.discard(channel)
        _send(channel, frame(stopped=reason))
    conn.delete(keys.viewers, keys.joining, keys.running, keys.starting)
    return done


def _send(channel, message):
    try:
        Channel(channel).send(message)
    except ChannelFull:
        logger.warning("tail: %s is full, skipped", channel)


# The job side.

def tail(file_id):
    """RQ job: follow the file and stream it to its viewers until none is left for
    ``idle_seconds()``, or until its lock is taken away (``stop``)."""
    path = files().get(file_id)
    if path is None:
        return f"no log file {file_id}"
    conn, keys, token = connection(), Keys(file_id), uuid.uuid4().hex
    if not conn.set(keys.running, token, nx=True, px=RUNNING_TTL_MS):
        return "another job already follows this file"
    conn.delete(keys.starting)
    logger.info("tail job for log file %s (%s) started", file_id, path)
    refresh = conn.register_script(_REFRESH)
    release_if_idle = conn.register_script(_RELEASE_IF_IDLE)
    group = Group(group_name(file_id))
    batcher = Batcher(max_delay=0.05, max_bytes=MAX_MESSAGE_BYTES)
    follower = Follower(path)
    checked, idle_since, reason = 0.0, None, None
    try:
        while reason is None:
            for batch in batcher.add(follower.read(limit=4 * MAX_MESSAGE_BYTES)):
                group.send(frame(lines=batch))
            batch = batcher.due()
            if batch:
                group.send(frame(lines=batch))
            joining = conn.spop(keys.joining, 100)
            if joining:
                batch = batcher.flush()
                if batch:
                    group.send(frame(lines=batch))
                for channel in joining:
                    _welcome(conn, keys, group, follower, channel.decode())
            now = time.monotonic()
            if now - checked >= CHECK_SECONDS:
                checked = now
                idle_since, reason = _check(conn, keys, group, token, refresh, release_if_idle, idle_since, now)
            if reason is None:
                time.sleep(POLL_SECONDS)
    finally:
        follower.close()
        conn.register_script(_RELEASE)(keys=[keys.running], args=[token])
    logger.info("tail job for log file %s ended: %s", file_id, reason)
    return reason


def _welcome(conn, keys, group, follower, channel):
    """Send a new viewer the last lines, then add it to the group (and take it out
    again if it left meanwhile)."""
    if conn.zscore(keys.viewers, channel) is None:
        return
    for number, lines in enumerate(chunked(follower.tail(initial_lines()), MAX_MESSAGE_BYTES) or [[]]):
        _send(channel, frame(lines=lines, initial=number == 0))
    group.add(channel)
    if conn.zscore(keys.viewers, channel) is None:
        group.discard(channel)


def _check(conn, keys, group, token, refresh, release_if_idle, idle_since, now):
    """Once in a while: keep the lock, drop viewers that stopped pinging, and end
    after ``idle_seconds()`` without viewers. ``(idle_since, reason to end)``."""
    if not refresh(keys=[keys.running], args=[token, RUNNING_TTL_MS]):
        return idle_since, "stopped (lost its lock)"
    stale = conn.zrangebyscore(keys.viewers, "-inf", time.time() - viewer_timeout())
    for channel in stale:
        conn.zrem(keys.viewers, channel)
        group.discard(channel.decode())
        _send(channel.decode(), frame(stopped=f"no ping for {viewer_timeout()} s"))
    if conn.zcard(keys.viewers) or conn.scard(keys.joining):
        return None, None
    idle_since = now if idle_since is None else idle_since
    if now - idle_since >= idle_seconds():
        if release_if_idle(keys=[keys.running, keys.viewers, keys.joining], args=[token]):
            return idle_since, "no viewers left"
    return idle_since, None
