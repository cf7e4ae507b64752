"""Delayed messages on the layer: a sorted set of packed messages beside each channel
(same hash tag, so on the same host and slot), scored by when they are due, an index
of those sets by when each is next due, and one atomic script per set that moves the
due ones onto their channel (`MOVE_DUE`, on the server's clock), so any number of
delay processes can share them. On a cluster a move rings the doorbell of the
channel's primary, as a send does."""

from ._batcher import GROUP
from ._codec import pack_message
from ._cluster import slot_of
from ._scripts import MOVE_DUE
from ._shards import hash_tag
from .keys import SYSTEM_TAG

RETRY_FULL_MS = 1000  # a due message whose channel is full is tried again this much later


def delay_key(layer, channel_key):
    """The sorted set of delayed messages for the channel stored at ``channel_key``."""
    return f"{layer.prefix}:delay:{{{hash_tag(channel_key)}}}"


def delay_index_key(layer):
    return f"{layer.prefix}:delays:{SYSTEM_TAG}"


async def schedule(layer, channel, content, due_ms, message_id):
    """Keep ``content`` for ``channel`` until ``due_ms``. ``message_id`` names the
    message: scheduling one id again (a redelivered request) changes nothing."""
    layer.require_valid_channel_name(channel)
    body = pack_message(channel, content, layer.max_message_size, layer.crypter)
    if "!" in channel:
        kind, key = "l", layer._process_key(channel)
    else:
        kind, key = "s", layer._stream_key(channel)
    header = f"{kind}\n{layer.get_capacity(channel)}\n{key}\n{channel}\n{message_id}\n".encode()
    shards = (await layer._runtime()).shards
    delayed, index = delay_key(layer, key), delay_index_key(layer)
    await shards.client(delayed).zadd(delayed, {header + body: due_ms})
    # After the message: a mover that emptied the set meanwhile has unlisted it.
    await shards.client(index).zadd(index, {delayed: due_ms}, lt=True)


async def move_due(layer, limit=100):
    """Move up to ``limit`` due messages onto their channels: ``(sent, full,
    wait)``, the full ones being due again a second later, ``wait`` the seconds
    until the next is due (None if none is left)."""
    shards = (await layer._runtime()).shards
    index = delay_index_key(layer)
    indexed = shards.client(index)
    seconds, micros = await indexed.time()
    now_ms = seconds * 1000 + micros // 1000
    due = [key.decode() for key in await indexed.zrangebyscore(index, "-inf", now_ms, start=0, num=limit)]
    sent = full = 0
    waits = []
    for delayed in due:
        left = limit - sent - full
        if not left:
            waits.append(0)
            break
        moved, refused, wait_ms = await MOVE_DUE(
            shards.client(delayed), [delayed], [layer.expiry * 1000, GROUP, left, RETRY_FULL_MS]
        )
        sent, full = sent + moved, full + refused
        if moved and shards.doorbells is not None:
            await shards.doorbells.ready()
            await shards.client(delayed).execute_command(*shards.doorbells.ring(slot_of(delayed)))
        if wait_ms != 0:
            await _list_again(shards, index, delayed, None if wait_ms < 0 else now_ms + wait_ms)
        if wait_ms >= 0:
            waits.append(wait_ms)
    later = [score for key, score in await indexed.zrange(index, 0, len(due), withscores=True)
             if key.decode() not in due]
    waits += [max(0, int(score) - now_ms) for score in later[:1]]
    return sent, full, min(waits) / 1000 if waits else None


async def _list_again(shards, index, delayed, next_ms):
    """Set when ``delayed`` is next due in the index (unlist it if empty); then make
    sure a message scheduled meanwhile keeps it listed early enough."""
    indexed = shards.client(index)
    if next_ms is None:
        await indexed.zrem(index, delayed)
    else:
        await indexed.zadd(index, {delayed: next_ms}, gt=True)
    first = await shards.client(delayed).zrange(delayed, 0, 0, withscores=True)
    if first:
        await indexed.zadd(index, {delayed: first[0][1]}, lt=True)
