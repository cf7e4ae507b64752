"""Tests of channels1.security.websockets: the origin validators of connect consumers."""

import pytest

from channels1 import Message
from channels1.exceptions import DenyConnection
from channels1.security import (
    AllowedHostsOnlyOriginValidator,
    BaseOriginValidator,
    SameOriginValidator,
    allowed_hosts_only,
    same_origin_only,
)


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


# same_origin_only: scheme, host and port against the site's own origin and trusted ones.

def socket_on(host, origin, scheme=None, **headers):
    """A connect message that came in on ``host`` from a page of ``origin``."""
    content = {
        "reply_channel": "daphne.response.abc!def", "path": "/ws/", "query_string": b"",
        "headers": [[b"host", host.encode()], [b"origin", origin.encode()],
                    *([name.encode(), value.encode()] for name, value in headers.items())],
    }
    if scheme:
        content["scheme"] = scheme
    return Message(content, "websocket.connect", channel_layer=None)


@pytest.fixture
def site(settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["example.com"]
    settings.CHANNELS1_TRUSTED_ORIGINS = []
    return settings


def test_same_origin_only_is_the_validator_class():
    assert same_origin_only is SameOriginValidator


@pytest.mark.parametrize("host, origin, scheme", [
    ("example.com:8000", "http://example.com:8000", None),
    ("example.com", "http://EXAMPLE.com", "ws"),
    ("example.com", "https://example.com", "wss"),
])
def test_a_page_of_the_site_itself_gets_in(site, consumer, host, origin, scheme):
    same_origin_only(consumer)(socket_on(host, origin, scheme))
    assert len(consumer.calls) == 1


@pytest.mark.parametrize("host, origin, scheme", [
    ("example.com:8000", "http://example.com:8001", None),  # another port
    ("example.com:8000", "http://example.com", None),
    ("example.com", "https://example.com", None),  # another scheme
    ("example.com", "http://example.com", "wss"),
    ("example.com", "http://sub.example.com", None),  # another host
])
def test_another_port_scheme_or_host_is_refused(site, consumer, host, origin, scheme):
    with pytest.raises(DenyConnection):
        same_origin_only(consumer)(socket_on(host, origin, scheme))
    assert consumer.calls == []


def test_a_host_outside_allowed_hosts_has_no_own_origin(site, consumer):
    with pytest.raises(DenyConnection):
        same_origin_only(consumer)(socket_on("evil.example.org", "http://evil.example.org"))


def test_behind_a_proxy_the_forwarded_scheme_counts(site, consumer):
    site.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    validated = same_origin_only(consumer)
    validated(socket_on("example.com", "https://example.com", **{"x-forwarded-proto": "https"}))
    assert len(consumer.calls) == 1
    for origin, proto in [("http://example.com", "https"), ("https://example.com", "http")]:
        with pytest.raises(DenyConnection):
            validated(socket_on("example.com", origin, **{"x-forwarded-proto": proto}))
    del site.SECURE_PROXY_SSL_HEADER  # the header counts only where a proxy is declared
    with pytest.raises(DenyConnection):
        validated(socket_on("example.com", "https://example.com", **{"x-forwarded-proto": "https"}))


@pytest.mark.parametrize("origin, allowed", [
    ("https://app.example.net", True),
    ("http://app.example.net", False),
    ("https://app.example.net:8443", False),
    ("https://eu.example.org", True),
    ("https://example.org", True),  # as Django's own check: the domain itself too
    ("http://eu.example.org", False),
])
def test_trusted_origins_match_like_csrf_trusted_origins(site, consumer, origin, allowed):
    site.CHANNELS1_TRUSTED_ORIGINS = ["https://app.example.net", "https://*.example.org"]
    validated = same_origin_only(consumer)
    if allowed:
        validated(socket_on("example.com", origin))
        assert len(consumer.calls) == 1
    else:
        with pytest.raises(DenyConnection):
            validated(socket_on("example.com", origin))
