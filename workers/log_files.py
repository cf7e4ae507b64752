"""The log files a viewer may tail and what one file's tail keeps in Redis: its id,
its RQ job ids, its group, its keys, and the frames its sockets get."""

import json
import logging
import uuid

import django_rq
from django.conf import settings

from channels1 import Channel
from channels1.exceptions import ChannelFull

QUEUE = "tailf"
DEFAULT_INITIAL_LINES = 100

logger = logging.getLogger("tracker.demo")


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


def new_job_id(file_id):
    """An RQ job id for a new run of the file's job. Each run has its own, unique in the
    whole Redis (RQ's ids are not under the layer's prefix, and other deployments or
    test systems may share the server), so that no run shares its record with another:
    not with the one RQ is still finishing, nor with another system's."""
    return f"tailf-{file_id}-{uuid.uuid4().hex[:12]}"


def group_name(file_id):
    return f"tailf.{file_id}"


def initial_lines():
    return getattr(settings, "TAILF_INITIAL_LINES", DEFAULT_INITIAL_LINES)


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
        self.job = f"{base}:job"            # the RQ job id of the latest run


def frame(**data):
    """A socket frame carrying ``data`` as JSON."""
    return {"text": json.dumps(data)}


def send_to_viewer(channel, message):
    """Send ``message`` to one viewer's socket at once; a full socket is skipped."""
    try:
        Channel(channel).send(message)
    except ChannelFull:
        logger.warning("tail: %s is full, skipped", channel)
