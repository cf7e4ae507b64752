"""Delayed messages on the layer: scheduled in a sorted set, moved onto their
channels when due (on the server's clock) by one atomic script."""

import asyncio

from channels1.layer.delayed import delay_key, move_due, schedule


async def server_now_ms(layer):
    seconds, micros = await layer._runtimes[asyncio.get_running_loop()].shards.clients[0].time()
    return seconds * 1000 + micros // 1000


async def test_a_message_reaches_its_channel_only_once_due(layer):
    await layer.send("warm.up", {})
    await schedule(layer, "later", {"n": 1}, await server_now_ms(layer) + 500, "id-1")
    sent, full, wait = await move_due(layer)
    assert (sent, full) == (0, 0) and 0 < wait <= 0.5
    await asyncio.sleep(wait)
    assert await move_due(layer) == (1, 0, None)
    assert await asyncio.wait_for(layer.receive("later"), 5) == {"n": 1}


async def test_process_channels_and_encrypted_layers_get_their_message(make_layer):
    layer = make_layer(symmetric_encryption_keys=["secret"])
    try:
        channel = await layer.new_channel("reply")
        await layer.send("warm.up", {})
        await schedule(layer, channel, {"bytes": b"\x00\xff", "text": "é"}, await server_now_ms(layer), "id-1")
        assert (await move_due(layer))[:2] == (1, 0)
        assert await asyncio.wait_for(layer.receive(channel), 5) == {"bytes": b"\x00\xff", "text": "é"}
    finally:
        await layer.close()


async def test_scheduling_one_id_twice_delivers_once(layer):
    await layer.send("warm.up", {})
    due = await server_now_ms(layer)
    for _ in range(2):
        await schedule(layer, "once", {"n": 1}, due, "same-id")
    assert await move_due(layer) == (1, 0, None)


async def test_a_full_channel_keeps_the_message_and_tries_again_a_second_later(make_layer):
    layer = make_layer(capacity=1)
    try:
        await layer.send("busy", {"first": True})
        await schedule(layer, "busy", {"second": True}, await server_now_ms(layer), "id-1")
        sent, full, wait = await move_due(layer)
        assert (sent, full) == (0, 1) and 0.9 < wait <= 1.0
        assert (await move_due(layer))[:2] == (0, 0)  # not due again yet
        assert await layer.receive("busy") == {"first": True}
        await asyncio.sleep(wait)
        assert (await move_due(layer))[:2] == (1, 0)
        assert await layer.receive("busy") == {"second": True}
    finally:
        await layer.close()


async def test_movers_racing_on_one_set_deliver_each_message_once(make_layer):
    layers = [make_layer(capacity=1000) for _ in range(4)]
    try:
        for layer in layers:
            await layer.send("warm.up", {})
        due = await server_now_ms(layers[0])
        for n in range(300):
            await schedule(layers[0], "raced", {"n": n}, due, f"id-{n}")
        results = await asyncio.gather(*(move_due(layer, 7) for layer in layers for _ in range(20)))
        assert sum(sent for sent, _, _ in results) == 300
        received = [(await layers[0].receive("raced"))["n"] for _ in range(300)]
        assert sorted(received) == list(range(300))
        delayed = delay_key(layers[0], layers[0]._stream_key("raced"))
        assert await layers[0]._runtimes[asyncio.get_running_loop()].shards.client(delayed).zcard(delayed) == 0
    finally:
        for layer in layers:
            await layer.close()
