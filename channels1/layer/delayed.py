"""Delayed messages on the layer: a sorted set ``<prefix>:delay`` of packed
messages scored by when they are due, and one atomic script that moves the due
ones onto their channels (`MOVE_DUE`, on the server's clock), so any number of
delay processes can share it."""

from ._codec import pack_message
from ._scripts import MOVE_DUE
from ._batcher import GROUP

RETRY_FULL_MS = 1000  # a due message whose channel is full is tried again this much later


def delay_key(layer):
    return f"{layer.prefix}:delay"


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
    runtime = await layer._runtime()
    await runtime.client.zadd(delay_key(layer), {header + body: due_ms})


async def move_due(layer, limit=100):
    """Move up to ``limit`` due messages onto their channels: ``(sent, full,
    wait)``, the full ones being due again a second later, ``wait`` the seconds
    until the next is due (None if none is left)."""
    runtime = await layer._runtime()
    sent, full, wait_ms = await MOVE_DUE(
        runtime.client, [delay_key(layer)], [layer.expiry * 1000, GROUP, limit, RETRY_FULL_MS]
    )
    return sent, full, None if wait_ms < 0 else wait_ms / 1000
