"""Origin checks for websocket.connect consumers: wrap a consumer in an origin
validator and sockets opened from pages of other sites are rejected (HTTP 403)
before the consumer runs."""

import functools
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

from .._headers import header_items
from ..exceptions import DenyConnection

DEBUG_ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]


class BaseOriginValidator:
    """Wraps a websocket.connect consumer: a socket without an ASCII Origin header,
    or whose origin ``validate_origin`` refuses, gets DenyConnection; the others go
    on to the consumer. Subclasses implement ``validate_origin``."""

    def __init__(self, consumer):
        self.inner_consumer = consumer
        functools.update_wrapper(self, consumer)

    def __call__(self, message, *args, **kwargs):
        if message.channel.name != "websocket.connect":
            raise ValueError(
                f"{type(self).__name__} only wraps websocket.connect consumers, "
                f"not one for {message.channel.name!r}."
            )
        origin = self.get_origin(message)
        if not origin or not self.validate_origin(message, origin):
            raise DenyConnection
        return self.inner_consumer(message, *args, **kwargs)

    @staticmethod
    def get_origin(message):
        """The Origin header of a connect message as str; None if it is missing or
        not ASCII."""
        origin = _header(message, b"origin")
        try:
            return origin.decode("ascii") if origin is not None else None
        except UnicodeDecodeError:
            return None

    def validate_origin(self, message, origin):
        """True if a socket from ``origin`` (e.g. ``"https://example.com"``) may connect."""
        raise NotImplementedError("Subclasses of BaseOriginValidator must implement validate_origin()")


class AllowedHostsOnlyOriginValidator(BaseOriginValidator):
    """Lets in origins whose host name is in ALLOWED_HOSTS (port ignored; wildcards as
    Django's own Host check); with DEBUG and no ALLOWED_HOSTS, the local names."""

    def validate_origin(self, message, origin):
        host = origin_host(origin)
        return bool(host) and validate_host(host, _allowed_hosts())


class SameOriginValidator(BaseOriginValidator):
    """Lets in the site's own origin and the trusted ones, comparing scheme, host and
    port as Django's CSRF check does. The own origin is the socket's scheme (https for
    wss, or as SECURE_PROXY_SSL_HEADER says behind a proxy) with its Host header, which
    must be in ALLOWED_HOSTS; CHANNELS1_TRUSTED_ORIGINS lists others, like
    CSRF_TRUSTED_ORIGINS (``"https://app.example.com"``, ``"https://*.example.com"``)."""

    def validate_origin(self, message, origin):
        origin = origin.lower()
        return origin == own_origin(message) or origin_trusted(
            origin, getattr(settings, "CHANNELS1_TRUSTED_ORIGINS", ()))


def own_origin(message):
    """The origin of the site a connect message came in on, e.g. "https://example.com";
    None without a Host header in ALLOWED_HOSTS."""
    host = (_header(message, b"host") or b"").decode("latin-1").lower()
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, _allowed_hosts()):
        return None
    return f"{'https' if _is_secure(message) else 'http'}://{host}"


def origin_trusted(origin, trusted_origins):
    """True if ``origin`` is one of ``trusted_origins`` or, for an entry like
    "https://*.example.com", a subdomain of it with the same scheme."""
    try:
        parsed = urlsplit(origin)
    except ValueError:
        return False
    for trusted in trusted_origins:
        trusted = trusted.lower()
        if "*" in trusted:
            pattern = urlsplit(trusted)
            if pattern.scheme == parsed.scheme and is_same_domain(parsed.netloc, pattern.netloc.lstrip("*")):
                return True
        elif origin == trusted:
            return True
    return False


def _is_secure(message):
    if message.get("scheme") in ("wss", "https"):
        return True
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if not proxy_header:
        return False
    name, secure_value = proxy_header
    header = name.removeprefix("HTTP_").replace("_", "-").lower().encode("latin-1")
    value = (_header(message, header) or b"").decode("latin-1")
    return value.split(",", 1)[0].strip() == secure_value


def _header(message, name):
    """The last value of header ``name`` (lowercase bytes) in a connect message, or None."""
    found = None
    for header, value in header_items(message):
        if header == name:
            found = value
    return found


def _allowed_hosts():
    """ALLOWED_HOSTS, or with DEBUG and none set the local names, as Django's Host check."""
    if settings.DEBUG and not settings.ALLOWED_HOSTS:
        return DEBUG_ALLOWED_HOSTS
    return settings.ALLOWED_HOSTS


def origin_host(origin):
    """The lowercased host name of an origin URL, IPv6 addresses in brackets as in
    ALLOWED_HOSTS; None if there is none."""
    try:
        host = urlsplit(origin).hostname
    except ValueError:
        return None
    if host and ":" in host:
        host = f"[{host}]"
    return host


allowed_hosts_only = AllowedHostsOnlyOriginValidator
same_origin_only = SameOriginValidator
