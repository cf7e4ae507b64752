"""Settings for the processes that system tests start: the test suite's, with the
layer configured from TEST_LAYER_CONFIG (JSON), the test routing, URLs and pages
added, the legacy ``?session_key=`` accepted if TEST_SESSION_KEY_IN_QUERY=1, and HTTP
through the workers if TEST_HTTP_THROUGH_WORKERS=1."""

import json
import os
from pathlib import Path

from tests.settings import *  # noqa: F401,F403
from tracker_project.settings import CHANNEL_LAYERS, LOGGING, TEMPLATES

CHANNEL_LAYERS["default"]["CONFIG"].update(json.loads(os.environ.get("TEST_LAYER_CONFIG", "{}")))
CHANNEL_ROUTING = "tests.system.routing.channel_routing"
CHANNELS1_WEBSOCKET_HANDSHAKE_TIMEOUT = float(os.environ.get("TEST_HANDSHAKE_TIMEOUT", "5"))
LOGGING["loggers"]["channels1"]["level"] = "DEBUG"
CHANNELS1_SESSION_KEY_IN_QUERY = os.environ.get("TEST_SESSION_KEY_IN_QUERY") == "1"
ROOT_URLCONF = "tests.system.urls"
TEMPLATES[0]["DIRS"] = [Path(__file__).resolve().parent / "templates"]
CHANNELS_WS_PROTOCOLS = ["channels1.test"]
CHANNELS1_HTTP_THROUGH_WORKERS = os.environ.get("TEST_HTTP_THROUGH_WORKERS") == "1"
CHANNELS1_HEARTBEAT_INTERVAL = float(os.environ.get("TEST_HEARTBEAT_INTERVAL", "1"))
if "TEST_KEEPALIVE_INTERVAL" in os.environ:
    CHANNELS1_WEBSOCKET_KEEPALIVE_INTERVAL = float(os.environ["TEST_KEEPALIVE_INTERVAL"])
