"""The project's routing plus consumers that let system tests steer replies and
watch which worker process handled what."""

import json
import os
import time
import urllib.parse

from django.conf import settings
from django.core.cache import cache

from channels1 import Channel, Group, include, route
from channels1.auth import channel_session_user, channel_session_user_from_http
from channels1.sessions import enforce_ordering
from routing import channel_routing as project_routing


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


@channel_session_user_from_http
def whoami_connect(message):
    message.channel_session["seen"] = [os.getpid()]
    message.reply_channel.send({"accept": True, "text": f"connect {message.user.username or '-'} {os.getpid()}"})


@channel_session_user
def whoami_receive(message):
    message.channel_session["seen"] = message.channel_session["seen"] + [os.getpid()]
    seen = ",".join(map(str, message.channel_session["seen"]))
    message.reply_channel.send({"text": f"receive {message.user.username or '-'} {os.getpid()} {seen}"})


@channel_session_user
def whoami_disconnect(message):
    Channel("test.disconnects").send({"user": message.user.username, "pid": os.getpid()})


@enforce_ordering
def ordered_connect(message):
    message.reply_channel.send({"accept": True})


@enforce_ordering
def ordered_receive(message):
    """Reports its order as it runs (held sends of two workers could cross)."""
    time.sleep(0.01)
    message.reply_channel.send({"text": str(message["order"])}, immediately=True)


def bridge_receive(message):
    """For websocketbridge.js: a frame of a stream comes back on that stream as
    ``{"echo": payload}``, ``{"close": true}`` closes the socket, any other frame comes
    back as it is."""
    content = json.loads(message["text"])
    if "stream" in content:
        reply = {"stream": content["stream"], "payload": {"echo": content["payload"]}}
        message.reply_channel.send({"text": json.dumps(reply)})
    elif content.get("close"):
        message.reply_channel.send({"close": True})
    else:
        message.reply_channel.send({"text": message["text"]})


def grouped_connect(message):
    """Joins the group named in the query string (?group=...) and accepts."""
    group = urllib.parse.parse_qs(message["query_string"].decode())["group"][0]
    Group(group).add(message.reply_channel)
    message.reply_channel.send({"accept": True})


# How long a run's claim on a message id lasts (a worker killed while running it
# leaves it), and how long another delivery of the message waits for that run.
CLAIM_SECONDS = 30
CLAIM_WAIT = 60


def once(message, effect):
    """Runs ``effect`` unless a worker already did so for ``message.id``: a message
    delivered again has its effect once. That delivery may come while the first run
    still goes on (its worker's hold on the message lapsed during a failover), so a
    run claims the id first, atomically; another delivery waits for that run to end
    and runs the effect only if it failed, its claim then given up."""
    prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]  # systems share the cache
    key = f"test.once:{prefix}:{message.id}"
    deadline = time.monotonic() + CLAIM_WAIT
    while not cache.add(key, "running", timeout=CLAIM_SECONDS):
        if cache.get(key) == "done":
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"message {message.id} was still running elsewhere after {CLAIM_WAIT} s")
        time.sleep(0.05)
    try:
        effect()
    except BaseException:
        cache.delete(key)
        raise
    cache.set(key, "done", timeout=3600)


def counted_echo(message):
    """The echo consumer, its reply sent once per message."""
    once(message, lambda: message.reply_channel.send({"text": message["text"]}, immediately=True))


def grouped_receive(message):
    """Sends a frame's text to the group it names, {"group": ..., "text": ...}, once
    per message: on /ws/test/broadcast/, whose sockets join a group as
    /ws/test/grouped/ ones do."""
    content = json.loads(message["text"])
    once(message, lambda: Group(content["group"]).send({"text": content["text"]}, immediately=True))


def keepalive_told(message):
    """Tells the socket that a keepalive came for it."""
    message.reply_channel.send({"text": "keepalive"})


channel_routing = [
    route("websocket.connect", scripted_connect, path=r"^/ws/test/scripted/$"),
    route("websocket.receive", scripted_receive, path=r"^/ws/test/scripted/$"),
    route("websocket.receive", slow, path=r"^/ws/test/slow/$"),
    route("websocket.connect", silent, path=r"^/ws/test/silent/$"),
    route("websocket.connect", whoami_connect, path=r"^/ws/test/whoami/"),
    route("websocket.receive", whoami_receive, path=r"^/ws/test/whoami/"),
    route("websocket.disconnect", whoami_disconnect, path=r"^/ws/test/whoami/"),
    route("websocket.connect", ordered_connect, path=r"^/ws/test/ordered/$"),
    route("websocket.receive", ordered_receive, path=r"^/ws/test/ordered/$"),
    route("websocket.receive", bridge_receive, path=r"^/ws/test/bridge/$"),
    route("websocket.connect", grouped_connect, path=r"^/ws/test/grouped/$"),
    route("websocket.receive", counted_echo, path=r"^/ws/test/counted/$"),
    route("websocket.connect", grouped_connect, path=r"^/ws/test/broadcast/$"),
    route("websocket.receive", grouped_receive, path=r"^/ws/test/broadcast/$"),
    route("websocket.keepalive", keepalive_told, path=r"^/ws/test/keepalive/$"),
    include(project_routing),
]
