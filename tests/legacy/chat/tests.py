import json

from django.contrib.auth.models import User

from channels import Group
from channels.test import ChannelTestCase, WSClient

from chat.models import ChatMessage


class ChatTests(ChannelTestCase):

    def setUp(self):
        User.objects.create_user("ada", password="pass")

    def connect(self, room="lobby"):
        client = WSClient()
        client.login(username="ada", password="pass")
        client.send_and_consume("websocket.connect", path="/chat/%s/" % room)
        return client

    def test_connect_joins_the_room(self):
        client = self.connect()
        Group("chat-lobby").send({"text": "hello"}, immediately=True)
        self.assertEqual(client.receive(json=False), "hello")

    def test_anonymous_sockets_are_closed(self):
        client = WSClient()
        client.send_and_consume("websocket.connect", path="/chat/lobby/", check_accept=False)
        self.assertEqual(client.receive(json=False), {"close": True})

    def test_a_message_is_saved_and_sent_to_the_room(self):
        client = self.connect()
        client.send_and_consume("websocket.receive", text="hi all", path="/chat/lobby/")
        client.consume("chat-messages")
        self.assertEqual(ChatMessage.objects.get().text, "hi all")
        self.assertEqual(client.receive(), {"user": "ada", "text": "hi all"})

    def test_disconnect_leaves_the_room(self):
        client = self.connect()
        client.send_and_consume("websocket.disconnect", path="/chat/lobby/")
        Group("chat-lobby").send({"text": json.dumps("after")}, immediately=True)
        self.assertIsNone(client.receive())
