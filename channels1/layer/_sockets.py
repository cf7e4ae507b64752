"""The sockets each Daphne has open, kept in Redis by their reply channel, so that
when a Daphne dies without a word its sockets can be ended for it: their group
memberships and its process list removed, and their disconnects sent. A socket that
ended is marked for a while, so that a connect of it still waiting is not run."""

import json

from ._memberships import joined_key
from ._shards import tagged_key
from .keys import SYSTEM_TAG, live_key


def sockets_key(prefix, owner):
    return f"{prefix}:sockets:{SYSTEM_TAG}:{owner}"


def _claimed_key(prefix, owner):
    # Beside the sockets key (same hash tag), which RENAME needs.
    return f"{prefix}:sweeping:{SYSTEM_TAG}:{owner}"


def ended_key(prefix, reply_channel):
    return tagged_key(prefix, "ended", reply_channel)


def ended_marker_ms(layer):
    """How long an ended socket stays marked: its connect, sent before, has expired by then."""
    return int(layer.expiry * 1000) + 1000


def owner_of(channel):
    """The process (layer instance) whose ``new_channel()`` made a process-specific name."""
    return channel.partition("!")[0].rpartition(".")[2]


def membership_removals(layer, channels, joined):
    """The commands that remove every group membership of ``channels``, given the
    groups each one ``joined``."""
    commands = []
    for channel, groups in zip(channels, joined):
        for group_key in groups:
            commands.append(("ZREM", group_key, channel))
        commands.append(("DEL", joined_key(layer.prefix, channel)))
    return commands


async def sweep(layer, shards, suspected):
    """Take over the sockets of Daphnes with no live record on two sweeps in a row
    (``suspected`` carries the first sighting between calls): their memberships and
    process list are removed; returns ``[(reply channel, path)]`` to disconnect."""
    client = shards.client(sockets_key(layer.prefix, ""))  # where every key of the system tag lives
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
        claimed = _claimed_key(layer.prefix, owner)
        try:
            await client.rename(sockets_key(layer.prefix, owner), claimed)
        except Exception:
            continue  # another sweeper took it
        sockets = {rc.decode(): path.decode() for rc, path in (await client.hgetall(claimed)).items()}
        joined = await shards.execute([("SMEMBERS", joined_key(layer.prefix, reply_channel)) for reply_channel in sockets])
        commands = membership_removals(layer, list(sockets), joined)
        for reply_channel in sockets:
            commands.append(("SET", ended_key(layer.prefix, reply_channel), 1, "PX", ended_marker_ms(layer)))
        commands += [("DEL", layer._process_key(f"daphne.response.{owner}!")), ("DEL", claimed)]
        await shards.execute(commands)
        ended += sorted(sockets.items())
    return ended


async def forget_channel(layer, shards, channel):
    """Remove every group membership ``channel`` still has; how many there were."""
    [groups] = await shards.execute([("SMEMBERS", joined_key(layer.prefix, channel))])
    await shards.execute(membership_removals(layer, [channel], [groups]))
    return len(groups)
