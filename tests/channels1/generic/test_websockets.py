"""The WebSocket generic consumers on the in-memory layer: WebsocketConsumer's hooks,
groups, users and ordering; JsonWebsocketConsumer; the multiplexer's frames and the
demultiplexer's streams, bad frames and refused sends."""

import datetime
import decimal
import json

from django.contrib.auth.models import User
from django.test import override_settings

from channels1 import Group, route_class
from channels1.exceptions import SendNotAvailableOnDemultiplexer
from channels1.generic.websockets import (
    JsonWebsocketConsumer,
    WebsocketConsumer,
    WebsocketDemultiplexer,
    WebsocketMultiplexer,
)
from channels1.test import ChannelTestCase, Client, WSClient, apply_routes

from ..test_test import WITHOUT_REDIS


class Echo(WebsocketConsumer):
    groups = ["echoes"]

    def receive(self, text=None, bytes=None, **kwargs):
        if text == "close":
            self.close(status=4000)
        elif text is not None:
            self.send(text=f"{text} at {self.path} {sorted(kwargs.items())}")
        else:
            self.send(bytes=bytes[::-1], close=True)

    def disconnect(self, message, **kwargs):
        Group("goodbyes").send({"text": message.reply_channel.name})


class WhoAmI(WebsocketConsumer):
    http_user = True

    def connect(self, message, **kwargs):
        self.send(text=f"hello {message.user.username}")

    def receive(self, text=None, **kwargs):
        self.send(text=f"{text} from {self.message.user.username}")


class Ordered(WebsocketConsumer):
    strict_ordering = True

    def receive(self, text=None, **kwargs):
        self.send(text=text)


class JsonEcho(JsonWebsocketConsumer):
    def receive(self, content, **kwargs):
        self.send({"got": content})
        JsonEcho.group_send("echoes", {"to": "all"})


class Streamed(JsonWebsocketConsumer):
    """A stream's consumer: answers through the multiplexer it is given."""

    def connect(self, message, multiplexer, **kwargs):
        multiplexer.send({"joined": multiplexer.stream})

    def receive(self, content, multiplexer, **kwargs):
        multiplexer.send({"echo": content, "kwargs": sorted(kwargs)})

    def disconnect(self, message, multiplexer, **kwargs):
        WebsocketMultiplexer.group_send("left", multiplexer.stream, {"left": message.reply_channel.name})


class SendsUnframed(JsonWebsocketConsumer):
    def receive(self, content, **kwargs):
        self.send(content)


class Demultiplexer(WebsocketDemultiplexer):
    consumers = {"one": Streamed, "two": Streamed, "raw": SendsUnframed}


def frame(stream, payload):
    return json.dumps({"stream": stream, "payload": payload})


@override_settings(**WITHOUT_REDIS)
class WebsocketConsumerTests(ChannelTestCase):
    def test_connect_joins_the_groups_and_accepts(self):
        with apply_routes([route_class(Echo)]):
            client = WSClient()
            client.send_and_consume("websocket.connect", path="/echo/")
            Group("echoes").send({"text": "to the group"})
            self.assertEqual(client.receive(json=False), "to the group")

    def test_frames_reach_receive_and_send_answers_text_bytes_and_close(self):
        with apply_routes([route_class(Echo, path=r"^/echo/(?P<name>\w+)/$")]):
            client = WSClient()
            client.send_and_consume("websocket.receive", text="hi", path="/echo/ada/")
            self.assertEqual(client.receive(json=False), "hi at /echo/ada/ [('name', 'ada')]")
            client.send_and_consume("websocket.receive", {"bytes": b"abc"}, path="/echo/ada/")
            self.assertEqual(client.receive(), {"bytes": b"cba", "close": True})
            client.send_and_consume("websocket.receive", text="close", path="/echo/ada/")
            self.assertEqual(client.receive(), {"close": 4000})

    def test_disconnect_leaves_the_groups_then_runs_the_hook(self):
        with apply_routes([route_class(Echo)]):
            client, watcher = WSClient(), WSClient()
            watcher.join_group("goodbyes")
            client.send_and_consume("websocket.connect", path="/echo/")
            client.send_and_consume("websocket.disconnect", path="/echo/")
            self.assertEqual(watcher.receive(json=False), client.reply_channel)
            Group("echoes").send({"text": "after"})
            self.assertIsNone(client.receive())

    def test_send_and_group_send_need_text_or_bytes(self):
        with self.assertRaisesRegex(ValueError, "text or bytes"):
            WebsocketConsumer.group_send("echoes")
        watcher = WSClient()
        watcher.join_group("echoes")
        WebsocketConsumer.group_send("echoes", text="all", close=True)
        self.assertEqual(Client.receive(watcher), {"text": "all", "close": True})

    def test_http_user_gives_every_handler_the_user_of_the_page(self):
        with apply_routes([route_class(WhoAmI)]):
            client = WSClient()
            client.force_login(User.objects.create_user("ada"))
            client.send_and_consume("websocket.connect", path="/", check_accept=False)
            self.assertEqual(client.receive(json=False), "hello ada")
            client.send_and_consume("websocket.receive", text="hi", path="/")
            self.assertEqual(client.receive(json=False), "hi from ada")

    def test_strict_ordering_runs_frames_in_the_order_sent(self):
        with apply_routes([route_class(Ordered)]):
            client = WSClient(ordered=True)
            client.send_and_consume("websocket.connect", path="/")
            client.order = 2
            client.send_and_consume("websocket.receive", text="second", path="/")
            self.assertIsNone(client.receive())
            client.order = 1
            client.send_and_consume("websocket.receive", text="first", path="/")
            self.assertEqual(client.receive(json=False), "first")
            client.consume("websocket.receive")
            self.assertEqual(client.receive(json=False), "second")

    def test_slight_ordering_is_refused(self):
        with apply_routes([route_class(type("Slight", (Echo,), {"slight_ordering": True}))]):
            client = WSClient()
            with self.assertRaisesRegex(ValueError, "remove slight_ordering"):
                client.send_and_consume("websocket.receive", text="x", path="/")


@override_settings(**WITHOUT_REDIS)
class JsonWebsocketConsumerTests(ChannelTestCase):
    def test_frames_are_decoded_and_sends_encoded(self):
        with apply_routes([route_class(JsonEcho)]):
            client, watcher = WSClient(), WSClient()
            watcher.join_group("echoes")
            client.send_and_consume("websocket.receive", text={"n": [1, 2]}, path="/")
            self.assertEqual(client.receive(), {"got": {"n": [1, 2]}})
            self.assertEqual(watcher.receive(), {"to": "all"})

    def test_a_frame_that_is_not_json_or_is_bytes_is_logged_and_dropped(self):
        with apply_routes([route_class(JsonEcho)]):
            client = WSClient()
            with self.assertLogs("channels1.generic", "WARNING") as logs:
                client.send_and_consume("websocket.receive", text="{nope", path="/json/")
                client.send_and_consume("websocket.receive", {"bytes": b"{}"}, path="/json/")
            self.assertIsNone(client.receive())
            self.assertIn(f"Dropped a frame on websocket.receive (path '/json/', reply channel "
                          f"{client.reply_channel}): the frame is not JSON", logs.output[0])
            self.assertIn("takes JSON text frames, and this one is bytes", logs.output[1])


@override_settings(**WITHOUT_REDIS)
class DemultiplexerTests(ChannelTestCase):
    def connect(self):
        client = WSClient()
        client.send_and_consume("websocket.connect", path="/multi/", check_accept=False)
        self.assertEqual(client.receive(json=False), {"accept": True})
        return client

    def test_connect_accepts_then_reaches_every_stream(self):
        with apply_routes([route_class(Demultiplexer)]):
            client = self.connect()
            self.assertEqual(client.receive(), {"stream": "one", "payload": {"joined": "one"}})
            self.assertEqual(client.receive(), {"stream": "two", "payload": {"joined": "two"}})
            # "raw" keeps the default connect, which accepts again (an open socket ignores it).
            self.assertEqual(client.receive(), {"accept": True})
            self.assertIsNone(client.receive())

    def test_frames_go_to_their_stream_with_a_multiplexer_and_the_route_kwargs(self):
        with apply_routes([route_class(Demultiplexer, path=r"^/multi/(?P<room>\w+)/$")]):
            client = WSClient()
            client.send_and_consume("websocket.receive", text=frame("two", {"x": 1}), path="/multi/lobby/")
            self.assertEqual(client.receive(), {"stream": "two", "payload": {"echo": {"x": 1}, "kwargs": ["room"]}})

    def test_disconnect_reaches_every_stream(self):
        with apply_routes([route_class(Demultiplexer)]):
            client, watcher = WSClient(), WSClient()
            watcher.join_group("left")
            client.send_and_consume("websocket.disconnect", path="/multi/")
            left = {"left": client.reply_channel}
            self.assertEqual([watcher.receive(), watcher.receive()],
                             [{"stream": "one", "payload": left}, {"stream": "two", "payload": left}])

    def test_bad_frames_are_logged_with_channel_and_path_and_nothing_is_sent(self):
        bad_frames = {
            "not json": "the frame is not JSON",
            json.dumps([1]): "must be a JSON object, not list",
            json.dumps({"payload": {}}): "needs a 'stream' key",
            json.dumps({"stream": "one"}): "needs a 'payload' key",
            json.dumps({"stream": "one", "payload": 3}): "payload of a multiplexed frame must be a JSON object",
            frame("three", {}): "no consumer for stream 'three' (streams: 'one', 'two', 'raw')",
        }
        with apply_routes([route_class(Demultiplexer)]):
            client = WSClient()
            for text, reason in bad_frames.items():
                with self.assertLogs("channels1.generic", "WARNING") as logs:
                    client.send_and_consume("websocket.receive", text=text, path="/multi/")
                self.assertIn("Dropped a frame on websocket.receive (path '/multi/'", logs.output[0])
                self.assertIn(reason, logs.output[0])
            self.assertIsNone(client.receive())
            client.send_and_consume("websocket.receive", text=frame("one", {}), path="/multi/")
            self.assertEqual(client.receive()["stream"], "one")

    def test_sending_unframed_is_refused_inside_the_demultiplexer_only(self):
        with apply_routes([route_class(Demultiplexer, path=r"^/multi/$"), route_class(SendsUnframed, path=r"^/raw/$")]):
            client = WSClient()
            with self.assertRaises(SendNotAvailableOnDemultiplexer):
                client.send_and_consume("websocket.receive", text=frame("raw", {"x": 1}), path="/multi/")
            client.send_and_consume("websocket.receive", text={"x": 1}, path="/raw/")
            self.assertEqual(client.receive(), {"x": 1})
        with self.assertRaises(SendNotAvailableOnDemultiplexer):
            Demultiplexer.group_send("left", "one", {})


def test_the_multiplexer_frames_payloads_with_django_json():
    encoded = WebsocketMultiplexer.encode("s", {"at": datetime.date(2017, 1, 2), "n": decimal.Decimal("1.5")})
    assert json.loads(encoded["text"]) == {"stream": "s", "payload": {"at": "2017-01-02", "n": "1.5"}}


def test_the_1x_import_paths_are_these_modules():
    import channels.generic.base
    import channels.generic.websockets

    import channels1.generic.base
    import channels1.generic.websockets
    from channels.exceptions import SendNotAvailableOnDemultiplexer as Refused

    assert channels.generic.websockets is channels1.generic.websockets
    assert channels.generic.base is channels1.generic.base
    assert Refused is SendNotAvailableOnDemultiplexer
