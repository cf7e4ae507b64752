"""Sessions for consumers: `channel_session` keeps per-socket state across messages
and workers, `http_session` reads the browser's session, `enforce_ordering` runs a
socket's messages in the order the client sent them."""

import functools
import hashlib
import logging
import time
import urllib.parse
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.http.cookie import parse_cookie

from ._headers import header_items
from ._ordering import (
    NEXT_ORDER_KEY,
    came_late,
    finish,
    one_at_a_time,
    park,
    send_back,
    take_turn,
    wait_channel_name,
)
from .channel import REDIS_RETRY_TIMEOUT
from .exceptions import REDIS_UNREACHABLE, ChannelSocketException, ConsumeLater, SocketAuthError
from .message import Message
from .tokens import InvalidToken, redeem

logger = logging.getLogger("channels1.sessions")

RETRY_INTERVAL = 0.2
# Seconds an early message waits where it is for its turn before it is parked
# (CHANNELS1_ORDER_TURN_WAIT), and its first and longest pause between two looks.
DEFAULT_TURN_WAIT = 0.2
TURN_POLL_FIRST = 0.005
TURN_POLL_MAX = 0.05



def _engine(setting="CHANNEL_SESSION_ENGINE"):
    name = getattr(settings, setting, None) or settings.SESSION_ENGINE
    if name == "django.contrib.sessions.backends.signed_cookies":
        raise ValueError("Channel sessions cannot use signed cookie sessions: set CHANNEL_SESSION_ENGINE")
    return import_module(name)


def session_for_reply_channel(reply_channel):
    """The channel session of a reply channel: the same connection always gets the
    same session, from CHANNEL_SESSION_ENGINE (else SESSION_ENGINE)."""
    session_key = "chn" + hashlib.sha1(reply_channel.encode("utf8")).hexdigest()[:29]
    session = _channel_session_store(_engine())(session_key=session_key)
    # Loaded now, as database engines forget a key they do not know when they load;
    # this one is ours on purpose, so it is put back.
    session._session.keys()
    session._session_key = session_key
    return session


def delete_channel_session(reply_channel):
    """Delete the channel session of a connection that has ended (1.x left it until
    the session age, 14 days by default)."""
    session = session_for_reply_channel(reply_channel)
    session.delete(session.session_key)


_stores = {}


def _channel_session_store(engine):
    """The engine's SessionStore, whose save() creates a session it does not have
    yet under the channel session's key (database engines would only update), and
    whose reads and writes wait out a short Redis outage (cache engines): a channel
    session read as empty or not saved would leave the socket's later messages
    waiting for their turn for ever (enforce_ordering)."""
    store = engine.SessionStore
    if store not in _stores:

        def save(self, must_create=False):
            try:
                return _retrying(store.save, self, must_create=must_create)
            except UpdateError:
                if must_create:
                    raise
                return _retrying(store.save, self, must_create=True)

        def load(self):
            if engine.__name__ != "django.contrib.sessions.backends.cache":
                return store.load(self)
            # The cache engine reads a failure as an empty session: read it ourselves.
            data = _retrying(self._cache.get, self.cache_key)
            if data is not None:
                return data
            self._session_key = None
            return {}

        def exists(self, session_key):
            return _retrying(store.exists, self, session_key)

        # Sessions are signed with a salt named after their class: keep the engine's, so
        # that its own SessionStore reads what this one wrote, and the reverse.
        key_salt = "django.contrib.sessions." + store.__qualname__
        _stores[store] = type(f"Channel{store.__name__}", (store,), {
            "save": save, "load": load, "exists": exists, "key_salt": key_salt, "__module__": __name__,
        })
    return _stores[store]


def _retrying(operation, *args, **kwargs):
    """``operation(*args, **kwargs)``, tried again while Redis does not answer, for up
    to REDIS_RETRY_TIMEOUT seconds; then its error is raised."""
    deadline = time.monotonic() + REDIS_RETRY_TIMEOUT
    while True:
        try:
            return operation(*args, **kwargs)
        except REDIS_UNREACHABLE:
            if time.monotonic() >= deadline:
                raise
            time.sleep(RETRY_INTERVAL)


def _message_from(args):
    for arg in args[:2]:
        if isinstance(arg, Message):
            return arg
    raise ValueError("channel_session called without Message instance")


def channel_session(func):
    """Gives the consumer ``message.channel_session``, saved after it ran (also when
    it raised) if it changed. Works on functions and methods."""

    @functools.wraps(func)
    def inner(*args, **kwargs):
        message = _message_from(args)
        if hasattr(message, "channel_session"):
            try:
                return func(*args, **kwargs)
            finally:
                if message.channel_session.modified:
                    message.channel_session.save()
        if message.reply_channel is None:
            raise ValueError(
                f"No reply_channel in the message on {message.channel.name}: "
                "channel_session needs one to know the connection"
            )
        session = session_for_reply_channel(message.reply_channel.name)
        if not session.exists(session.session_key):
            try:
                session.save(must_create=True)
            except CreateError:
                # Another worker is creating it for the same connection: try later.
                raise ConsumeLater()
        message.channel_session = session
        try:
            return func(*args, **kwargs)
        finally:
            if session.modified and not session.is_empty():
                session.save()

    return inner


def _query(message):
    return urllib.parse.parse_qs(_text(message.get("query_string", b"")))


def _text(value):
    return value.decode("latin-1") if isinstance(value, bytes) else (value or "")


def _cookies(message):
    for name, value in header_items(message):
        if name == b"cookie":
            return parse_cookie(_text(value))
    return {}


def http_session(func):
    """Gives the consumer ``message.http_session``: the browser's session named by
    a single-use socket token (``?token=``, see tokens.py), else the session cookie;
    or None. Never creates one. A bad or used token, or one whose session has logged
    out, ends the socket with close code 4401. The 1.x ``?session_key=`` parameter
    counts only with the setting CHANNELS1_SESSION_KEY_IN_QUERY = True."""

    @functools.wraps(func)
    def inner(message, *args, **kwargs):
        if hasattr(message, "http_session"):
            try:
                return func(message, *args, **kwargs)
            finally:
                if message.http_session is not None and message.http_session.modified:
                    message.http_session.save()
        message.http_session = _http_session(message)
        result = func(message, *args, **kwargs)
        if message.http_session is not None and message.http_session.modified:
            message.http_session.save()
        return result

    return inner


def _http_session(message):
    query = _query(message)
    engine = import_module(settings.SESSION_ENGINE)
    if "token" in query:
        return _token_session(engine, query["token"][0])
    session_key = _cookies(message).get(settings.SESSION_COOKIE_NAME)
    if "session_key" in query:
        if getattr(settings, "CHANNELS1_SESSION_KEY_IN_QUERY", False):
            session_key = query["session_key"][0] or session_key
        else:
            logger.warning(
                "Ignored ?session_key= on %s: a session id in a URL ends up in proxy and server logs. "
                "Open the socket with ?token= (channels1.tokens), or set CHANNELS1_SESSION_KEY_IN_QUERY "
                "= True for legacy 1.x pages", message.get("path"),
            )
    if not session_key:
        return None
    return engine.SessionStore(session_key=session_key)


def _token_session(engine, token):
    """The session a socket token was issued for, if it is still logged in."""
    try:
        session = engine.SessionStore(session_key=redeem(token))
    except InvalidToken as error:
        raise SocketAuthError(4401, str(error))
    if SESSION_KEY not in session:
        raise SocketAuthError(4401, "the session of this socket token has logged out")
    return session


def channel_and_http_session(func):
    """Both sessions; the first time, the HTTP session's key is kept in the channel
    session, so later messages (which carry no cookies) get it back."""

    @http_session
    @channel_session
    @functools.wraps(func)
    def inner(message, *args, **kwargs):
        cookie = settings.SESSION_COOKIE_NAME
        if message.http_session is not None and message.http_session.session_key \
                and cookie not in message.channel_session:
            message.channel_session[cookie] = message.http_session.session_key
        elif message.http_session is None and cookie in message.channel_session:
            engine = import_module(settings.SESSION_ENGINE)
            message.http_session = engine.SessionStore(session_key=message.channel_session[cookie])
        return func(message, *args, **kwargs)

    return inner


def enforce_ordering(func=None, slight=False):
    """Runs a socket's messages strictly in their ``order``: one that arrives early
    waits on a channel of its own and is replayed when its turn comes. Includes
    channel_session. When the socket makes no progress for CHANNELS1_ORDER_GAP_TIMEOUT
    seconds (10) while messages wait, the order it is at is given up with a WARNING
    and the waiting messages run in order; if it comes after all, it runs then.
    Workers keep the checks that ensure this. A message set aside to wait gets
    ``message.parked = True``."""
    if slight:
        raise ValueError("Slight ordering is always on now; remove slight=True")
    if func is None:
        return enforce_ordering

    @channel_session
    @functools.wraps(func)
    def inner(message, *args, **kwargs):
        if "order" not in message.content:
            raise ValueError(f"No 'order' in the message on {message.channel.name}; enforce_ordering needs it")
        order = int(message.content["order"])
        layer = message.channel.channel_layer
        reply_channel = message.reply_channel.name
        expected = message.channel_session.get(NEXT_ORDER_KEY, 0)
        if order > expected and not one_at_a_time.get():
            expected = _wait_for_turn(message, order, expected)
        if order < expected:
            if came_late(message.channel_session, order):
                logger.warning("Ran %s order %s of %s late: it came after its turn was given up",
                               message.channel.name, order, reply_channel)
                try:
                    return func(message, *args, **kwargs)
                finally:
                    message.channel_session.save()
                    message.channel_session.modified = False
            # Its turn has passed: it ran already, and this is a redelivery (at-least-once
            # after a lost acknowledgement). Parked, it would bounce back for ever.
            logger.info("Skipped %s order %s of %s: it already ran (a redelivery)",
                        message.channel.name, order, reply_channel)
            return None
        if order > expected:
            park(layer, message, order, expected)
            message.parked = True
            # Its turn may have come while it was being parked.
            message.channel_session = session_for_reply_channel(reply_channel)
            now = message.channel_session.get(NEXT_ORDER_KEY, 0)
            if now >= order:
                _run_waiting_turns(message, func, args, kwargs, now)
            return None
        try:
            return _run_in_turn(message, func, args, kwargs)
        finally:
            _run_waiting_turns(message, func, args, kwargs, order + 1)

    return inner


def _run_in_turn(message, func, args, kwargs):
    """Run a message whose turn it is; then the socket is at the next order."""
    try:
        return func(message, *args, **kwargs)
    finally:
        message.channel_session[NEXT_ORDER_KEY] = int(message.content["order"]) + 1
        message.channel_session.save()
        message.channel_session.modified = False


def _run_waiting_turns(message, func, args, kwargs, next_order):
    """Run the socket's messages that wait for their turn from ``next_order`` on,
    one after the other, here: sent back to the end of their channel, each would
    wait behind everything sent since. One for another channel (a disconnect) is
    sent back."""
    layer = message.channel.channel_layer
    reply_channel = message.reply_channel.name
    try:
        while (turn := take_turn(layer, reply_channel, next_order)) is not None:
            delivery, channel, content = turn
            if channel != message.channel.name or one_at_a_time.get():
                send_back(layer, delivery, channel, content)
                return
            following = Message(content, channel, message.channel_layer)
            following.channel_session = message.channel_session
            try:
                _run_in_turn(following, func, args, kwargs)
            except ChannelSocketException as error:
                error.run(following)
            except Exception:
                logger.exception("Error in consumer %s for %s order %s of %s (it had waited for its turn)",
                                 getattr(func, "__qualname__", func), channel, next_order, reply_channel)
            finish(layer, delivery)
            next_order += 1
    except Exception as error:
        # The checks of the waiting messages replay them within the gap timeout.
        logger.error("Running the waiting messages of %s failed: %s", reply_channel, error)


def _wait_for_turn(message, order, expected):
    """Wait a moment for the socket's turn to come to ``order``: usually the message
    before it is running on another worker and about to finish, and waiting here
    costs less than parking it. The order the socket is at in the end; if its turn
    came, ``message.channel_session`` is the session as the message before it left it."""
    deadline = time.monotonic() + getattr(settings, "CHANNELS1_ORDER_TURN_WAIT", DEFAULT_TURN_WAIT)
    pause = TURN_POLL_FIRST
    while time.monotonic() + pause <= deadline:
        time.sleep(pause)
        pause = min(pause * 2, TURN_POLL_MAX)
        session = session_for_reply_channel(message.reply_channel.name)
        if session.get(NEXT_ORDER_KEY, 0) >= order:
            message.channel_session = session
            return session.get(NEXT_ORDER_KEY, 0)
    return expected
