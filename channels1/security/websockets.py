"""Origin checks for websocket.connect consumers: wrap a consumer in an origin
validator and sockets opened from pages of other sites are rejected (HTTP 403)
before the consumer runs."""

import functools
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import validate_host

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
        origin = None
        for name, value in header_items(message):
            if name == b"origin":
                try:
                    origin = value.decode("ascii")
                except UnicodeDecodeError:
                    origin = None
        return origin

    def validate_origin(self, message, origin):
        """True if a socket from ``origin`` (e.g. ``"https://example.com"``) may connect."""
        raise NotImplementedError("Subclasses of BaseOriginValidator must implement validate_origin()")


class AllowedHostsOnlyOriginValidator(BaseOriginValidator):
    """Lets in origins whose host name is in ALLOWED_HOSTS (port ignored; wildcards as
    Django's own Host check); with DEBUG and no ALLOWED_HOSTS, the local names."""

    def validate_origin(self, message, origin):
        allowed_hosts = settings.ALLOWED_HOSTS
        if settings.DEBUG and not allowed_hosts:
            allowed_hosts = DEBUG_ALLOWED_HOSTS
        host = origin_host(origin)
        return bool(host) and validate_host(host, allowed_hosts)


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
