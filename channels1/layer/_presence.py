"""The records live processes keep of themselves in Redis: one short-lived key per
worker or Daphne, written at each heartbeat together with the counts the layer
gathered since the last one, so that any process can see the whole system."""

import json
import os
import socket
import time

from .keys import live_key, stats_key


async def beat(layer, shards, kind, info, ttl):
    """Write this process's record (expiring after ``ttl`` seconds) and add the counts
    taken from ``layer.stats`` to the totals; counts that could not be written are
    given back, so that the next beat carries them."""
    record = {"host": socket.gethostname(), "pid": os.getpid(), "name": layer.consumer, "seen": time.time(), **info}
    counts = layer.stats.take()
    commands = [("SET", live_key(layer.prefix, kind, layer.consumer), json.dumps(record), "PX", int(ttl * 1000))]
    for field, amount in counts.items():
        commands.append(("HINCRBY", stats_key(layer.prefix), field, amount))
    try:
        await shards.execute(commands)
    except BaseException:
        layer.stats.give_back(counts)
        raise


async def leave(layer, shards, kind):
    """Remove this process's record: it stops on purpose."""
    key = live_key(layer.prefix, kind, layer.consumer)
    await shards.client(key).delete(key)
