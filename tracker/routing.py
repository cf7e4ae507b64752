"""The tracker's channel routing: which 1.x consumer handles which socket path."""

from channels1 import route

from . import chat

ROOM_PATH = r"^/ws/chat/(?P<room>[^/]+)/$"

chat_routing = [
    route("websocket.connect", chat.connect, path=ROOM_PATH),
    route("websocket.receive", chat.receive, path=ROOM_PATH),
    route("websocket.disconnect", chat.disconnect, path=ROOM_PATH),
]
