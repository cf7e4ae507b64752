"""channels 4 consumers run unchanged on this layer, through channels.testing."""

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator


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


async def test_async_websocket_consumer_echoes_on_this_layer(channel_layer_settings):
    communicator = WebsocketCommunicator(EchoConsumer.as_asgi(), "/echo/")
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_to(text_data="hello")
    assert await communicator.receive_from() == "hello"
    await communicator.send_to(bytes_data=b"\x01\x02")
    assert await communicator.receive_output() == {"type": "websocket.send", "bytes": b"\x01\x02"}
    await communicator.disconnect()
    await get_channel_layer().close()


async def test_group_messages_reach_every_consumer_in_the_group(channel_layer_settings):
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
    await get_channel_layer().close()
