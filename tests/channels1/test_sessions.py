"""Channel and HTTP sessions for consumers, on the project's engines: the channel
session in Redis through Django's cache, the HTTP session in cached_db."""

import logging
import random
import threading

import pytest

from channels1 import Message
from channels1._ordering import CHECKS_CHANNEL, settle
from channels1.auth import SocketAuthError
from channels1.inmemory import ChannelLayer
from channels1.layer import RedisChannelLayer
from channels1.sessions import (
    channel_and_http_session,
    channel_session,
    enforce_ordering,
    http_session,
    session_for_reply_channel,
    wait_channel_name,
)


@pytest.fixture
def sessions(settings, cache_settings):
    """The project's session engines, their cache on the test Redis."""
    assert settings.SESSION_ENGINE == "channels1.session_store"
    assert settings.CHANNEL_SESSION_ENGINE == "django.contrib.sessions.backends.cache"
    return settings


def message(channel="websocket.receive", reply_channel="daphne.response.abc!def", **content):
    return Message({"reply_channel": reply_channel, "path": "/ws/", **content}, channel, channel_layer=None)


def test_a_connection_always_gets_the_same_channel_session(sessions):
    first = session_for_reply_channel("daphne.response.a!b")
    assert first.session_key == session_for_reply_channel("daphne.response.a!b").session_key
    assert first.session_key.startswith("chn") and len(first.session_key) == 32
    assert first.session_key != session_for_reply_channel("daphne.response.a!c").session_key


def test_signed_cookie_sessions_cannot_hold_channel_sessions(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    settings.CHANNEL_SESSION_ENGINE = None
    with pytest.raises(ValueError, match="signed cookie"):
        session_for_reply_channel("daphne.response.a!b")


def test_channel_session_values_last_from_one_message_to_the_next(sessions):
    @channel_session
    def connect(message):
        message.channel_session["room"] = "lobby"

    @channel_session
    def receive(message):
        return message.channel_session["room"]

    connect(message("websocket.connect"))
    assert receive(message()) == "lobby"
    assert "room" not in session_for_reply_channel("daphne.response.other!one")


def test_channel_session_is_saved_even_when_the_consumer_raised(sessions):
    @channel_session
    def broken(message):
        message.channel_session["seen"] = True
        raise RuntimeError("broken")

    with pytest.raises(RuntimeError):
        broken(message(reply_channel="daphne.response.x!raised"))
    assert session_for_reply_channel("daphne.response.x!raised")["seen"] is True


def test_channel_session_works_on_methods_and_needs_a_message(sessions):
    class Consumer:
        @channel_session
        def handle(self, message):
            return message.channel_session.session_key

    assert Consumer().handle(message()).startswith("chn")
    with pytest.raises(ValueError, match="without Message"):
        channel_session(lambda text: None)("not a message")


def test_channel_session_needs_a_reply_channel(sessions):
    with pytest.raises(ValueError, match="reply_channel"):
        channel_session(lambda message: None)(Message({}, "thumbnails", None))


def test_channel_session_is_reentrant(sessions):
    @channel_session
    @channel_session
    def twice(message):
        message.channel_session["n"] = 1
        return message.channel_session

    session = twice(message(reply_channel="daphne.response.x!twice"))
    assert session_for_reply_channel("daphne.response.x!twice")["n"] == 1
    assert session.session_key == session_for_reply_channel("daphne.response.x!twice").session_key


@pytest.mark.django_db
def test_http_session_comes_from_the_cookie(sessions, client, django_user_model):
    client.force_login(django_user_model.objects.create_user("ann"))
    key = client.cookies[sessions.SESSION_COOKIE_NAME].value
    cookie = f"other=1; {sessions.SESSION_COOKIE_NAME}={key}".encode()
    seen = http_session(lambda m: m.http_session)(message("websocket.connect", headers=[[b"cookie", cookie]]))
    assert seen.session_key == key and "_auth_user_id" in seen


@pytest.mark.django_db
def test_a_session_key_in_the_query_comes_first_when_the_legacy_setting_is_on(sessions, client, django_user_model):
    sessions.CHANNELS1_SESSION_KEY_IN_QUERY = True
    client.force_login(django_user_model.objects.create_user("ann"))
    key = client.cookies[sessions.SESSION_COOKIE_NAME].value
    seen = http_session(lambda m: m.http_session)(message(
        "websocket.connect",
        query_string=f"session_key={key}".encode(),
        headers=[[b"cookie", f"{sessions.SESSION_COOKIE_NAME}=stale".encode()]],
    ))
    assert seen.session_key == key


@pytest.mark.django_db
def test_a_session_key_in_the_query_is_ignored_with_a_warning_by_default(sessions, client, django_user_model, caplog):
    client.force_login(django_user_model.objects.create_user("ann"))
    key = client.cookies[sessions.SESSION_COOKIE_NAME].value
    query = f"session_key={key}".encode()
    assert http_session(lambda m: m.http_session)(message("websocket.connect", query_string=query)) is None
    cookie = [[b"cookie", f"{sessions.SESSION_COOKIE_NAME}=from-cookie".encode()]]
    seen = http_session(lambda m: m.http_session)(message("websocket.connect", query_string=query, headers=cookie))
    assert seen.session_key == "from-cookie"
    assert "CHANNELS1_SESSION_KEY_IN_QUERY" in caplog.text


def test_http_session_is_none_without_cookie_or_key(sessions):
    assert http_session(lambda m: m.http_session)(message("websocket.connect", headers=[])) is None


def test_a_bad_token_ends_the_socket_with_4401(sessions):
    with pytest.raises(SocketAuthError) as failed:
        http_session(lambda m: None)(message("websocket.connect", query_string=b"token=forged"))
    assert failed.value.code == 4401


@pytest.mark.django_db
def test_channel_and_http_session_keeps_the_http_session_for_later_messages(sessions, client, django_user_model):
    client.force_login(django_user_model.objects.create_user("ann"))
    key = client.cookies[sessions.SESSION_COOKIE_NAME].value
    consumer = channel_and_http_session(lambda m: m.http_session and m.http_session.session_key)
    reply = "daphne.response.x!both"
    cookie = [[b"cookie", f"{sessions.SESSION_COOKIE_NAME}={key}".encode()]]
    assert consumer(message("websocket.connect", reply_channel=reply, headers=cookie)) == key
    assert consumer(message("websocket.receive", reply_channel=reply)) == key


def test_wait_channels_are_named_as_in_1x_and_valid_on_the_layer():
    name = wait_channel_name("daphne.response.ab!cd")
    assert name == "__wait__.daphne.response.ab?cd"
    assert RedisChannelLayer().require_valid_channel_name(name)


@pytest.mark.parametrize("engine", ["db", "cache", "cached_db"])
def test_a_channel_session_written_before_it_was_saved_keeps_its_key(settings, cache_settings, db, engine):
    settings.CHANNEL_SESSION_ENGINE = f"django.contrib.sessions.backends.{engine}"
    session = session_for_reply_channel("daphne.response.new!socket")
    key = session.session_key
    session["room"] = "lobby"
    session.save()
    assert session.session_key == key
    assert session_for_reply_channel("daphne.response.new!socket")["room"] == "lobby"


def test_http_session_reads_1x_dict_headers(sessions, client, django_user_model):
    client.force_login(django_user_model.objects.create_user("dora"))
    key = client.cookies[sessions.SESSION_COOKIE_NAME].value
    consumer = http_session(lambda m: m.http_session and m.http_session.session_key)
    headers = {"cookie": f"{sessions.SESSION_COOKIE_NAME}={key}", "host": "example.com"}
    assert consumer(message("websocket.connect", headers=headers)) == key


@pytest.mark.django_db
def test_a_channel_session_reads_as_the_engines_own_session(settings):
    from django.contrib.sessions.backends.db import SessionStore

    settings.CHANNEL_SESSION_ENGINE = "django.contrib.sessions.backends.db"
    session = session_for_reply_channel("daphne.response.salt!check")
    session["room"] = "lobby"
    session.save()
    assert SessionStore(session_key=session.session_key).get("room") == "lobby"


@pytest.fixture
def parking(sessions):
    """Early messages are parked at once, without waiting a moment for their turn."""
    sessions.CHANNELS1_ORDER_TURN_WAIT = 0
    return sessions


class OrderedSocket:
    """One socket's messages on the in-memory layer, run one at a time by an ordered
    consumer that notes each order it ran, as workers taking them would. The orders
    in ``gated`` wait for ``gate`` before they are noted."""

    def __init__(self, reply_channel, gated=()):
        self.layer = ChannelLayer(capacity=100)
        self.reply_channel = reply_channel
        self.ran = []
        self.gate = threading.Event()

        @enforce_ordering
        def consumer(message):
            if message["order"] in gated:
                self.gate.wait(10)
            self.ran.append(message["order"])

        self.consumer = consumer

    def send(self, *orders):
        for order in orders:
            self.layer.send("websocket.receive", {"reply_channel": self.reply_channel, "path": "/", "order": order})

    def run(self):
        while True:
            channel, content = self.layer.receive(["websocket.receive"])
            if channel is None:
                return self.ran
            self.consumer(Message(content, channel, self.layer))

    def waiting(self, channel):
        """The orders waiting on ``channel``, taken off it."""
        orders = []
        while True:
            name, content = self.layer.receive([channel])
            if name is None:
                return orders
            orders.append(content.get("order", content.get("waits_for")))

    def settle(self, waits_for):
        return settle(self.layer, self.reply_channel, session_for_reply_channel(self.reply_channel), waits_for)


def test_enforce_ordering_runs_a_sockets_messages_in_order_whatever_order_they_come_in(parking):
    socket = OrderedSocket("daphne.response.o!shuffled")
    orders = list(range(12))
    random.Random(5).shuffle(orders)
    socket.send(*orders)
    assert socket.run() == list(range(12))


def test_an_early_message_waits_on_the_sockets_wait_channel(parking):
    socket = OrderedSocket("daphne.response.o!early")
    socket.send(0, 2)
    assert socket.run() == [0]
    channel, waiting = socket.layer.receive([wait_channel_name(socket.reply_channel)])
    assert waiting["order"] == 2 and waiting["original_channel"] == "websocket.receive"


def test_an_early_message_waits_a_moment_for_its_turn_rather_than_being_parked(sessions):
    sessions.CHANNELS1_ORDER_TURN_WAIT = 10
    socket = OrderedSocket("daphne.response.o!moment", gated=[1])
    socket.send(0)
    socket.run()
    first, second = (Message({"reply_channel": socket.reply_channel, "order": order}, "websocket.receive",
                             socket.layer) for order in (1, 2))
    running = [threading.Thread(target=socket.consumer, args=(message,)) for message in (first, second)]
    for thread in running:
        thread.start()
    socket.gate.set()
    for thread in running:
        thread.join(10)
    assert socket.ran == [0, 1, 2]
    assert not hasattr(second, "parked")
    assert socket.waiting(wait_channel_name(socket.reply_channel)) == []


def test_messages_waiting_for_a_turn_run_right_after_it_where_it_ran(parking):
    socket = OrderedSocket("daphne.response.o!in-place")
    socket.send(0, 4, 2, 3)
    assert socket.run() == [0]
    socket.consumer(Message({"reply_channel": socket.reply_channel, "order": 1}, "websocket.receive", socket.layer))
    assert socket.ran == [0, 1, 2, 3, 4]
    assert socket.waiting("websocket.receive") == []
    assert socket.waiting(wait_channel_name(socket.reply_channel)) == []


def test_a_waiting_message_of_another_channel_goes_back_to_it_when_its_turn_comes(parking):
    socket = OrderedSocket("daphne.response.o!leaving")
    socket.send(0)
    socket.run()
    disconnect = Message({"reply_channel": socket.reply_channel, "order": 2}, "websocket.disconnect", socket.layer)
    socket.consumer(disconnect)
    assert disconnect.parked
    socket.send(1)
    assert socket.run() == [0, 1]
    assert socket.waiting("websocket.disconnect") == [2]


def test_enforce_ordering_needs_an_order_and_refuses_slight_ordering(parking):
    socket = OrderedSocket("daphne.response.o!unordered")
    with pytest.raises(ValueError, match="No 'order' in the message on websocket.receive"):
        socket.consumer(Message({"reply_channel": socket.reply_channel}, "websocket.receive", socket.layer))
    with pytest.raises(ValueError, match="remove slight=True"):
        enforce_ordering(slight=True)


def test_a_redelivered_message_that_already_ran_is_skipped(parking):
    socket = OrderedSocket("daphne.response.o!again")
    socket.send(0, 1, 1, 0)
    assert socket.run() == [0, 1]


def test_a_gap_that_never_fills_is_given_up_with_a_warning_and_the_waiting_messages_run_in_order(
        parking, caplog):
    socket = OrderedSocket("daphne.response.o!gap")
    socket.send(0, 4, 3, 6)
    assert socket.run() == [0]
    with caplog.at_level(logging.WARNING, logger="channels1.sessions"):
        assert socket.settle(waits_for=1) == 1  # order 3: the others follow it
    assert socket.run() == [0, 3, 4]
    assert "Socket daphne.response.o!gap: orders 1-2 did not come within 10.0 s" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="channels1.sessions"):
        assert socket.settle(waits_for=5) == 1
    assert socket.run() == [0, 3, 4, 6]
    assert "Socket daphne.response.o!gap: order 5 did not come" in caplog.text


def test_an_order_given_up_on_still_runs_when_it_comes_late_but_only_once(parking, caplog):
    socket = OrderedSocket("daphne.response.o!late")
    socket.send(0, 2)
    socket.run()
    socket.settle(waits_for=1)
    assert socket.run() == [0, 2]
    with caplog.at_level(logging.WARNING, logger="channels1.sessions"):
        socket.send(1, 1, 3)
        assert socket.run() == [0, 2, 1, 3]
    assert "Ran websocket.receive order 1 of daphne.response.o!late late" in caplog.text


def test_a_socket_that_moved_on_since_its_message_was_parked_gives_up_nothing(parking, caplog):
    socket = OrderedSocket("daphne.response.o!moved-on")
    socket.send(0, 3)
    socket.run()
    socket.send(1)
    socket.run()  # order 1 ran, order 3 was parked at order 1 and waits for 2 now
    with caplog.at_level(logging.WARNING, logger="channels1.sessions"):
        assert socket.settle(waits_for=1) == 0
        assert socket.run() == [0, 1]
    assert caplog.text == ""
    # Order 3 waits on under a check of the socket's progress now.
    assert socket.waiting(CHECKS_CHANNEL)[-1] == 2
    socket.send(2)
    assert socket.run() == [0, 1, 2, 3]


def test_settling_a_socket_with_nothing_waiting_changes_nothing(parking, caplog):
    socket = OrderedSocket("daphne.response.o!caught-up")
    socket.send(0, 1)
    socket.run()
    assert socket.settle(waits_for=2) == 0  # nothing waits
    with caplog.at_level(logging.WARNING, logger="channels1.sessions"):
        socket.send(3, 2)
        assert socket.run() == [0, 1, 2, 3]
    assert caplog.text == ""
