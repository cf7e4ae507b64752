"""The project's channel routing (routing.py): each socket path and channel reaches its
consumer function in consumers/, with the path's named groups as arguments."""

import pytest

from channels1 import Message
from channels1.routing import Router
from consumers import chat, echo, notifications, tailf


def message(channel, path):
    return Message({"reply_channel": "daphne.response.x!y", "path": path, "order": 0}, channel, None)


@pytest.mark.parametrize("channel, path, consumer, kwargs", [
    ("websocket.receive", "/ws/echo/", echo.echo, {}),
    ("websocket.connect", "/ws/chat/lobby/", chat.connect, {"room": "lobby"}),
    ("websocket.receive", "/ws/chat/lobby/", chat.receive, {"room": "lobby"}),
    ("websocket.disconnect", "/ws/chat/lobby/", chat.disconnect, {"room": "lobby"}),
    ("websocket.receive", "/ws/chat/ops/night shift/", chat.receive, {"room": "ops/night shift"}),
    ("websocket.connect", "/ws/notifications/", notifications.connect, {}),
    ("websocket.receive", "/ws/notifications/", notifications.receive, {}),
    ("websocket.keepalive", "/ws/notifications/", notifications.keepalive, {}),
    ("websocket.disconnect", "/ws/notifications/", notifications.disconnect, {}),
    ("websocket.connect", "/ws/tailf/1/", tailf.connect, {"file_id": "1"}),
    ("websocket.receive", "/ws/tailf/1/", tailf.receive, {"file_id": "1"}),
    ("websocket.disconnect", "/ws/tailf/1/", tailf.disconnect, {"file_id": "1"}),
])
def test_the_project_routes_each_socket_path_to_its_consumer(settings, channel, path, consumer, kwargs):
    router = Router(settings.CHANNEL_ROUTING)
    assert router.match(message(channel, path)) == (consumer, kwargs)
    assert channel in router.channels


@pytest.mark.parametrize("channel, path", [
    ("websocket.connect", "/ws/echo/"),  # echo sockets are accepted by the worker's default
    ("websocket.receive", "/ws/chat//"),
    ("websocket.receive", "/ws/notifications/x/"),
    ("websocket.receive", "/ws/elsewhere/"),
])
def test_paths_and_channels_the_project_does_not_serve_match_nothing(settings, channel, path):
    assert Router(settings.CHANNEL_ROUTING).match(message(channel, path)) is None
