"""channels 4 consumers run unchanged on this layer, tested as a channels 4 project
tests itself: channels.testing's communicators, the layer from CHANNEL_LAYERS, and
no close() at the end; the layer ends quietly with each test's event loop."""

from asgiref.sync import async_to_sync
from channels.consumer import AsyncConsumer
from channels.generic.websocket import AsyncWebsocketConsumer, JsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels.testing import ApplicationCommunicator, WebsocketCommunicator


class EchoConsumer(AsyncWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=text_data, bytes_data=bytes_data)


class RoomConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        await self.channel_layer.group_add("lobby", self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard("lobby", self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        await self.channel_layer.group_send("lobby", {"type": "room.message", "text": text_data})

    async def room_message(self, event):
        await self.send(text_data=event["text"])


class SyncRoomConsumer(JsonWebsocketConsumer):
    """The sync flavour: layer calls through async_to_sync, from a thread."""

    def connect(self):
        async_to_sync(self.channel_layer.group_add)("lobby", self.channel_name)
        self.accept()

    def disconnect(self, code):
        async_to_sync(self.channel_layer.group_discard)("lobby", self.channel_name)

    def receive_json(self, content):
        async_to_sync(self.channel_layer.group_send)("lobby", {"type": "room.message", "text": content["say"]})

    def room_message(self, event):
        self.send_json({"heard": event["text"]})


class PriceWatcher(AsyncConsumer):
    """A channels 4 background consumer: subscribes to a group on request and passes
    on what the group gets."""

    async def watch(self, message):
        await self.channel_layer.group_add(message["group"], self.channel_name)
        await self.send({"type": "watching", "group": message["group"]})

    async def price_changed(self, event):
        await self.send({"type": "price", "value": event["value"]})


async def test_async_websocket_consumer_echoes_on_this_layer(ends_quietly, channel_layer_settings):
    ends_quietly(get_channel_layer())
    communicator = WebsocketCommunicator(EchoConsumer.as_asgi(), "/echo/")
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_to(text_data="hello")
    assert await communicator.receive_from() == "hello"
    await communicator.send_to(bytes_data=b"\x01\x02")
    assert await communicator.receive_output() == {"type": "websocket.send", "bytes": b"\x01\x02"}
    await communicator.disconnect()


async def test_group_messages_reach_every_consumer_in_the_group(ends_quietly, channel_layer_settings):
    ends_quietly(get_channel_layer())
    first = WebsocketCommunicator(RoomConsumer.as_asgi(), "/room/")
    second = WebsocketCommunicator(RoomConsumer.as_asgi(), "/room/")
    assert (await first.connect())[0] and (await second.connect())[0]
    await first.send_to(text_data="hi all")
    assert await first.receive_from(timeout=5) == "hi all"
    assert await second.receive_from(timeout=5) == "hi all"
    await second.disconnect()
    await first.send_to(text_data="just me")
    assert await first.receive_from(timeout=5) == "just me"
    assert await second.receive_nothing()
    await first.disconnect()


async def test_sync_consumers_use_the_layer_through_async_to_sync(ends_quietly, channel_layer_settings):
    ends_quietly(get_channel_layer())
    first = WebsocketCommunicator(SyncRoomConsumer.as_asgi(), "/room/")
    second = WebsocketCommunicator(RoomConsumer.as_asgi(), "/room/")
    assert (await first.connect())[0] and (await second.connect())[0]
    await first.send_json_to({"say": "from sync"})
    assert await first.receive_json_from(timeout=5) == {"heard": "from sync"}
    assert await second.receive_from(timeout=5) == "from sync"
    await first.disconnect()


async def test_application_communicator_drives_a_background_consumer(ends_quietly, channel_layer_settings):
    layer = ends_quietly(get_channel_layer())
    communicator = ApplicationCommunicator(PriceWatcher.as_asgi(), {"type": "channel"})
    await communicator.send_input({"type": "watch", "group": "prices"})
    assert await communicator.receive_output(timeout=5) == {"type": "watching", "group": "prices"}
    await layer.group_send("prices", {"type": "price.changed", "value": 42})
    assert await communicator.receive_output(timeout=5) == {"type": "price", "value": 42}
    # Left running, as projects' tests often leave it: its loop's end stops it.
