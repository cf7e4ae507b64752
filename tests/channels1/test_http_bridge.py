"""`channels1.http_bridge`: which ``http.response`` replies the bridge accepts, and
when HTTP goes through the workers."""

import pytest

from channels1.http_bridge import parse_reply, through_workers


def test_the_first_reply_needs_a_status_and_later_ones_do_not():
    assert parse_reply({"status": 200, "headers": [[b"a", "b"]], "content": b"x", "more_content": True},
                       first=True) == (200, [(b"a", b"b")], b"x", True)
    assert parse_reply({"content": b"y"}, first=False) == (None, [], b"y", False)
    for bad in ({}, {"status": "200"}, {"status": True}, {"status": 200, "content": "text"},
                {"status": 200, "headers": [b"no-value"]}, {"status": 200, "headers": [[1, b"x"]]}, []):
        with pytest.raises(ValueError):
            parse_reply(bad, first=True)


def test_http_goes_through_workers_when_the_routing_routes_it_or_a_setting_says_so(settings, channel_layer_settings):
    from channels1.asgi import channel_layers

    settings.CHANNEL_LAYERS["default"]["ROUTING"] = "tests.channels1.legacy_chat.channel_routing"
    channel_layers.backends = {}
    assert not through_workers()
    settings.CHANNELS1_HTTP_THROUGH_WORKERS = True
    assert through_workers()
    settings.CHANNELS1_HTTP_THROUGH_WORKERS = False
    settings.CHANNEL_LAYERS["default"]["ROUTING"] = [_http_route()]
    channel_layers.backends = {}
    assert through_workers()
    channel_layers.backends = {}


def _http_route():
    from channels1.handler import ViewConsumer
    from channels1.routing import route

    return route("http.request", ViewConsumer())
