"""The project's Channels 1.x channel routing, named by the CHANNEL_ROUTING setting
and served by `manage.py runworker`."""

from channels1 import include

channel_routing = [
    include("tracker.routing.chat_routing"),
]
