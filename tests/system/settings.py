"""Settings for the processes that system tests start: the project's, with the layer
configured from TEST_LAYER_CONFIG (JSON) and the test routing added."""

import json
import os

from tracker_project.settings import *  # noqa: F401,F403
from tracker_project.settings import CHANNEL_LAYERS, LOGGING

CHANNEL_LAYERS["default"]["CONFIG"].update(json.loads(os.environ.get("TEST_LAYER_CONFIG", "{}")))
CHANNEL_ROUTING = "tests.system.routing.channel_routing"
CHANNELS1_WEBSOCKET_HANDSHAKE_TIMEOUT = float(os.environ.get("TEST_HANDSHAKE_TIMEOUT", "5"))
LOGGING["loggers"]["channels1"]["level"] = "DEBUG"
