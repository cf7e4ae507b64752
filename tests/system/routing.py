"""The project's routing plus consumers that let system tests steer replies and
watch which worker process handled what."""

import json
import os
import time
import urllib.parse

from channels1 import include, route
from tracker_project.routing import channel_routing as project_routing


def scripted_connect(message):
    """Answers the connect with the reply given as JSON in the query string."""
    query = urllib.parse.parse_qs(message["query_string"].decode())
    message.reply_channel.send(json.loads(query.get("reply", ['{"accept": true}'])[0]))


def scripted_receive(message):
    """Answers a frame with the reply it carries as JSON: {"reply": {...}}."""
    message.reply_channel.send(json.loads(message["text"])["reply"])


def slow(message):
    """Says which worker started it, works for a while, then says it is done."""
    seconds = float(message["text"])
    message.reply_channel.send({"text": f"started {os.getpid()}"}, immediately=True)
    time.sleep(seconds)
    message.reply_channel.send({"text": f"done {os.getpid()}"})


def silent(message):
    """Never answers the connect."""


channel_routing = [
    route("websocket.connect", scripted_connect, path=r"^/ws/test/scripted/$"),
    route("websocket.receive", scripted_receive, path=r"^/ws/test/scripted/$"),
    route("websocket.receive", slow, path=r"^/ws/test/slow/$"),
    route("websocket.connect", silent, path=r"^/ws/test/silent/$"),
    include(project_routing),
]
