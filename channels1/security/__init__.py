"""Security helpers: origin checks for connect consumers. ``same_origin_only`` compares
scheme, host and port with the site's own and trusted origins; ``allowed_hosts_only``
checks the host name only, as Channels 1.x did."""

from .websockets import (
    AllowedHostsOnlyOriginValidator,
    BaseOriginValidator,
    SameOriginValidator,
    allowed_hosts_only,
    same_origin_only,
)

__all__ = [
    "AllowedHostsOnlyOriginValidator",
    "BaseOriginValidator",
    "SameOriginValidator",
    "allowed_hosts_only",
    "same_origin_only",
]
