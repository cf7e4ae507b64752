"""The sockets a Daphne has open, ended for it when it dies without a word: on the
second sweep without its record, their memberships (in groups on any host) and its
process list are removed, and they are handed back to be disconnected."""

from .conftest import vanish


async def test_the_sockets_of_a_daphne_gone_without_a_word_are_ended_on_the_second_sweep(make_layer, layer_redis):
    daphne, worker = make_layer(), make_layer()
    await daphne.heartbeat("daphne", {"owner": daphne.client_prefix}, ttl=30)
    sockets = [await daphne.new_channel("daphne.response") for _ in range(6)]
    for n, reply_channel in enumerate(sockets):
        await daphne.group_add(f"room{n % 3}", reply_channel)
        await daphne.track_socket(reply_channel, f"/ws/{n}/")
    await daphne.send(sockets[0], {"unread": True})
    suspected = set()
    assert await worker.sweep_dead_sockets(suspected) == []  # alive
    await daphne.leave("daphne")
    vanish(daphne)
    assert await worker.sweep_dead_sockets(suspected) == []  # gone once: not yet
    ended = await worker.sweep_dead_sockets(suspected)
    assert ended == sorted((reply_channel, f"/ws/{n}/") for n, reply_channel in enumerate(sockets))
    groups = [worker._group_key(f"room{n}") for n in range(3)]
    assert [layer_redis.of(key).zcard(key) for key in groups] == [0, 0, 0]
    process_list = worker._process_key(sockets[0])
    assert not layer_redis.of(process_list).exists(process_list)
    # What is left: a marker per ended socket, so that a connect still waiting is not run.
    left = sorted(key.decode() for key in layer_redis.keys(f"{worker.prefix}:*"))
    assert left == sorted(f"{worker.prefix}:ended:{{{reply_channel}}}" for reply_channel in sockets)
    assert await worker.sweep_dead_sockets(suspected) == []  # nothing left to end
