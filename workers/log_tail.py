"""The live log tail's RQ job: one job per file at a time (ids ``tailf-<id>-<random>``, queue ``tailf``)
follows it and sends its lines to the group ``tailf.<id>``, welcoming each new viewer
with the last lines, until no viewer is left."""

import logging
import time
import uuid

from channels1 import Group

from .file_follower import Follower, LineBatcher, chunked
from .log_files import (
    Keys, connection, files, frame, group_name, idle_seconds, initial_lines, send_to_viewer, viewer_timeout,
)

logger = logging.getLogger("tracker.demo")

POLL_SECONDS = 0.025
CHECK_SECONDS = 0.5
RUNNING_TTL_MS = 5000
MAX_MESSAGE_BYTES = 64 * 1024

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


def tail(file_id):
    """RQ job: follow the file and stream it to its viewers until none is left for
    ``idle_seconds()``, or until its lock is taken away (``stop``)."""
    path = files().get(file_id)
    if path is None:
        return f"no log file {file_id}"
    job = _TailJob(file_id, path)
    if not job.take_lock():
        return "another job already follows this file"
    logger.info("tail job for log file %s (%s) started", file_id, path)
    try:
        reason = job.run()
    finally:
        job.release()
    logger.info("tail job for log file %s ended: %s", file_id, reason)
    return reason


class _TailJob:
    """One run of the tail job: its lock token, the file's follower, the batch being
    gathered, and how long it has been without viewers."""

    def __init__(self, file_id, path):
        self.conn = connection()
        self.keys = Keys(file_id)
        self.token = uuid.uuid4().hex
        self.group = Group(group_name(file_id))
        self.path = path
        self.follower = None
        self.batcher = LineBatcher(max_delay=0.05, max_bytes=MAX_MESSAGE_BYTES)
        self.idle_since = None
        self._refresh = self.conn.register_script(_REFRESH)
        self._release_if_idle = self.conn.register_script(_RELEASE_IF_IDLE)

    def take_lock(self):
        if not self.conn.set(self.keys.running, self.token, nx=True, px=RUNNING_TTL_MS):
            return False
        self.conn.delete(self.keys.starting)
        return True

    def release(self):
        if self.follower is not None:
            self.follower.close()
        self.conn.register_script(_RELEASE)(keys=[self.keys.running], args=[self.token])

    def run(self):
        """Follow until there is a reason to end; that reason."""
        self.follower = Follower(self.path)
        checked, reason = 0.0, None
        while reason is None:
            self.send_lines()
            self.welcome_joining()
            now = time.monotonic()
            if now - checked >= CHECK_SECONDS:
                checked = now
                reason = self.check(now)
            if reason is None:
                time.sleep(POLL_SECONDS)
        return reason

    def send_lines(self):
        for batch in self.batcher.add(self.follower.read(limit=4 * MAX_MESSAGE_BYTES)):
            self.group.send(frame(lines=batch))
        batch = self.batcher.due()
        if batch:
            self.group.send(frame(lines=batch))

    def welcome_joining(self):
        """Send each new viewer the last lines, then add it to the group (and take it
        out again if it left meanwhile). Lines gathered so far go to the group first,
        so a new viewer neither misses nor repeats any."""
        joining = self.conn.spop(self.keys.joining, 100)
        if not joining:
            return
        batch = self.batcher.flush()
        if batch:
            self.group.send(frame(lines=batch))
        last_lines = None
        for channel in (name.decode() for name in joining):
            if self.conn.zscore(self.keys.viewers, channel) is None:
                continue
            if last_lines is None:
                last_lines = chunked(self.follower.tail(initial_lines()), MAX_MESSAGE_BYTES) or [[]]
            for number, lines in enumerate(last_lines):
                send_to_viewer(channel, frame(lines=lines, initial=number == 0))
            self.group.add(channel)
            if self.conn.zscore(self.keys.viewers, channel) is None:
                self.group.discard(channel)

    def check(self, now):
        """Once in a while: keep the lock, drop viewers that stopped pinging, and end
        after ``idle_seconds()`` without viewers. The reason to end, or None."""
        if not self._refresh(keys=[self.keys.running], args=[self.token, RUNNING_TTL_MS]):
            return "stopped (lost its lock)"
        timeout = viewer_timeout()
        for channel in self.conn.zrangebyscore(self.keys.viewers, "-inf", time.time() - timeout):
            self.conn.zrem(self.keys.viewers, channel)
            self.group.discard(channel.decode())
            send_to_viewer(channel.decode(), frame(stopped=f"no ping for {timeout} s"))
        if self.conn.zcard(self.keys.viewers) or self.conn.scard(self.keys.joining):
            self.idle_since = None
            return None
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since >= idle_seconds():
            keys = [self.keys.running, self.keys.viewers, self.keys.joining]
            if self._release_if_idle(keys=keys, args=[self.token]):
                return "no viewers left"
        return None
