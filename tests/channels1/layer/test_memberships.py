"""Renewing the memberships of open sockets: every group a channel joined (on any
host) has it scored anew and lasts another group expiry; groups it left are not
joined again."""


async def test_refresh_renews_every_group_a_channel_is_still_in(make_layer, layer_redis):
    layer = make_layer(group_expiry=100)
    channel = await layer.new_channel()
    layer._clock_offset_ms -= 60_000  # joined a minute ago, by the layer's clock
    for group in ("room.a", "room.b", "room.c"):
        await layer.group_add(group, channel)
    await layer.group_discard("room.c", channel)
    layer._clock_offset_ms += 60_000
    assert await layer.refresh_memberships([channel]) == 2
    now = layer._now_ms()
    for group in ("room.a", "room.b"):
        key = layer._group_key(group)
        assert now - 10_000 < layer_redis.of(key).zscore(key, channel) <= now
    left = layer._group_key("room.c")
    assert layer_redis.of(left).zscore(left, channel) is None
