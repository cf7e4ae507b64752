"""A process's record and counts: a heartbeat writes the record (expiring) and adds
the counts to the totals; leave() removes the record. On several hosts or a cluster
they all sit where the system's tag puts them."""

import json

from channels1.layer.keys import live_key, stats_key


async def test_a_heartbeat_records_the_process_and_adds_its_counts_to_the_totals(make_layer, layer_redis):
    layer = make_layer()
    for _ in range(3):
        await layer.send("test.counted", {})
    await layer.heartbeat("worker", {"channels": ["test.counted"]}, ttl=30)
    record_key, totals_key = live_key(layer.prefix, "worker", layer.consumer), stats_key(layer.prefix)
    record = json.loads(layer_redis.of(record_key).get(record_key))
    assert record["name"] == layer.consumer and record["channels"] == ["test.counted"]
    assert 0 < layer_redis.of(record_key).pttl(record_key) <= 30_000
    await layer.send("test.counted", {})
    await layer.heartbeat("worker", {"channels": ["test.counted"]}, ttl=30)
    assert layer_redis.of(totals_key).hget(totals_key, "sent|test.counted") == b"4"
    await layer.leave("worker")
    assert not layer_redis.of(record_key).exists(record_key)
