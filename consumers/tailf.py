"""The live log tail's sockets, ``/ws/tailf/<id>/``, as Channels 1.x consumer
functions: a logged-in user who may view logs, watching a configured file (whose
socket joins the user's group), gets its last lines, then live ones from the file's
RQ job (workers/log_tail.py); frames ``{"action": "stop" | "start" | "ping"}``."""

import functools
import json
import logging

from channels1 import Group
from channels1.auth import channel_session_user, channel_session_user_from_http, login_required, user_group_name
from channels1.exceptions import ChannelSocketException
from channels1.security import same_origin_only

from tracker.models import may_view_logs
from workers import log_files, log_tail_viewers

from .frames import json_object

logger = logging.getLogger("tracker.demo")


class Refused(ChannelSocketException):
    """Ends a socket with ``code``, after a frame the page can show."""

    code = None
    text = None

    def run(self, message):
        message.reply_channel.send({"accept": True, "text": json.dumps({"error": self.text}), "close": self.code})


class NoSuchLogFile(Refused):
    """An id that names no configured file."""

    code = 4404
    text = "no such log file"


class LogsForbidden(Refused):
    """A user without the permission to view logs (tracker.models.may_view_logs)."""

    code = 4003
    text = "you may not follow the server's logs"


def viewers_of_logs_only(func):
    """For consumers that have ``message.user``: only users who may view logs."""

    @functools.wraps(func)
    def inner(message, *args, **kwargs):
        if not may_view_logs(message.user):
            raise LogsForbidden(message.user.get_username())
        return func(message, *args, **kwargs)

    return inner


def _file_id(text):
    file_id = log_files.file_id_of(text)
    if file_id is None:
        raise NoSuchLogFile(text)
    return file_id


@same_origin_only
@channel_session_user_from_http
@login_required
@viewers_of_logs_only
def connect(message, file_id):
    file_id = _file_id(file_id)
    Group(user_group_name(message.user)).add(message.reply_channel)
    message.reply_channel.send({"accept": True}, immediately=True)
    log_tail_viewers.watch(file_id, message.reply_channel.name)
    logger.info("%s started viewing log file %s", message.user.get_username(), file_id)


@channel_session_user
@login_required
@viewers_of_logs_only
def receive(message, file_id):
    file_id = _file_id(file_id)
    action = (json_object(message) or {}).get("action")
    channel = message.reply_channel.name
    if action == "stop":
        log_tail_viewers.unwatch(file_id, channel)
        message.reply_channel.send(log_files.frame(stopped="stopped"))
    elif action == "start":
        log_tail_viewers.watch(file_id, channel)
    elif action == "ping":
        log_tail_viewers.touch(file_id, channel)
        message.reply_channel.send(log_files.frame(pong=True))
    else:
        message.reply_channel.send(log_files.frame(error='send {"action": "start"}, "stop" or "ping"'))


@channel_session_user
def disconnect(message, file_id):
    if message.user.is_authenticated:
        Group(user_group_name(message.user)).discard(message.reply_channel)
    file_id = log_files.file_id_of(file_id)
    if file_id is not None:
        log_tail_viewers.unwatch(file_id, message.reply_channel.name)
        if message.user.is_authenticated:
            logger.info("%s stopped viewing log file %s", message.user.get_username(), file_id)
