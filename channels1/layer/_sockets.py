"""The sockets each Daphne has open, kept in Redis by their reply channel, so that
when a Daphne dies without a word its sockets can be ended for it: their group
memberships and its process list removed, and their disconnects sent."""

import json

from ._memberships import joined_key
from .keys import SYSTEM_TAG, live_key


def sockets_key(prefix, owner):
    return f"{prefix}:sockets:{SYSTEM_TAG}:{owner}"


def _claimed_key(prefix, owner):
    # Beside the sockets key (same hash tag), which RENAME needs.
    return f"{prefix}:sweeping:{SYSTEM_TAG}:{owner}"


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
        commands = []
        for reply_channel, groups in zip(sockets, joined):
            for group_key in groups:
                commands.append(("ZREM", group_key, reply_channel))
            commands.append(("DEL", joined_key(layer.prefix, reply_channel)))
        commands += [("DEL", layer._process_key(f"daphne.response.{owner}!")), ("DEL", claimed)]
        await shards.execute(commands)
        ended += sorted(sockets.items())
    return ended
