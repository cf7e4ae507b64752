"""Doorbells on a Redis Cluster: a one-entry stream per primary, in a slot that primary
serves, rung after every write to a channel's stream there. A receiver of channels in
many slots then waits once per node (``XREAD BLOCK`` on its doorbell), not per slot."""

import functools
import itertools
import time

from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

# How long a map of which node serves which slot is trusted; redirects update it sooner.
MAP_SECONDS = 10.0


@functools.lru_cache(maxsize=None)
def tag_in_slot(slot):
    """A hash tag that places its keys in ``slot``."""
    for number in itertools.count():
        tag = f"s{number}"
        if key_slot(tag.encode()) == slot:
            return tag


class Doorbells:
    """The doorbell of each primary of the cluster that ``client`` knows: the key tagged
    with the first slot the primary serves. Writers and receivers find the same key
    while they agree on the slot map; when they do not (a slot moved, a replica took
    over), a receiver waits on a doorbell nobody rings, at most one block timeout."""

    def __init__(self, client, prefix):
        self._client = client
        self._prefix = prefix
        self._first_slots = {}
        self._map_seen = (None, 0.0)

    async def ready(self):
        """Learn the slot map if the client has not yet."""
        if not self._client.nodes_manager.slots_cache:
            await self._client.initialize()

    def node(self, slot):
        """The name of the primary serving ``slot`` (None if the map has no owner)."""
        nodes = self._client.nodes_manager.slots_cache.get(slot)
        return nodes[0].name if nodes else None

    def key(self, slot):
        """The doorbell that a write to ``slot`` rings and its receivers wait on."""
        node = self.node(slot)
        first = self._first_slot_of_each_node().get(node, slot)
        return f"{self._prefix}:bell:{{{tag_in_slot(first)}}}"

    def ring(self, slot):
        """The command that rings the doorbell of ``slot``'s primary."""
        return ("XADD", self.key(slot), "MAXLEN", "1", "*", "r", "1")

    def _first_slot_of_each_node(self):
        slots = self._client.nodes_manager.slots_cache
        seen, when = self._map_seen
        if slots is not seen or time.monotonic() - when > MAP_SECONDS:
            self._first_slots, self._map_seen = first_slots(slots), (slots, time.monotonic())
        return self._first_slots


def first_slots(slots_cache):
    """{primary's name (host:port): the first slot it serves} by a cluster client's map."""
    first = {}
    for slot in range(REDIS_CLUSTER_HASH_SLOTS):
        nodes = slots_cache.get(slot)
        if nodes:
            first.setdefault(nodes[0].name, slot)
    return first
