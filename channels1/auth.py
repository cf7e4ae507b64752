"""Who is on the other end of a socket: `message.user` from the channel session or
the HTTP session, moved from one to the other on connect."""

import functools

from django.contrib import auth
from django.contrib.auth.models import AnonymousUser

from .exceptions import SocketAuthError
from .sessions import channel_and_http_session, channel_session, http_session

__all__ = [
    "SocketAuthError",
    "channel_and_http_session",
    "channel_and_http_session_user_from_http",
    "channel_session",
    "channel_session_user",
    "channel_session_user_from_http",
    "http_session",
    "http_session_user",
    "login_required",
    "transfer_user",
    "user_group_name",
]

AUTH_KEYS = (auth.SESSION_KEY, auth.BACKEND_SESSION_KEY, auth.HASH_SESSION_KEY)


class _SessionRequest:
    """What auth.get_user needs of a request: its session."""

    def __init__(self, session):
        self.session = session


def _user(session):
    return AnonymousUser() if session is None else auth.get_user(_SessionRequest(session))


def transfer_user(from_session, to_session):
    """Copy the login (user id, backend, hash) from one session to another."""
    if all(key in from_session for key in AUTH_KEYS):
        for key in AUTH_KEYS:
            to_session[key] = from_session[key]


def channel_session_user(func):
    """``message.user`` from the channel session (AnonymousUser if none)."""

    @channel_session
    @functools.wraps(func)
    def inner(message, *args, **kwargs):
        message.user = _user(message.channel_session)
        return func(message, *args, **kwargs)

    return inner


def http_session_user(func):
    """``message.user`` from the HTTP session (AnonymousUser without one)."""

    @http_session
    @functools.wraps(func)
    def inner(message, *args, **kwargs):
        message.user = _user(message.http_session)
        return func(message, *args, **kwargs)

    return inner


def channel_session_user_from_http(func):
    """For connect: the user of the HTTP session, stored in the channel session so
    that later messages of the socket know it too."""

    @http_session_user
    @channel_session
    @functools.wraps(func)
    def inner(message, *args, **kwargs):
        if message.http_session is not None:
            transfer_user(message.http_session, message.channel_session)
        return func(message, *args, **kwargs)

    return inner


def channel_and_http_session_user_from_http(func):
    """channel_session_user_from_http over channel_and_http_session."""

    @channel_and_http_session
    @functools.wraps(func)
    def inner(message, *args, **kwargs):
        message.user = _user(message.http_session)
        if message.http_session is not None:
            transfer_user(message.http_session, message.channel_session)
        return func(message, *args, **kwargs)

    return inner


def login_required(func):
    """For consumers that already have ``message.user``: an anonymous user's socket
    is ended with close code 4403 instead of running the consumer."""

    @functools.wraps(func)
    def inner(message, *args, **kwargs):
        if not message.user.is_authenticated:
            raise SocketAuthError(4403, "login required")
        return func(message, *args, **kwargs)

    return inner


def user_group_name(user):
    """The group every socket of a user joins: a message to it reaches all their tabs."""
    return f"user.{user.pk}"
