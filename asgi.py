"""The ASGI application Daphne serves (``daphne asgi:application``): the way in for
every request and socket.

HTTP goes to Django, behind Django's static files handler, so Daphne serves /static/
itself (from the apps' static directories, with or without DEBUG). WebSockets on
/ws/echo4/ go to a channels 4 consumer; every other WebSocket goes to the Channels 1.x
bridge, whose messages runworker's workers consume.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker_project.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402
from django.urls import path, re_path  # noqa: E402

from channels1.bridge import WebSocketBridge  # noqa: E402
from consumers.echo4 import EchoConsumer  # noqa: E402

application = ProtocolTypeRouter({
    "http": ASGIStaticFilesHandler(django_asgi_app),
    "websocket": URLRouter([
        path("ws/echo4/", EchoConsumer.as_asgi()),
        re_path(r"", WebSocketBridge()),
    ]),
})
