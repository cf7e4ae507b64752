"""ASGI app that tests/test_bridge.py serves with a real Daphne: WebSocketBridge on
layers configured from the environment, picked by the first path segment.

BRIDGE_REDIS_URL, BRIDGE_PREFIX: the test Redis and this run's layer prefix.
BRIDGE_MORTAL_REDIS_URL: a Redis the tests stop mid-socket (alias "mortal").
BRIDGE_RESTARTED_REDIS_URL: a Redis the tests restart under open sockets ("restarted").
"""

import os

import django
from django.conf import settings

prefix = os.environ["BRIDGE_PREFIX"]
redis_url = os.environ["BRIDGE_REDIS_URL"]
layers = {
    "default": {"hosts": [redis_url], "prefix": prefix},
    # websocket.connect and websocket.receive take one message each.
    "tight": {"hosts": [redis_url], "prefix": prefix + "tight",
              "channel_capacity": {"websocket.connect": 1, "websocket.receive": 1}},
    # websocket.disconnect takes one message.
    "narrowexit": {"hosts": [redis_url], "prefix": prefix + "narrowexit", "channel_capacity": {"websocket.disconnect": 1}},
    # Messages of at most 4 KiB.
    "small": {"hosts": [redis_url], "prefix": prefix, "max_message_size": 4096},
    # No server behind it.
    "down": {"hosts": [f"unix:///nonexistent/{prefix}.sock"], "prefix": prefix},
    "mortal": {"hosts": [os.environ.get("BRIDGE_MORTAL_REDIS_URL", redis_url)], "prefix": prefix},
    "restarted": {"hosts": [os.environ.get("BRIDGE_RESTARTED_REDIS_URL", redis_url)], "prefix": prefix},
}
settings.configure(
    INSTALLED_APPS=[],
    CHANNEL_LAYERS={
        alias: {"BACKEND": "channels1.layer.RedisChannelLayer", "CONFIG": config}
        for alias, config in layers.items()
    },
    CHANNELS1_WEBSOCKET_HANDSHAKE_TIMEOUT=float(os.environ.get("BRIDGE_HANDSHAKE_TIMEOUT", "3")),
    CHANNELS1_WEBSOCKET_FULL_TIMEOUT=2,
    CHANNELS1_REDIS_OUTAGE_GRACE=4,
)
django.setup()

from channels1.bridge import WebSocketBridge  # noqa: E402

bridges = {
    "tight": WebSocketBridge(alias="tight"),
    "narrowexit": WebSocketBridge(alias="narrowexit"),
    "small": WebSocketBridge(alias="small"),
    "down": WebSocketBridge(alias="down"),
    "mortal": WebSocketBridge(alias="mortal"),
    "restarted": WebSocketBridge(alias="restarted"),
    # At most three messages of one socket wait in websocket.receive; a minute to wait.
    "narrow": WebSocketBridge(window=3, full_timeout=60),
    "quick": WebSocketBridge(handshake_timeout=1),
    # The default, as with CHANNELS1_WEBSOCKET_HANDSHAKE_TIMEOUT unset.
    "patient": WebSocketBridge(handshake_timeout=5),
}
default_bridge = WebSocketBridge()


async def application(scope, receive, send):
    first = scope["path"].split("/")[1]
    if first == "plain":
        # As a server without the WebSocket Denial Response extension would call it.
        scope = {key: value for key, value in scope.items() if key != "extensions"}
    await bridges.get(first, default_bridge)(scope, receive, send)
