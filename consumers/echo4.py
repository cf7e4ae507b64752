"""The channels 4 echo socket, ``/ws/echo4/``, served inside Daphne beside the
Channels 1.x bridge (see asgi.py): it echoes every frame back, with no worker
involved."""

from channels.generic.websocket import AsyncWebsocketConsumer


class EchoConsumer(AsyncWebsocketConsumer):
    """Accepts every socket and sends each text or binary frame back as it came."""

    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=text_data, bytes_data=bytes_data)
