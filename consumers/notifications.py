"""The live map's notifications socket, ``/ws/notifications/``, as Channels 1.x
consumer functions: a viewer's socket joins the ``notifications`` group (and the
user's own group) on connect and leaves on disconnect. Only logged-in users, unless
TRACKER_ANONYMOUS_VIEWERS is set."""

import functools
import json

from django.conf import settings

from channels1 import Group
from channels1.auth import channel_session_user, channel_session_user_from_http, login_required, user_group_name
from channels1.security import same_origin_only

from tracker.notifications import GROUP


def viewers_only(func):
    """login_required, unless settings.TRACKER_ANONYMOUS_VIEWERS is true (read at
    each call, so it can change without a restart of the routing)."""
    guarded = login_required(func)

    @functools.wraps(func)
    def inner(message, *args, **kwargs):
        if getattr(settings, "TRACKER_ANONYMOUS_VIEWERS", False):
            return func(message, *args, **kwargs)
        return guarded(message, *args, **kwargs)

    return inner


@same_origin_only
@channel_session_user_from_http
@viewers_only
def connect(message):
    Group(GROUP).add(message.reply_channel)
    if message.user.is_authenticated:
        Group(user_group_name(message.user)).add(message.reply_channel)
    message.reply_channel.send({"accept": True})


def receive(message):
    """The page's ping, ``{"action": "ping"}``: answered, so it knows a worker (and so
    Redis) still serves its socket. Anything else gets an error frame."""
    try:
        action = json.loads(message.get("text") or "").get("action")
    except (ValueError, AttributeError):
        action = None
    if action == "ping":
        message.reply_channel.send({"text": json.dumps({"pong": True})})
    else:
        message.reply_channel.send({"text": json.dumps({"error": 'this socket only takes {"action": "ping"}'})})


def keepalive(message):
    """Old clients' keepalives: the socket is put back in the group, which refreshes
    its membership before the group expiry drops it."""
    Group(GROUP).add(message.reply_channel)


@channel_session_user
def disconnect(message):
    Group(GROUP).discard(message.reply_channel)
    if message.user.is_authenticated:
        Group(user_group_name(message.user)).discard(message.reply_channel)
