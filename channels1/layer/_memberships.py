"""Which groups each channel joined, kept beside the groups (for as long as a
membership lasts), so that the process owning open sockets can renew their
memberships before the group expiry drops them."""


def joined_key(prefix, channel):
    return f"{prefix}:joined:{channel}"


async def refresh(layer, client, channels, now_ms):
    """Renew every membership of ``channels`` (and the groups' own expiry); the
    number renewed. Groups a channel left meanwhile are not joined again."""
    expiry_ms = layer.group_expiry * 1000
    keys = [joined_key(layer.prefix, channel) for channel in channels]
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.smembers(key)
    joined = await pipe.execute()
    pipe = client.pipeline(transaction=False)
    renewed = 0
    for channel, key, groups in zip(channels, keys, joined):
        if not groups:
            continue
        for group_key in groups:
            pipe.zadd(group_key, {channel: now_ms}, xx=True)
            pipe.pexpire(group_key, expiry_ms)
            renewed += 1
        pipe.pexpire(key, expiry_ms)
    if renewed:
        await pipe.execute()
    return renewed
