"""Delayed messages on the layer: scheduled in a sorted set, moved onto their
channels when due by one atomic script."""

import asyncio

from channels1.layer.delayed import delay_key, move_due, next_due_ms, schedule


async def test_a_message_reaches_its_channel_only_once_due(layer):
    await layer.send("warm.up", {})  # starts the runtime and reads the server clock
    now = layer._now_ms()
    await schedule(layer, "later", {"n": 1}, now + 2_000, "id-1")
    assert await move_due(layer) == (0, 0)
    assert await next_due_ms(layer) == now + 2_000
    layer._clock_offset_ms += 2_000
    assert await move_due(layer) == (1, 0)
    assert await asyncio.wait_for(layer.receive("later"), 5) == {"n": 1}
    assert await next_due_ms(layer) is None


async def test_process_channels_and_encrypted_layers_get_their_message(make_layer):
    layer = make_layer(symmetric_encryption_keys=["secret"])
    try:
        channel = await layer.new_channel("reply")
        await layer.send("warm.up", {})
        await schedule(layer, channel, {"bytes": b"\x00\xff", "text": "é"}, layer._now_ms(), "id-1")
        assert await move_due(layer) == (1, 0)
        assert await asyncio.wait_for(layer.receive(channel), 5) == {"bytes": b"\x00\xff", "text": "é"}
    finally:
        await layer.close()


async def test_scheduling_one_id_twice_delivers_once(layer):
    await layer.send("warm.up", {})
    due = layer._now_ms()
    for _ in range(2):
        await schedule(layer, "once", {"n": 1}, due, "same-id")
    assert await move_due(layer) == (1, 0)


async def test_a_full_channel_keeps_the_message_and_tries_again_a_second_later(make_layer):
    layer = make_layer(capacity=1)
    try:
        await layer.send("busy", {"first": True})
        await schedule(layer, "busy", {"second": True}, layer._now_ms(), "id-1")
        assert await move_due(layer) == (0, 1)
        assert await move_due(layer) == (0, 0)  # not due again yet
        assert await layer.receive("busy") == {"first": True}
        layer._clock_offset_ms += 1000
        assert await move_due(layer) == (1, 0)
        assert await layer.receive("busy") == {"second": True}
    finally:
        await layer.close()


async def test_movers_racing_on_one_set_deliver_each_message_once(make_layer):
    layers = [make_layer(capacity=1000) for _ in range(4)]
    try:
        due = None
        for layer in layers:
            await layer.send("warm.up", {})
            due = layer._now_ms()
        for n in range(300):
            await schedule(layers[0], "raced", {"n": n}, due, f"id-{n}")
        results = await asyncio.gather(*(move_due(layer, 7) for layer in layers for _ in range(20)))
        assert sum(sent for sent, _ in results) == 300
        received = [(await layers[0].receive("raced"))["n"] for _ in range(300)]
        assert sorted(received) == list(range(300))
        assert await layers[0]._runtimes[asyncio.get_running_loop()].client.zcard(delay_key(layers[0])) == 0
    finally:
        for layer in layers:
            await layer.close()
