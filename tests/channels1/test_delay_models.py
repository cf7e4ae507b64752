"""`channels1.delay.models.DelayedMessage`: the 1.x name, which sends a request to
the delay server (``asgi.delay``) or delivers its message at once."""

import pytest

from channels1.asgi import channel_layers
from channels1.delay.models import DelayedMessage
from channels1.delay.server import parse_request


@pytest.fixture
def layer(channel_layer_settings):
    channel_layers.backends = {}
    yield channel_layers["default"].channel_layer
    channel_layers.backends = {}


def test_save_asks_the_delay_server_and_send_delivers_now(layer):
    DelayedMessage("target", '{"n": 1}', delay=250).save()
    channel, request = layer.receive(["asgi.delay"], block=True)
    assert channel == "asgi.delay" and parse_request(request) == ("target", {"n": 1}, 250)
    DelayedMessage("target", {"n": 2}).send()
    assert layer.receive(["target"], block=True) == ("target", {"n": 2})


def test_requests_the_server_would_drop_are_refused_with_the_reason():
    for bad, reason in (
        ({"channel": "x", "content": {}}, "missing key"),
        ({"channel": 1, "content": {}, "delay": 1}, "channel must be a str"),
        ({"channel": "x", "content": [], "delay": 1}, "content for 'x' must be a dict"),
        ({"channel": "x", "content": {}, "delay": -1}, "whole number of milliseconds"),
        ({"channel": "x", "content": {}, "delay": True}, "whole number of milliseconds"),
    ):
        with pytest.raises(ValueError, match=reason):
            parse_request(bad)
