"""Tests of channels1.security.websockets: the origin validators of connect consumers."""

import pytest

from channels1 import Message
from channels1.exceptions import DenyConnection
from channels1.security import AllowedHostsOnlyOriginValidator, BaseOriginValidator, allowed_hosts_only


class Recorder:
    """A stand-in consumer that records its calls."""

    def __init__(self):
        self.calls = []

    def __call__(self, message, *args, **kwargs):
        self.calls.append((message, args, kwargs))
        return "consumed"


def connect_message(origin=None, channel="websocket.connect"):
    headers = [[b"host", b"example.com"]]
    if origin is not None:
        headers.append([b"origin", origin if isinstance(origin, bytes) else origin.encode()])
    content = {"reply_channel": "daphne.response.abc!def", "path": "/ws/", "headers": headers, "query_string": b""}
    return Message(content, channel, channel_layer=None)


@pytest.fixture
def consumer():
    return Recorder()


@pytest.fixture
def hosts(settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["example.com"]
    return settings


def test_allowed_host_passes_with_arguments(hosts, consumer):
    message = connect_message("https://example.com")
    assert allowed_hosts_only(consumer)(message, "lobby", room="lobby") == "consumed"
    assert consumer.calls == [(message, ("lobby",), {"room": "lobby"})]


def test_alias():
    assert allowed_hosts_only is AllowedHostsOnlyOriginValidator


@pytest.mark.parametrize("origin", ["https://evil.example.org", "https://example.com.evil.org", "null"])
def test_foreign_origin_denied(hosts, consumer, origin):
    with pytest.raises(DenyConnection):
        allowed_hosts_only(consumer)(connect_message(origin))
    assert consumer.calls == []


@pytest.mark.parametrize("origin", [None, ""])
def test_missing_or_empty_origin_denied(hosts, consumer, origin):
    with pytest.raises(DenyConnection):
        allowed_hosts_only(consumer)(connect_message(origin))
    assert consumer.calls == []


def test_non_ascii_origin_denied(hosts, consumer):
    with pytest.raises(DenyConnection):
        allowed_hosts_only(consumer)(connect_message("https://exämple.com".encode("utf-8")))
    assert consumer.calls == []


def test_damaged_origin_denied(hosts, consumer):
    with pytest.raises(DenyConnection):
        allowed_hosts_only(consumer)(connect_message("http://[::1"))


@pytest.mark.parametrize("entry", [[b"origin"], [b"origin", b"https://example.com", b"extra"], b"origin", None])
def test_malformed_origin_header_entries_deny(hosts, consumer, entry):
    message = connect_message()
    message.content["headers"].append(entry)
    with pytest.raises(DenyConnection):
        allowed_hosts_only(consumer)(message)
    assert consumer.calls == []


def test_1x_dict_headers_are_read(hosts, consumer):
    message = connect_message()
    message.content["headers"] = {"origin": "https://example.com", "host": "example.com"}
    assert allowed_hosts_only(consumer)(message) == "consumed"


@pytest.mark.parametrize(
    "origin, allowed",
    [
        ("https://example.com", True),
        ("https://chat.example.com", True),
        ("https://a.b.example.com", True),
        ("https://badexample.com", False),
        ("https://example.org", False),
    ],
)
def test_subdomain_wildcard(settings, consumer, origin, allowed):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [".example.com"]
    validated = allowed_hosts_only(consumer)
    if allowed:
        validated(connect_message(origin))
        assert len(consumer.calls) == 1
    else:
        with pytest.raises(DenyConnection):
            validated(connect_message(origin))


def test_star_allows_any_origin(settings, consumer):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["*"]
    allowed_hosts_only(consumer)(connect_message("http://anything.test:9000"))
    assert len(consumer.calls) == 1


@pytest.mark.parametrize("origin", ["https://example.com:8443", "http://EXAMPLE.com:8000"])
def test_port_and_case_ignored(hosts, consumer, origin):
    allowed_hosts_only(consumer)(connect_message(origin))
    assert len(consumer.calls) == 1


def test_ipv6_origin_matches_bracketed_host(settings, consumer):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["[::1]"]
    allowed_hosts_only(consumer)(connect_message("http://[::1]:8000"))
    assert len(consumer.calls) == 1


@pytest.mark.parametrize("origin", ["http://localhost:8000", "http://127.0.0.1:8000", "http://[::1]:8000"])
def test_debug_with_no_allowed_hosts_allows_local_names(settings, consumer, origin):
    settings.DEBUG = True
    settings.ALLOWED_HOSTS = []
    allowed_hosts_only(consumer)(connect_message(origin))
    assert len(consumer.calls) == 1


def test_debug_with_no_allowed_hosts_denies_others(settings, consumer):
    settings.DEBUG = True
    settings.ALLOWED_HOSTS = []
    with pytest.raises(DenyConnection):
        allowed_hosts_only(consumer)(connect_message("http://example.com"))


def test_no_allowed_hosts_without_debug_denies_all(settings, consumer):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = []
    with pytest.raises(DenyConnection):
        allowed_hosts_only(consumer)(connect_message("http://localhost"))


def test_subclass_validate_origin(consumer):
    class OnlyTrusted(BaseOriginValidator):
        def __init__(self, consumer):
            super().__init__(consumer)
            self.seen = []

        def validate_origin(self, message, origin):
            self.seen.append((message, origin))
            return origin == "https://trusted.test"

    validated = OnlyTrusted(consumer)
    good = connect_message("https://trusted.test")
    validated(good)
    assert consumer.calls == [(good, (), {})]
    with pytest.raises(DenyConnection):
        validated(connect_message("https://other.test"))
    assert [origin for _, origin in validated.seen] == ["https://trusted.test", "https://other.test"]
    assert validated.seen[0][0] is good


def test_base_validator_needs_validate_origin(consumer):
    with pytest.raises(NotImplementedError):
        BaseOriginValidator(consumer)(connect_message("https://example.com"))


def test_only_for_connect_consumers(hosts, consumer):
    with pytest.raises(ValueError, match="websocket.connect"):
        allowed_hosts_only(consumer)(connect_message("https://example.com", channel="websocket.receive"))


def test_keeps_the_consumer_name():
    def chat_connect(message):
        """Joins the room."""

    validated = allowed_hosts_only(chat_connect)
    assert validated.__name__ == "chat_connect"
    assert validated.__qualname__.endswith("chat_connect")
    assert validated.__module__ == __name__
    assert validated.__doc__ == "Joins the room."
    assert validated.__wrapped__ is chat_connect


def test_decorator_form(hosts):
    @allowed_hosts_only
    def connect(message):
        return "joined"

    assert connect(connect_message("https://example.com")) == "joined"
    with pytest.raises(DenyConnection):
        connect(connect_message("https://example.org"))
