"""The sockets each Daphne has open, kept in Redis by their reply channel, so that
when a Daphne dies without a word its sockets can be ended for it: their group
memberships and its process list removed, and their disconnects sent. A socket that
ended is marked for a while, so that a connect of it still waiting is not run."""

import json

from ._memberships import joined_key
from .keys import live_key


def sockets_key(prefix, owner):
    return f"{prefix}:sockets:{owner}"


def ended_key(prefix, reply_channel):
    return f"{prefix}:ended:{reply_channel}"


def ended_marker_ms(layer):
    """How long an ended socket stays marked: its connect, sent before, has expired by then."""
    return int(layer.expiry * 1000) + 1000


def owner_of(channel):
    """The process (layer instance) whose ``new_channel()`` made a process-specific name."""
    return channel.partition("!")[0].rpartition(".")[2]


def forget_memberships(layer, pipe, channels, joined):
    """Queue on ``pipe`` the removal of every group membership of ``channels``, given
    the groups each one ``joined``."""
    for channel, groups in zip(channels, joined):
        for group_key in groups:
            pipe.zrem(group_key, channel)
        pipe.delete(joined_key(layer.prefix, channel))


async def sweep(layer, client, suspected):
    """Take over the sockets of Daphnes with no live record on two sweeps in a row
    (``suspected`` carries the first sighting between calls): their memberships and
    process list are removed; returns ``[(reply channel, path)]`` to disconnect."""
    live = [key async for key in client.scan_iter(match=live_key(layer.prefix, "daphne", "*"), count=1000)]
    live_owners = {json.loads(record).get("owner") for record in (await client.mget(live) if live else []) if record}
    start = sockets_key(layer.prefix, "")
    owners = {key.decode()[len(start):] async for key in client.scan_iter(match=f"{start}*", count=1000)}
    dead = owners - live_owners
    ready, suspected_now = dead & suspected, dead - suspected
    suspected.clear()
    suspected.update(suspected_now)
    ended = []
    for owner in sorted(ready):
        claimed = f"{layer.prefix}:sweeping:{owner}"
        try:
            await client.rename(sockets_key(layer.prefix, owner), claimed)
        except Exception:
            continue  # another sweeper took it
        sockets = {rc.decode(): path.decode() for rc, path in (await client.hgetall(claimed)).items()}
        pipe = client.pipeline(transaction=False)
        for reply_channel in sockets:
            pipe.smembers(joined_key(layer.prefix, reply_channel))
        joined = await pipe.execute()
        pipe = client.pipeline(transaction=False)
        forget_memberships(layer, pipe, list(sockets), joined)
        for reply_channel in sockets:
            pipe.set(ended_key(layer.prefix, reply_channel), 1, px=ended_marker_ms(layer))
        pipe.delete(f"{layer.prefix}:p:daphne.response.{owner}", claimed)
        await pipe.execute()
        ended += sorted(sockets.items())
    return ended


async def forget_channel(layer, client, channel):
    """Remove every group membership ``channel`` still has; how many there were."""
    groups = await client.smembers(joined_key(layer.prefix, channel))
    pipe = client.pipeline(transaction=False)
    forget_memberships(layer, pipe, [channel], [groups])
    await pipe.execute()
    return len(groups)
