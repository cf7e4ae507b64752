"""BaseConsumer: routed with route_class or as_route, created per message, runs the
method mapped to the channel with the session decorators its flags ask for."""

import importlib

import pytest
from django.contrib.auth.models import User
from django.test import override_settings

from channels1 import route_class
from channels1.auth import transfer_user
from channels1.generic import BaseConsumer
from channels1.sessions import session_for_reply_channel
from channels1.test import ChannelTestCase, WSClient, apply_routes

from ..test_test import WITHOUT_REDIS


class Recorder(BaseConsumer):
    """Replies with what it saw: the method that ran, the kwargs and its session state."""

    method_mapping = {"websocket.connect": "connect", "websocket.receive": "receive"}

    def connect(self, message, **kwargs):
        message.reply_channel.send({"accept": True})

    def receive(self, message, **kwargs):
        message.reply_channel.send({"text": self.describe(message, kwargs)})

    def describe(self, message, kwargs):
        user = getattr(message, "user", None)
        return "|".join([
            f"kwargs={sorted(kwargs.items())}",
            f"same={self.message is message and self.kwargs == kwargs}",
            f"session={hasattr(message, 'channel_session')}",
            f"user={user.username if user is not None else None}",
            f"flag={getattr(self, 'flag', None)}",
        ])


def test_channel_names_are_the_keys_of_method_mapping():
    assert Recorder.channel_names() == {"websocket.connect", "websocket.receive"}
    assert route_class(Recorder).channel_names() == {"websocket.connect", "websocket.receive"}


def test_route_class_error_names_a_base_consumer_that_can_be_imported():
    with pytest.raises(ValueError) as error:
        route_class(object)
    assert "subclass BaseConsumer (from channels.generic, or channels1.generic)" in str(error.value)
    for module in ("channels.generic", "channels1.generic"):
        assert importlib.import_module(module).BaseConsumer is BaseConsumer


def test_as_route_with_attrs_routes_a_subclass_and_leaves_the_class_alone():
    found = Recorder.as_route(attrs={"flag": "on"}, path=r"^/x/$")
    assert found.consumer is not Recorder and issubclass(found.consumer, Recorder)
    assert found.consumer.flag == "on" and not hasattr(Recorder, "flag")
    assert Recorder.as_route().consumer is Recorder
    with pytest.raises(ValueError, match="attrs as a dict"):
        Recorder.as_route(attrs=[("flag", "on")])


@override_settings(**WITHOUT_REDIS)
class BaseConsumerTests(ChannelTestCase):
    def test_creating_the_consumer_runs_the_mapped_method_with_the_route_kwargs(self):
        with apply_routes([Recorder.as_route(attrs={"flag": "on"}, path=r"^/room/(?P<room>\w+)/$")]):
            client = WSClient()
            client.send_and_consume("websocket.connect", path="/room/lobby/")
            client.send_and_consume("websocket.receive", text="hi", path="/room/lobby/")
            self.assertEqual(client.receive(json=False),
                             "kwargs=[('room', 'lobby')]|same=True|session=False|user=None|flag=on")

    def test_channel_session_flag_gives_the_handler_a_channel_session(self):
        with apply_routes([Recorder.as_route(attrs={"channel_session": True})]):
            client = WSClient()
            client.send_and_consume("websocket.receive", text="hi")
            self.assertIn("session=True|user=None", client.receive(json=False))

    def test_channel_session_user_flag_gives_the_handler_the_user(self):
        with apply_routes([Recorder.as_route(attrs={"channel_session_user": True, "channel_session": True})]):
            client = WSClient()
            client.force_login(User.objects.create_user("ada"))
            socket_session = session_for_reply_channel(client.reply_channel)
            socket_session.save(must_create=True)
            transfer_user(client.session, socket_session)  # what connect does with http_user
            socket_session.save()
            client.send_and_consume("websocket.receive", text="hi")
            self.assertIn("session=True|user=ada", client.receive(json=False))

    def test_a_message_on_an_unmapped_channel_is_a_clear_error(self):
        client = WSClient()
        client.send("websocket.disconnect")
        message = self.get_next_message("websocket.disconnect", require=True)
        with self.assertRaisesRegex(ValueError, "got a message on websocket.disconnect, which its method_mapping"):
            Recorder(message)
