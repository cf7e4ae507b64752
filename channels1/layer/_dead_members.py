"""Group members whose socket is gone are removed when a group send finds their
process's list full, instead of being skipped on every send until the group expiry.
A member is gone when its Daphne is alive but no longer lists its socket as open, or
when its Daphne stopped (no live record) with its sockets still listed."""

import logging
import math
import time

from ._memberships import joined_key
from ._sockets import owner_of, sockets_key
from ._stats import Summary
from .keys import live_key

logger = logging.getLogger("channels1.layer")

# Seconds between two checks of one process's members of one group.
CHECK_INTERVAL = 5
CHECKS_KEPT = 10_000


class DeadMembers:
    def __init__(self, layer):
        self.layer = layer
        self._checked = {}  # (group key, owner) -> when they were last checked
        self._live = (-math.inf, set())  # when the live Daphnes were read, and their owners
        self._removed = Summary(
            logger, "group_send removed %d member(s) whose socket was gone since the last such line; by group: %s")

    async def remove(self, shards, group, group_key, channels):
        """Remove those of ``channels`` (members of one process, whose list was full)
        whose socket is gone; how many were removed."""
        owner = owner_of(channels[0])
        now = time.monotonic()
        if now - self._checked.get((group_key, owner), -math.inf) < CHECK_INTERVAL:
            return 0
        if len(self._checked) > CHECKS_KEPT:
            self._checked.clear()
        self._checked[group_key, owner] = now
        try:
            gone = await self._gone(shards.client(sockets_key(self.layer.prefix, owner)), owner, channels)
            if gone:
                await shards.execute([("ZREM", group_key, *gone)] + [
                    ("SREM", joined_key(self.layer.prefix, channel), group_key) for channel in gone
                ])
        except Exception as error:  # the send itself went through: they are checked again later
            logger.warning("Checking the members of group %s over capacity failed: %s", group, error)
            return 0
        if gone:
            self._removed.add(group, len(gone))
        return len(gone)

    async def _alive(self, client, owner):
        """Whether the Daphne of ``owner`` has a live record (named after its layer's
        consumer name, which ends with the start of the owner id). The records are read
        again after CHECK_INTERVAL, and whenever the owner is not among them."""
        read_at, owners = self._live
        if owner[:12] in owners and time.monotonic() - read_at < CHECK_INTERVAL:
            return True
        pattern = live_key(self.layer.prefix, "daphne", "*")
        owners = {key.decode().rpartition(".")[2] async for key in client.scan_iter(match=pattern, count=1000)}
        self._live = (time.monotonic(), owners)
        return owner[:12] in owners

    async def _gone(self, client, owner, channels):
        prefix = self.layer.prefix
        pipe = client.pipeline(transaction=False)
        pipe.exists(sockets_key(prefix, owner))
        pipe.hmget(sockets_key(prefix, owner), channels)
        listed, open_sockets = await pipe.execute()
        if await self._alive(client, owner):
            return [channel for channel, path in zip(channels, open_sockets) if path is None]
        if listed:
            return list(channels)  # its Daphne stopped; the sweep sends their disconnects
        return []  # not a Daphne's socket: only the group expiry tells
