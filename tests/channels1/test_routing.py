"""Routing: route, route_class, include and Router, as in Channels 1.x."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from channels1.message import Message
from channels1.routing import (
    Include,
    Route,
    RouteClass,
    Router,
    accept_connection,
    ignore_message,
    include,
    route,
    route_class,
)


def some_consumer(message, **kwargs):
    return "some"


def other_consumer(message, **kwargs):
    return "other"


def third_consumer(message, **kwargs):
    return "third"


class ChatConsumer:
    """A class-based consumer stand-in: what route_class needs is channel_names()."""

    @classmethod
    def channel_names(cls):
        return {"websocket.connect", "websocket.receive"}


class NoChannelNames:
    pass


inner_routing = [
    route("websocket.connect", some_consumer, path=r"^/room/(?P<room>\w+)/$"),
]

dict_routing = {"websocket.connect": some_consumer, "http.request": "tests.channels1.test_routing.other_consumer"}

not_a_consumer = 42


def msg(channel, **content):
    return Message(content, channel, None)


class RecordingChannel:
    def __init__(self):
        self.sent = []

    def send(self, content, immediately=False):
        self.sent.append(content)


class CustomEntry:
    """Not a Route: anything with match() and channel_names() is a routing entry."""

    def match(self, message):
        if message.get("magic") == "yes":
            return third_consumer, {"custom": "1"}
        return None

    def channel_names(self):
        return {"custom.channel"}


# --- route -----------------------------------------------------------------------


def test_lowercase_aliases_are_the_classes():
    assert route is Route
    assert route_class is RouteClass
    assert include is Include


def test_route_matches_only_its_channel():
    r = route("websocket.connect", some_consumer)
    assert r.match(msg("websocket.connect", path="/")) == (some_consumer, {})
    assert r.match(msg("websocket.receive", path="/")) is None


def test_route_accepts_a_list_of_channels():
    r = route(["websocket.connect", "websocket.receive"], some_consumer)
    assert r.match(msg("websocket.connect")) == (some_consumer, {})
    assert r.match(msg("websocket.receive")) == (some_consumer, {})
    assert r.match(msg("websocket.disconnect")) is None
    assert r.channel_names() == {"websocket.connect", "websocket.receive"}


def test_route_channel_names_is_a_set_and_bytes_names_are_decoded():
    r = route(b"http.request", some_consumer)
    assert r.channel_names() == {"http.request"}
    assert r.match(msg("http.request")) == (some_consumer, {})


def test_route_imports_a_dotted_consumer_path_when_built():
    r = route("websocket.connect", "tests.channels1.test_routing.some_consumer")
    assert r.consumer is some_consumer
    assert r.match(msg("websocket.connect")) == (some_consumer, {})


@pytest.mark.parametrize(
    "path",
    ["tests.channels1.test_routing.no_such_consumer", "tests.no_such_module.consumer", "not_a_dotted_path"],
)
def test_route_with_an_unimportable_consumer_raises_improperly_configured_naming_it(path):
    with pytest.raises(ImproperlyConfigured, match=path):
        route("websocket.connect", path)


def test_filters_are_anchored_at_the_start_only():
    r = route("http.request", some_consumer, path=r"/chat/")
    assert r.match(msg("http.request", path="/chat/")) is not None
    assert r.match(msg("http.request", path="/chat/and/more")) is not None
    assert r.match(msg("http.request", path="/x/chat/")) is None


def test_a_dollar_is_needed_for_a_full_match():
    r = route("http.request", some_consumer, path=r"^/chat/$")
    assert r.match(msg("http.request", path="/chat/")) is not None
    assert r.match(msg("http.request", path="/chat/and/more")) is None


def test_a_missing_filter_key_means_no_match():
    r = route("websocket.connect", some_consumer, path=r"^/")
    assert r.match(msg("websocket.connect", reply_channel="r!x")) is None


def test_bytes_values_are_decoded_as_ascii_before_matching():
    r = route("websocket.connect", some_consumer, query_string=r"^token=(?P<token>\w+)")
    assert r.match(msg("websocket.connect", query_string=b"token=abc")) == (some_consumer, {"token": "abc"})


def test_non_ascii_bytes_and_non_text_values_do_not_match():
    r = route("websocket.connect", some_consumer, query_string=r"^.*")
    assert r.match(msg("websocket.connect", query_string="é".encode())) is None
    assert r.match(msg("websocket.connect", query_string=None)) is None


def test_bytes_regexes_match_str_and_bytes_values():
    r = route("http.request", some_consumer, path=rb"^/(?P<name>\w+)/$")
    assert r.match(msg("http.request", path="/abc/")) == (some_consumer, {"name": "abc"})
    assert r.match(msg("http.request", path=b"/abc/")) == (some_consumer, {"name": "abc"})


def test_named_groups_become_str_kwargs():
    r = route("websocket.connect", some_consumer, path=r"^/rooms/(?P<room>[^/]+)/(?P<id>\d+)/$")
    consumer, kwargs = r.match(msg("websocket.connect", path=b"/rooms/lobby/42/"))
    assert consumer is some_consumer
    assert kwargs == {"room": "lobby", "id": "42"}
    assert all(type(value) is str for value in kwargs.values())


def test_positional_groups_raise_value_error():
    with pytest.raises(ValueError, match="positional groups"):
        route("websocket.connect", some_consumer, path=r"^/rooms/(\w+)/$")
    with pytest.raises(ValueError, match="positional groups"):
        route("websocket.connect", some_consumer, path=r"^/(?P<a>\w+)/(\d+)/$")


def test_non_capturing_groups_are_allowed():
    r = route("websocket.connect", some_consumer, path=r"^/(?:a|b)/$")
    assert r.match(msg("websocket.connect", path="/b/")) == (some_consumer, {})


def test_filters_are_anded():
    r = route("websocket.connect", some_consumer, path=r"^/chat/$", method=r"^GET$")
    assert r.match(msg("websocket.connect", path="/chat/", method="GET")) is not None
    assert r.match(msg("websocket.connect", path="/chat/", method="POST")) is None
    assert r.match(msg("websocket.connect", path="/other/", method="GET")) is None
    assert r.match(msg("websocket.connect", path="/chat/")) is None


def test_route_match_works_on_any_object_with_channel_name_and_dict_access():
    class Stand:
        def __init__(self, channel, content):
            self.channel = type("C", (), {"name": channel})()
            self.content = content

        def __getitem__(self, key):
            return self.content[key]

        def __contains__(self, key):
            return key in self.content

    r = route("websocket.connect", some_consumer, path=r"^/(?P<x>\w)")
    assert r.match(Stand("websocket.connect", {"path": "/a"})) == (some_consumer, {"x": "a"})


# --- route_class -----------------------------------------------------------------


def test_route_class_takes_channels_from_channel_names_and_routes_to_the_class():
    r = route_class(ChatConsumer)
    assert r.channel_names() == {"websocket.connect", "websocket.receive"}
    assert r.match(msg("websocket.receive", text="hi")) == (ChatConsumer, {})
    assert r.match(msg("websocket.disconnect")) is None


def test_route_class_applies_filters():
    r = route_class(ChatConsumer, path=r"^/chat/(?P<room>\w+)/$")
    assert r.match(msg("websocket.connect", path="/chat/lobby/")) == (ChatConsumer, {"room": "lobby"})
    assert r.match(msg("websocket.connect", path="/other/")) is None


def test_route_class_accepts_a_dotted_path():
    assert route_class("tests.channels1.test_routing.ChatConsumer").consumer is ChatConsumer


def test_route_class_without_channel_names_raises_value_error():
    with pytest.raises(ValueError, match="channel_names") as error:
        route_class(NoChannelNames)
    assert "subclass BaseConsumer" in str(error.value)
    with pytest.raises(ValueError, match="channel_names"):
        route_class(some_consumer)


# --- include ---------------------------------------------------------------------


def test_include_accepts_a_list():
    inc = include([route("websocket.connect", some_consumer)])
    assert inc.match(msg("websocket.connect")) == (some_consumer, {})
    assert inc.channel_names() == {"websocket.connect"}


def test_include_accepts_a_channel_to_consumer_dict():
    inc = include(dict_routing)
    assert inc.match(msg("websocket.connect")) == (some_consumer, {})
    assert inc.match(msg("http.request")) == (other_consumer, {})
    assert inc.channel_names() == {"websocket.connect", "http.request"}


def test_include_accepts_a_dotted_path_to_a_routing():
    inc = include("tests.channels1.test_routing.inner_routing")
    assert inc.match(msg("websocket.connect", path="/room/a/")) == (some_consumer, {"room": "a"})
    assert include("tests.channels1.test_routing.dict_routing").channel_names() == {"websocket.connect", "http.request"}


def test_include_with_an_unimportable_routing_raises_improperly_configured_naming_it():
    with pytest.raises(ImproperlyConfigured, match="tests.channels1.test_routing.no_such_routing"):
        include("tests.channels1.test_routing.no_such_routing")


def test_include_rejects_a_routing_that_is_not_a_list_or_dict():
    with pytest.raises(ImproperlyConfigured, match="list of routes"):
        include("tests.channels1.test_routing.not_a_consumer")


def test_include_rejects_entries_that_are_not_routes():
    with pytest.raises(ImproperlyConfigured, match="include"):
        include([[route("websocket.connect", some_consumer)]])
    with pytest.raises(ImproperlyConfigured, match="not a route"):
        include([some_consumer])


def test_include_cuts_the_prefix_only_for_inner_matching():
    inc = include(inner_routing, path=r"^/chat")
    message = msg("websocket.connect", path="/chat/room/lobby/", reply_channel="daphne.response.a!b")
    assert inc.match(message) == (some_consumer, {"room": "lobby"})
    assert message["path"] == "/chat/room/lobby/"
    assert message.content == {"path": "/chat/room/lobby/", "reply_channel": "daphne.response.a!b"}


def test_inner_routes_do_not_see_the_full_path_of_an_include():
    inc = include([route("websocket.connect", some_consumer, path=r"^/chat/room/$")], path=r"^/chat")
    assert inc.match(msg("websocket.connect", path="/chat/room/")) is None


def test_the_consumer_gets_the_original_message_with_the_full_path():
    seen = []

    def consumer(message, **kwargs):
        seen.append((message["path"], kwargs))

    router = Router([include([route("websocket.connect", consumer, path=r"^/(?P<room>\w+)/$")], path=r"^/chat")])
    message = msg("websocket.connect", path="/chat/lobby/")
    found, kwargs = router.match(message)
    found(message, **kwargs)
    assert seen == [("/chat/lobby/", {"room": "lobby"})]


def test_include_prefix_must_match_the_start_of_the_key():
    inc = include(inner_routing, path=r"/chat")
    assert inc.match(msg("websocket.connect", path="/x/chat/room/a/")) is None


def test_include_prefix_key_missing_from_the_message_means_no_match():
    inc = include([route("websocket.connect", some_consumer)], path=r"^/chat")
    assert inc.match(msg("websocket.connect")) is None


def test_include_prefix_on_a_bytes_value_is_decoded_and_cut():
    inc = include([route("websocket.connect", some_consumer, query_string=r"^b=(?P<b>\d+)$")], query_string=rb"^a=1&")
    assert inc.match(msg("websocket.connect", query_string=b"a=1&b=2")) == (some_consumer, {"b": "2"})


def test_include_without_prefixes_passes_the_message_unchanged():
    inc = include([route("http.request", some_consumer, path=r"^/full/$")])
    assert inc.match(msg("http.request", path="/full/")) == (some_consumer, {})


def test_include_merges_outer_and_inner_kwargs_with_inner_winning():
    inner = [route("websocket.connect", some_consumer, path=r"^/(?P<room>\w+)/(?P<page>\d+)/$")]
    inc = include(inner, path=r"^/(?P<site>\w+)/(?P<room>\w+)")
    assert inc.match(msg("websocket.connect", path="/main/outer/inner/3/")) == (
        some_consumer,
        {"site": "main", "room": "inner", "page": "3"},
    )


def test_includes_nest_and_cut_their_prefixes_in_turn():
    innermost = [route("websocket.receive", some_consumer, path=r"^/(?P<item>\w+)/$")]
    middle = [include(innermost, path=r"^/(?P<section>\w+)")]
    router = Router([include(middle, path=r"^/api")])
    assert router.match(msg("websocket.receive", path="/api/books/dune/")) == (
        some_consumer,
        {"section": "books", "item": "dune"},
    )
    assert router.match(msg("websocket.receive", path="/books/dune/")) is None
    assert router.channels == {"websocket.receive"}


def test_include_tries_its_entries_in_order():
    inc = include(
        [
            route("http.request", some_consumer, path=r"^/a/$"),
            route("http.request", other_consumer),
        ]
    )
    assert inc.match(msg("http.request", path="/a/")) == (some_consumer, {})
    assert inc.match(msg("http.request", path="/b/")) == (other_consumer, {})


# --- Router ----------------------------------------------------------------------


def test_router_first_match_wins_in_order():
    router = Router(
        [
            route("websocket.connect", some_consumer, path=r"^/chat/"),
            route("websocket.connect", other_consumer),
            route("websocket.connect", third_consumer, path=r"^/chat/"),
        ]
    )
    assert router.match(msg("websocket.connect", path="/chat/x")) == (some_consumer, {})
    assert router.match(msg("websocket.connect", path="/other/")) == (other_consumer, {})


def test_router_returns_none_when_nothing_matches():
    router = Router([route("websocket.connect", some_consumer, path=r"^/chat/$")])
    assert router.match(msg("websocket.connect", path="/nope/")) is None
    assert router.match(msg("http.request", path="/chat/")) is None


def test_router_channels_is_the_set_of_all_channel_names():
    router = Router(
        [
            route(["websocket.connect", "websocket.disconnect"], some_consumer),
            route_class(ChatConsumer),
            include({"thumbnails": other_consumer}),
        ]
    )
    assert router.channels == {"websocket.connect", "websocket.disconnect", "websocket.receive", "thumbnails"}


def test_router_accepts_the_dict_routing_form():
    router = Router({"websocket.connect": some_consumer, "thumbnails": "tests.channels1.test_routing.other_consumer"})
    assert router.channels == {"websocket.connect", "thumbnails"}
    assert router.match(msg("thumbnails", id=1)) == (other_consumer, {})


def test_router_accepts_a_dotted_path_to_a_routing():
    router = Router("tests.channels1.test_routing.inner_routing")
    assert router.match(msg("websocket.connect", path="/room/b/")) == (some_consumer, {"room": "b"})


def test_router_with_an_unimportable_routing_raises_improperly_configured():
    with pytest.raises(ImproperlyConfigured, match="tests.nowhere.routing"):
        Router("tests.nowhere.routing")


def test_router_add_route_appends_and_updates_channels():
    router = Router([route("websocket.connect", some_consumer)])
    router.add_route(route("websocket.connect", other_consumer, path=r"^/"))
    router.add_route(route("thumbnails", other_consumer))
    assert router.channels == {"websocket.connect", "thumbnails"}
    assert router.match(msg("websocket.connect", path="/")) == (some_consumer, {})
    assert router.match(msg("thumbnails")) == (other_consumer, {})


def test_router_add_route_does_not_change_the_users_routing_list():
    user_routing = [route("websocket.connect", some_consumer)]
    Router(user_routing).add_route(route("thumbnails", other_consumer))
    assert len(user_routing) == 1


def test_router_add_route_rejects_non_routes():
    with pytest.raises(ImproperlyConfigured, match="not a route"):
        Router([]).add_route("websocket.connect")


def test_any_object_with_match_and_channel_names_is_a_routing_entry():
    router = Router([CustomEntry(), route("custom.channel", some_consumer)])
    assert router.channels == {"custom.channel"}
    assert router.match(msg("custom.channel", magic="yes")) == (third_consumer, {"custom": "1"})
    assert router.match(msg("custom.channel", magic="no")) == (some_consumer, {})


def test_custom_entries_inside_an_include_see_the_cut_message():
    class PathEcho:
        def match(self, message):
            return some_consumer, {"seen": message["path"], "channel": message.channel.name}

        def channel_names(self):
            return {"x"}

    inc = include([PathEcho()], path=r"^/pre")
    assert inc.match(msg("x", path="/pre/rest")) == (some_consumer, {"seen": "/rest", "channel": "x"})


# --- check_default ---------------------------------------------------------------


def test_check_default_adds_the_websocket_fallbacks():
    router = Router([route("thumbnails", some_consumer)])
    router.check_default()
    assert router.channels == {"thumbnails", "websocket.connect", "websocket.receive", "websocket.disconnect"}
    assert router.match(msg("websocket.connect", path="/any/")) == (accept_connection, {})
    assert router.match(msg("websocket.receive", path="/any/", text="x")) == (ignore_message, {})
    assert router.match(msg("websocket.disconnect", path="/any/", code=1000)) == (ignore_message, {})


def test_check_default_adds_no_http_request_fallback():
    router = Router([])
    router.check_default()
    assert "http.request" not in router.channels
    assert router.match(msg("http.request", path="/")) is None


def test_check_default_routes_http_request_only_to_a_given_consumer():
    router = Router([])
    router.check_default(http_consumer=other_consumer)
    assert router.match(msg("http.request", path="/")) == (other_consumer, {})


def test_user_routes_win_over_check_default_fallbacks():
    router = Router(
        [
            route("websocket.connect", some_consumer, path=r"^/chat/$"),
            route("websocket.receive", other_consumer, path=r"^/chat/$"),
        ]
    )
    router.check_default()
    assert router.match(msg("websocket.connect", path="/chat/")) == (some_consumer, {})
    assert router.match(msg("websocket.receive", path="/chat/", text="x")) == (other_consumer, {})
    assert router.match(msg("websocket.connect", path="/elsewhere/")) == (accept_connection, {})
    assert router.match(msg("websocket.receive", path="/elsewhere/", text="x")) == (ignore_message, {})


def test_accept_fallback_sends_accept_to_the_reply_channel():
    message = msg("websocket.connect", path="/", reply_channel="daphne.response.a!b")
    message.reply_channel = RecordingChannel()
    router = Router([])
    router.check_default()
    consumer, kwargs = router.match(message)
    assert consumer is accept_connection
    consumer(message, **kwargs)
    assert message.reply_channel.sent == [{"accept": True}]


def test_ignore_fallback_does_nothing():
    message = msg("websocket.receive", path="/", text="hello", reply_channel="daphne.response.a!b")
    message.reply_channel = RecordingChannel()
    assert ignore_message(message, room="x") is None
    assert message.reply_channel.sent == []
    assert message.content == {"path": "/", "text": "hello", "reply_channel": "daphne.response.a!b"}
