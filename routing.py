"""The project's channel routing, named by the CHANNEL_ROUTING setting and served by
`manage.py runworker`: which consumer function in consumers/ handles which channel
and socket path."""

from channels1 import include, route

from consumers import chat, echo, notifications, tailf, unserved

ECHO_PATH = r"^/ws/echo/$"
ROOM_PATH = r"^/ws/chat/(?P<room>.+)/$"
NOTIFICATIONS_PATH = r"^/ws/notifications/$"
TAILF_PATH = r"^/ws/tailf/(?P<file_id>[^/]+)/$"
# The socket families above: a path under them that their routes do not match.
FAMILIES_PATH = r"^/ws/(?:chat|notifications|tailf)/"

echo_routing = [
    route("websocket.receive", echo.echo, path=ECHO_PATH),
]

chat_routing = [
    route("websocket.connect", chat.connect, path=ROOM_PATH),
    route("websocket.receive", chat.receive, path=ROOM_PATH),
    route("websocket.disconnect", chat.disconnect, path=ROOM_PATH),
]

notifications_routing = [
    route("websocket.connect", notifications.connect, path=NOTIFICATIONS_PATH),
    route("websocket.receive", notifications.receive, path=NOTIFICATIONS_PATH),
    route("websocket.keepalive", notifications.keepalive, path=NOTIFICATIONS_PATH),
    route("websocket.disconnect", notifications.disconnect, path=NOTIFICATIONS_PATH),
]

tailf_routing = [
    route("websocket.connect", tailf.connect, path=TAILF_PATH),
    route("websocket.receive", tailf.receive, path=TAILF_PATH),
    route("websocket.disconnect", tailf.disconnect, path=TAILF_PATH),
]

channel_routing = [
    include(echo_routing),
    include(chat_routing),
    include(notifications_routing),
    include(tailf_routing),
    route("websocket.connect", unserved.connect, path=FAMILIES_PATH),
]
