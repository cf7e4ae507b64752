"""Removing a normal channel that will never be used again (a request's body
channel), so its stream and consumer group do not stay in Redis."""


async def delete_channel(layer, channel):
    """Delete a normal channel with whatever it still holds."""
    layer.require_valid_channel_name(channel)
    if "!" in channel:
        raise ValueError(f"delete_channel() removes normal channels only, not {channel!r}")
    key = layer._stream_key(channel)
    runtime = await layer._runtime()
    await runtime.shards.client(key).unlink(key)
