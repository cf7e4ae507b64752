"""Security helpers of the Channels 1.x API."""

from .websockets import AllowedHostsOnlyOriginValidator, BaseOriginValidator, allowed_hosts_only

__all__ = ["AllowedHostsOnlyOriginValidator", "BaseOriginValidator", "allowed_hosts_only"]
