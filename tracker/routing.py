"""The tracker's channel routing: which 1.x consumer handles which socket path."""

from channels1 import route

from . import chat, consumers, tailf

ROOM_PATH = r"^/ws/chat/(?P<room>[^/]+)/$"
NOTIFICATIONS_PATH = r"^/ws/notifications/$"
TAILF_PATH = r"^/ws/tailf/(?P<file_id>[^/]+)/$"

chat_routing = [
    route("websocket.connect", chat.connect, path=ROOM_PATH),
    route("websocket.receive", chat.receive, path=ROOM_PATH),
    route("websocket.disconnect", chat.disconnect, path=ROOM_PATH),
]

notifications_routing = [
    route("websocket.connect", consumers.connect, path=NOTIFICATIONS_PATH),
    route("websocket.keepalive", consumers.keepalive, path=NOTIFICATIONS_PATH),
    route("websocket.disconnect", consumers.disconnect, path=NOTIFICATIONS_PATH),
]

tailf_routing = [
    route("websocket.connect", tailf.connect, path=TAILF_PATH),
    route("websocket.receive", tailf.receive, path=TAILF_PATH),
    route("websocket.disconnect", tailf.disconnect, path=TAILF_PATH),
]
