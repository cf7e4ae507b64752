"""The project's Channels 1.x channel routing, named by the CHANNEL_ROUTING setting
and served by `manage.py runworker`."""

from channels1 import include, route

from . import consumers

channel_routing = [
    route("websocket.receive", consumers.echo, path=r"^/ws/echo/$"),
    include("tracker.routing.chat_routing"),
    include("tracker.routing.notifications_routing"),
    include("tracker.routing.tailf_routing"),
]
