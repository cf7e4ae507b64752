"""The 1.x test helpers: test cases on the in-memory layer, the clients that run
consumers as a worker would, apply_routes; and a 1.x app's own tests, as it wrote
them, running without Redis."""

import importlib
import io
import json
import sys
import unittest
from unittest import mock

import pytest
from channels.layers import channel_layers, get_channel_layer
from django.contrib.auth.models import User
from django.test import override_settings

from channels1 import Channel, Group, route
from channels1.auth import channel_session_user_from_http, http_session_user
from channels1.exceptions import WebsocketCloseException
from channels1.inmemory import ChannelLayer
from channels1.routing import include
from channels1.sessions import channel_session, session_for_reply_channel
from channels1.signals import consumer_finished, consumer_started
from channels1.test import (
    ChannelTestCase,
    Client,
    HttpClient,
    TransactionChannelTestCase,
    WSClient,
    apply_routes,
)

from . import legacy_chat

# What a 1.x project's test settings had: sessions in the database, no Redis.
WITHOUT_REDIS = {
    "SESSION_ENGINE": "django.contrib.sessions.backends.db",
    "CHANNEL_SESSION_ENGINE": None,
    "CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    "CHANNEL_ROUTING": [],
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
}


# ... and a 1.x project's settings, with its routing in the layer's settings.
LEGACY_SETTINGS = {
    **WITHOUT_REDIS,
    "CHANNEL_LAYERS": {
        "default": {
            "BACKEND": "asgiref.inmemory.ChannelLayer",
            "ROUTING": "tests.channels1.legacy_chat.channel_routing",
        },
    },
}


def echo(message, **kwargs):
    message.reply_channel.send({"text": message.content.get("text", "")})
    return message.content


def accept(message, **kwargs):
    message.reply_channel.send({"accept": True})
    return message.content


@override_settings(**WITHOUT_REDIS)
class ChannelTestCaseTests(ChannelTestCase):
    test_channel_aliases = ["default", "other"]

    def test_channels_and_groups_send_to_the_in_memory_layer(self):
        self.assertIsInstance(get_channel_layer(), ChannelLayer)
        Channel("thumbnails").send({"id": 1})
        self.assertEqual(self.get_next_message("thumbnails", require=True).content, {"id": 1})

    def test_each_alias_gets_a_layer_of_its_own(self):
        Channel("thumbnails", alias="other").send({"id": 2})
        self.assertIsNone(self.get_next_message("thumbnails"))
        self.assertEqual(self.get_next_message("thumbnails", alias="other")["id"], 2)

    def test_get_next_message_with_require_fails_the_test_without_a_message(self):
        with self.assertRaisesRegex(AssertionError, "Expected a message on channel nothing"):
            self.get_next_message("nothing", require=True)


def test_a_channel_test_case_puts_the_old_layer_back_afterwards(django_db_setup, django_db_blocker):
    before = ChannelLayer()
    old = channel_layers.set("default", before)
    seen = []

    @override_settings(**WITHOUT_REDIS)
    class Swapped(ChannelTestCase):
        def test_layer(self):
            seen.append(get_channel_layer())

    try:
        with django_db_blocker.unblock():
            result = unittest.TextTestRunner(stream=io.StringIO()).run(
                unittest.defaultTestLoader.loadTestsFromTestCase(Swapped)
            )
        assert result.wasSuccessful()
        assert seen[0] is not before and isinstance(seen[0], ChannelLayer)
        assert get_channel_layer() is before
    finally:
        channel_layers.set("default", old)


@override_settings(**{**WITHOUT_REDIS, "CHANNEL_ROUTING": "tests.channels1.test_test.settings_routing"})
class RoutingFromSettingsTests(ChannelTestCase):
    def test_the_routing_named_by_channel_routing_is_used(self):
        self.assertIs(Client().get_consumer_by_channel("websocket.receive"), echo)


@override_settings(**LEGACY_SETTINGS)
class RoutingFromLayerSettingsTests(ChannelTestCase):
    def test_a_copy_of_the_routing_in_the_layer_settings_is_used_as_in_1x(self):
        routing = get_channel_layer().routing
        self.assertEqual(routing, legacy_chat.channel_routing)
        self.assertIsNot(routing, legacy_chat.channel_routing)


settings_routing = [route("websocket.receive", echo)]


@override_settings(**WITHOUT_REDIS)
class ClientTests(ChannelTestCase):
    def test_consume_runs_the_routed_consumer_and_returns_what_it_returned(self):
        client = Client()
        with apply_routes([route("thumbnails", echo)]):
            result = client.send_and_consume("thumbnails", {"text": "x"})
        self.assertEqual(result, {"text": "x", "reply_channel": client.reply_channel})
        self.assertEqual(client.receive(), {"text": "x"})
        self.assertIsNone(client.receive())

    def test_a_consumers_sends_wait_until_it_returned_even_if_it_raised(self):
        client = Client()
        layer = get_channel_layer()

        def consumer(message):
            message.reply_channel.send({"text": "held"})
            Group("room").send({"text": "held too"})
            self.assertEqual(layer.receive([client.reply_channel]), (None, None))
            raise KeyError("broken")

        client.join_group("room")
        with apply_routes(route("work", consumer)), self.assertRaises(KeyError):
            client.send_and_consume("work")
        self.assertEqual(client.receive(), {"text": "held"})
        self.assertEqual(client.receive(), {"text": "held too"})

    def test_a_channel_socket_exception_answers_the_socket(self):
        def consumer(message):
            raise WebsocketCloseException(4000)

        client = Client()
        with apply_routes(route("websocket.receive", consumer)):
            client.send_and_consume("websocket.receive")
        self.assertEqual(client.receive(), {"close": 4000})

    def test_async_consumers_run_with_their_sends_held(self):
        async def consumer(message):
            await message.reply_channel.asend({"text": "async"})
            return "done"

        client = Client()
        with apply_routes(route("work", consumer)):
            self.assertEqual(client.send_and_consume("work"), "done")
        self.assertEqual(client.receive(), {"text": "async"})

    def test_consumers_leave_the_tests_database_connection_open(self):
        with mock.patch("channels1.signals.close_old_connections") as close_old_connections:
            with apply_routes(route("work", echo)):
                Client().send_and_consume("work")
        close_old_connections.assert_not_called()

    def test_consumer_signals_fire_and_the_tests_database_stays_usable(self):
        fired = []

        def started(**kwargs):
            fired.append("started")

        def finished(**kwargs):
            fired.append("finished")

        def consumer(message):
            fired.append("consumer")
            User.objects.create_user("made-in-consumer")

        consumer_started.connect(started)
        consumer_finished.connect(finished)
        try:
            with apply_routes(route("work", consumer)):
                Client().send_and_consume("work")
        finally:
            consumer_started.disconnect(started)
            consumer_finished.disconnect(finished)
        self.assertEqual(fired, ["started", "consumer", "finished"])
        self.assertTrue(User.objects.filter(username="made-in-consumer").exists())

    def test_a_consumer_can_use_the_sync_1x_api_of_message_channel_layer(self):
        def consumer(message):
            message.channel_layer.group_add("room", message.reply_channel.name)
            message.channel_layer.send_group("room", {"text": "to the room"})

        client = Client()
        with apply_routes(route("work", consumer)):
            client.send_and_consume("work")
        self.assertEqual(client.receive(), {"text": "to the room"})

    def test_consume_fails_without_a_message_or_a_route(self):
        client = Client()
        with self.assertRaisesRegex(AssertionError, "No message for channel work"):
            client.consume("work")
        self.assertIsNone(client.consume("work", fail_on_none=False))
        client.send("unrouted", {"n": 1})
        with self.assertRaisesRegex(AssertionError, "Can't find consumer"):
            client.consume("unrouted")

    def test_get_consumer_by_channel_names_the_routed_consumer(self):
        with apply_routes([route("websocket.receive", echo), route("websocket.connect", accept)]):
            self.assertIs(Client().get_consumer_by_channel("websocket.connect"), accept)
            self.assertIsNone(Client().get_consumer_by_channel("thumbnails"))

    def test_each_client_has_a_reply_channel_of_its_own_on_its_alias(self):
        first, second = Client(), Client()
        self.assertTrue(first.reply_channel.startswith("default"))
        self.assertNotEqual(first.reply_channel, second.reply_channel)


@override_settings(**WITHOUT_REDIS)
class WSClientTests(ChannelTestCase):
    def test_the_path_keeps_its_query_string_for_connect_only(self):
        client = WSClient()
        with apply_routes([route("websocket.connect", accept), route("websocket.receive", echo)]):
            connect = client.send_and_consume("websocket.connect", path="/chat/?room=lobby")
            receive = client.send_and_consume("websocket.receive", path="/chat/?room=lobby")
        self.assertEqual((connect["path"], connect["query_string"]), ("/chat/", "room=lobby"))
        self.assertEqual(receive["path"], "/chat/")
        self.assertNotIn("query_string", receive)

    def test_headers_carry_cookies_and_the_session_cookie_until_the_first_send(self):
        client = WSClient()
        client.set_header("user-agent", "tests")
        client.set_cookie("theme", "dark")
        self.assertEqual(
            client.get_cookies(), {"theme": "dark", "sessionid": client.session.session_key}
        )
        with apply_routes(route("websocket.receive", echo)):
            first = client.send_and_consume("websocket.receive")
            second = client.send_and_consume("websocket.receive")
        self.assertEqual(
            dict(first["headers"]),
            {b"user-agent": b"tests", b"cookie": f"theme=dark; sessionid={client.session.session_key}".encode()},
        )
        self.assertEqual(dict(second["headers"])[b"cookie"], b"theme=dark")
        with self.assertRaisesRegex(ValueError, "set_cookie"):
            client.set_header("cookie", "a=b")

    def test_the_session_is_the_channel_session_of_the_reply_channel(self):
        client = WSClient()
        self.assertEqual(client.session.session_key, session_for_reply_channel(client.reply_channel).session_key)

        @channel_session
        def consumer(message):
            return message.channel_session.session_key

        with apply_routes(route("websocket.receive", consumer)):
            self.assertEqual(client.send_and_consume("websocket.receive"), client.session.session_key)

    def test_text_that_is_not_a_string_goes_as_json_and_comes_back_decoded(self):
        client = WSClient()
        with apply_routes(route("websocket.receive", echo)):
            sent = client.send_and_consume("websocket.receive", text={"n": [1, 2]})
            client.send_and_consume("websocket.receive", text="plain")
        self.assertEqual(json.loads(sent["text"]), {"n": [1, 2]})
        self.assertEqual(client.receive(), {"n": [1, 2]})
        self.assertEqual(client.receive(json=False), "plain")

    def test_an_ordered_client_numbers_its_messages(self):
        client = WSClient(ordered=True)
        with apply_routes(route("websocket.receive", echo)):
            orders = [client.send_and_consume("websocket.receive")["order"] for _ in range(3)]
            with self.assertRaisesRegex(ValueError, "order"):
                client.send("websocket.receive", {"order": 7})
        self.assertEqual(orders, [0, 1, 2])

    def test_send_and_consume_checks_that_a_connect_was_accepted(self):
        def reject(message):
            message.reply_channel.send({"close": True})

        client = WSClient()
        with apply_routes(route("websocket.connect", reject)):
            with self.assertRaisesRegex(AssertionError, "Connection rejected"):
                client.send_and_consume("websocket.connect")
            client.send_and_consume("websocket.connect", check_accept=False)
        self.assertEqual(client.receive(json=False), {"close": True})

    def test_login_and_force_login_log_the_sockets_user_in(self):
        User.objects.create_user("ada", password="secret")

        @http_session_user
        def whoami(message):
            return message.user.username

        with apply_routes(route("websocket.connect", whoami)):
            anonymous = WSClient()
            self.assertFalse(anonymous.login(username="ada", password="wrong"))
            self.assertEqual(anonymous.send_and_consume("websocket.connect", check_accept=False), "")
            by_password = WSClient()
            self.assertTrue(by_password.login(username="ada", password="secret"))
            self.assertEqual(by_password.send_and_consume("websocket.connect", check_accept=False), "ada")
            forced = WSClient()
            forced.force_login(User.objects.get(username="ada"))
            self.assertEqual(forced.send_and_consume("websocket.connect", check_accept=False), "ada")

    def test_http_client_is_the_old_name_and_warns(self):
        with self.assertWarnsRegex(DeprecationWarning, "WSClient"):
            client = HttpClient(ordered=True)
        self.assertIsInstance(client, WSClient)


@override_settings(**WITHOUT_REDIS)
class ApplyRoutesTests(ChannelTestCase):
    def test_as_a_context_manager_the_routing_comes_back_after(self):
        layer = get_channel_layer()
        before = layer.routing
        with apply_routes(route("work", echo)):
            self.assertIs(Client().get_consumer_by_channel("work"), echo)
        self.assertIs(layer.routing, before)
        self.assertIsNone(Client().get_consumer_by_channel("work"))

    @apply_routes([route("work", echo)])
    def test_as_a_function_decorator(self):
        self.assertIs(Client().get_consumer_by_channel("work"), echo)

    def test_a_list_of_lists_becomes_includes(self):
        with apply_routes([[route("one", echo)], [route("two", accept)]]):
            routing = get_channel_layer().routing
            self.assertEqual([type(entry) for entry in routing], [include, include])
            self.assertIs(Client().get_consumer_by_channel("two"), accept)


@override_settings(**WITHOUT_REDIS)
@apply_routes(route("work", accept))
class ApplyRoutesOnAClassTests(ChannelTestCase):
    def test_every_test_of_the_class_is_routed(self):
        self.assertIs(Client().get_consumer_by_channel("work"), accept)


@override_settings(**WITHOUT_REDIS)
class TransactionChannelTestCaseTests(TransactionChannelTestCase):
    def test_consumers_run_on_the_in_memory_layer(self):
        client = WSClient()
        with apply_routes(route("websocket.connect", accept)):
            client.send_and_consume("websocket.connect")
        self.assertIsInstance(get_channel_layer(), ChannelLayer)


def test_the_old_module_name_warns_and_offers_the_same_helpers():
    sys.modules.pop("channels1.tests", None)
    with pytest.warns(DeprecationWarning, match="channels1.tests is deprecated"):
        tests_module = importlib.import_module("channels1.tests")
    assert tests_module.WSClient is WSClient and tests_module.apply_routes is apply_routes


# A 1.x app's own tests, as it wrote them (its imports aside): no Redis anywhere.

@override_settings(**LEGACY_SETTINGS)
class ChatTests(ChannelTestCase):

    def setUp(self):
        self.alice = User.objects.create_user(username="alice", password="pass")
        self.bob = User.objects.create_user(username="bob", password="pass")

    def connect(self, user, room):
        client = WSClient(ordered=True)
        client.force_login(user)
        client.send_and_consume("websocket.connect", path="/chat/%s/" % room)
        return client

    def test_members_of_a_room_hear_each_other(self):
        alice = self.connect(self.alice, "lobby")
        bob = WSClient(ordered=True)
        self.assertTrue(bob.login(username="bob", password="pass"))
        bob.send_and_consume("websocket.connect", path="/chat/lobby/")

        alice.send_and_consume("websocket.receive", text={"text": "hello"}, path="/chat/lobby/")

        self.assertEqual(bob.receive(), {"user": "alice", "text": "hello"})
        self.assertEqual(alice.receive(), {"user": "alice", "text": "hello"})
        self.assertIsNone(bob.receive())

    def test_rooms_are_apart(self):
        alice = self.connect(self.alice, "lobby")
        bob = self.connect(self.bob, "garden")

        alice.send_and_consume("websocket.receive", text={"text": "hello"}, path="/chat/lobby/")

        self.assertIsNone(bob.receive())

    def test_anonymous_sockets_are_closed(self):
        client = WSClient()
        client.send_and_consume("websocket.connect", {"order": 0}, path="/chat/lobby/", check_accept=False)
        self.assertEqual(client.receive(json=False), {"close": True})

    def test_a_socket_that_left_hears_no_more(self):
        alice = self.connect(self.alice, "lobby")
        bob = self.connect(self.bob, "lobby")
        bob.send_and_consume("websocket.disconnect", {"code": 1000}, path="/chat/lobby/")

        alice.send_and_consume("websocket.receive", text={"text": "anyone?"}, path="/chat/lobby/")

        self.assertIsNone(bob.receive())

    def test_frames_that_arrive_early_wait_for_their_turn(self):
        alice = WSClient()
        alice.force_login(self.alice)
        alice.send_and_consume("websocket.connect", {"order": 0}, path="/chat/lobby/")
        alice.send("websocket.receive", {"order": 2}, text={"text": "second"}, path="/chat/lobby/")
        alice.send("websocket.receive", {"order": 1}, text={"text": "first"}, path="/chat/lobby/")

        alice.consume("websocket.receive")
        self.assertIsNone(alice.receive())
        alice.consume("websocket.receive")
        alice.consume("websocket.receive")

        self.assertEqual(alice.receive()["text"], "first")
        self.assertEqual(alice.receive()["text"], "second")
