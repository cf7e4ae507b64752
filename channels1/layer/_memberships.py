"""Which groups each channel joined, kept beside the groups (for as long as a
membership lasts), so that the process owning open sockets can renew their
memberships before the group expiry drops them."""


from ._shards import tagged_key


def joined_key(prefix, channel):
    return tagged_key(prefix, "joined", channel)


async def refresh(layer, shards, channels, now_ms):
    """Renew every membership of ``channels`` (and the groups' own expiry); the
    number renewed. Groups a channel left meanwhile are not joined again."""
    expiry_ms = layer.group_expiry * 1000
    keys = [joined_key(layer.prefix, channel) for channel in channels]
    joined = await shards.execute([("SMEMBERS", key) for key in keys])
    commands = []
    renewed = 0
    for channel, key, groups in zip(channels, keys, joined):
        if not groups:
            continue
        for group_key in groups:
            commands += [("ZADD", group_key, "XX", now_ms, channel), ("PEXPIRE", group_key, expiry_ms)]
            renewed += 1
        commands.append(("PEXPIRE", key, expiry_ms))
    if renewed:
        await shards.execute(commands)
    return renewed
