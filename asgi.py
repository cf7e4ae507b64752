"""The ASGI application Daphne serves (``daphne asgi:application``): the way in for
every request and socket.

HTTP goes to Django, behind Django's static files handler, so Daphne serves /static/
itself (from the apps' static directories, with or without DEBUG), unless the routing
routes http.request or CHANNELS1_HTTP_THROUGH_WORKERS is set: then requests go
through the workers (`channels1.http_bridge`). WebSockets on
/ws/echo4/ go to a channels 4 consumer; every other WebSocket goes to the Channels 1.x
bridge, whose messages runworker's workers consume.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker_project.settings")
django.setup(set_prefix=False)  # before importing what needs the apps

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path, re_path  # noqa: E402

from channels1.bridge import WebSocketBridge  # noqa: E402
from channels1.http_bridge import http_application  # noqa: E402
from consumers.echo4 import EchoConsumer  # noqa: E402

application = ProtocolTypeRouter({
    "http": http_application(),
    "websocket": URLRouter([
        path("ws/echo4/", EchoConsumer.as_asgi()),
        re_path(r"", WebSocketBridge()),
    ]),
})
