"""The heartbeat of a worker or Daphne: it stops when asked, even if the beat in
flight loses the cancellation (redis-py can, when a cancel breaks its read)."""

import asyncio

from channels1._heartbeat import Heartbeat


class LayerThatSwallowsACancel:
    """Its first heartbeat waits until cancelled, then returns as if nothing happened."""

    def __init__(self):
        self.beating = asyncio.Event()
        self.beats = 0
        self.left = []

    async def heartbeat(self, kind, info, ttl):
        self.beats += 1
        if self.beats == 1:
            self.beating.set()
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                pass

    async def leave(self, kind):
        self.left.append(kind)


async def test_stop_ends_the_heartbeat_even_if_the_beat_in_flight_swallows_the_cancel(settings):
    settings.CHANNELS1_HEARTBEAT_INTERVAL = 3600
    layer = LayerThatSwallowsACancel()
    heartbeat = Heartbeat(layer, "worker", dict)
    heartbeat.start()
    await layer.beating.wait()
    await asyncio.wait_for(heartbeat.stop(), 10)
    assert layer.left == ["worker"]
