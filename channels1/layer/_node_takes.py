"""Taking from channels in several slots of a Redis Cluster: one pipeline of reads,
which the client sends as one write per node, and, when none had anything, one wait
per node on its doorbell instead of a blocking read per slot."""

import asyncio

from ._cluster import slot_of
from ._scripts import RECLAIM

# No entry yet: any ring comes after it.
NO_RING = b"0-0"


async def take_by_node(streams, channel_of, by_slot, max_messages, block):
    """Up to max_messages deliveries (a fair share per slot) from the channels of
    ``channel_of`` (stream key -> channel), whose keys ``by_slot`` groups by slot."""
    groups = list(by_slot.values())
    share = -(-max_messages // len(groups))
    waiting = block and not streams._stopping
    results, marks = await _read_each_node(streams, channel_of, groups, share, waiting, streams._reclaim_due())
    taken = [delivery for result in results for delivery in result]
    busy = [keys for keys, result in zip(groups, results) if len(result) >= share]
    if busy and len(taken) < max_messages:
        # Quiet slots left part of the batch unused: busy ones fill it.
        more = await streams._take_each(channel_of, busy, -(-(max_messages - len(taken)) // len(busy)), False)
        taken += [delivery for result in more for delivery in result]
    if taken or not block or streams._stopping:
        return taken
    if not await _wait_for_doorbells(streams, marks) or streams._stopping:
        return []
    results, _ = await _read_each_node(streams, channel_of, groups, share, False, False)
    return [delivery for result in results for delivery in result]


async def _read_each_node(streams, channel_of, groups, share, mark, reclaim):
    """A non-blocking read of ``share`` from each group of keys (after taking over what
    silent receivers held, if ``reclaim``), in one pipeline; with ``mark``, each node's
    doorbell's last ring first, in that node's part of it: ``(deliveries per group,
    {doorbell: last ring})``."""
    present = set(await streams._ensure_groups([key for keys in groups for key in keys], create=mark))
    groups = [[key for key in keys if key in present] for keys in groups]
    doorbells = streams._shards.doorbells
    await doorbells.ready()
    bells = list(dict.fromkeys(doorbells.key(slot_of(keys[0])) for keys in groups if keys)) if mark else []
    pipe = streams._shards.clients[0].pipeline()
    for bell in bells:
        pipe.execute_command("XREVRANGE", bell, "+", "-", "COUNT", 1)
    for keys in groups:
        if keys:
            if reclaim:
                RECLAIM.queue(pipe, keys, streams._reclaim_args(share))
            pipe.execute_command(*streams._read_command(keys, share, False))
    replies = iter(await pipe.execute(raise_on_error=False))
    marks = {}
    for bell in bells:
        reply = next(replies)
        marks[bell] = NO_RING if not reply else reply[0][0] if not isinstance(reply, Exception) else reply
    results, failed = [], []
    for keys in groups:
        channels = [channel_of[key] for key in keys]
        replies_of_group = [next(replies) for _ in range((1 + reclaim) if keys else 0)]
        if any(isinstance(reply, Exception) for reply in replies_of_group):
            failed.append(len(results))
            results.append([])
            continue
        result = streams._reclaimed(channels, keys, replies_of_group[0]) if keys and reclaim else []
        results.append(result + (streams._read_deliveries(channels, keys, replies_of_group[-1]) if keys else []))
    taken = [delivery for result in results for delivery in result]
    errors = [reply for reply in marks.values() if isinstance(reply, Exception)]
    if errors:
        streams._hand_back(taken)
        raise errors[0]
    if failed:
        # Taken one slot at a time, where a missing group, a script to load again or a
        # key that is not a stream is dealt with.
        try:
            again = await streams._take_each(channel_of, [groups[index] for index in failed], share, reclaim)
        except BaseException:
            streams._hand_back(taken)
            raise
        for index, result in zip(failed, again):
            results[index] = result
    if reclaim:
        await asyncio.gather(*(
            streams._forget_idle_consumers([channel_of[key] for key in keys], keys) for keys in groups if keys
        ))
    return results, marks


async def _wait_for_doorbells(streams, marks):
    """Until one of the doorbells rings after its mark (True), or the block timeout
    passes. A wait still in flight from an earlier take is waited on again, not
    doubled: it would have ended if its doorbell had rung since."""
    client = streams._shards.clients[0]
    waits = []
    for bell, mark in marks.items():
        wait = streams._blocking_reads.get(("doorbell", bell))
        if wait is None:
            wait = asyncio.ensure_future(client.execute_command(
                "XREAD", "BLOCK", int(streams._layer.block_timeout * 1000), "STREAMS", bell, mark,
            ))
            wait.add_done_callback(lambda done, bell=bell: _wait_done(streams, bell, done))
            streams._blocking_reads[("doorbell", bell)] = wait
        waits.append(wait)
    if not waits:
        return False
    done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for wait in done:
        if not wait.cancelled() and wait.exception() is not None:
            raise wait.exception()
    return any(not wait.cancelled() and wait.result() for wait in done)


def _wait_done(streams, bell, wait):
    streams._blocking_reads.pop(("doorbell", bell), None)
    if not wait.cancelled():
        wait.exception()  # retrieved: whoever awaited it raised it


def stop_doorbell_waits(streams):
    """Doorbell waits take no message: on stop they end at once, not after a block timeout."""
    for key, wait in list(streams._blocking_reads.items()):
        if key[0] == "doorbell":
            wait.cancel()
