"""receive()'s read-ahead on normal channels (``receive_prefetch``): how many messages
a read asks for, and handing back those that wait in the process's buffer, untaken,
longer than HOLD_SECONDS, so that other receivers need not wait for them."""

import asyncio
import collections
import time

# A receiver in a loop takes its next message within milliseconds; one that takes
# none for a second is busy or stuck, and what it read ahead goes to the others then
# rather than after the visibility timeout. A second is also the default block_timeout
# and the longest reclaim interval, so another receiver takes it within about one more.
HOLD_SECONDS = 1.0


class ReadAhead:
    def __init__(self, streams, prefetch, at_least_once):
        self._streams = streams
        # At most once, a message read ahead would be lost with the process: none then.
        self.enabled = prefetch > 1 and at_least_once
        self._prefetch = prefetch
        self._kept = collections.defaultdict(collections.deque)  # channel -> (hand back at, delivery)
        self._timers = {}  # channel -> its pending hand-back check

    def count(self, waiting):
        """How many messages a read for ``waiting`` receives asks for."""
        return max(waiting, self._prefetch) if self.enabled else waiting

    def keep(self, channel, delivery):
        """Buffer a delivery no receive() waits for; handed back if none takes it in time."""
        self._streams._buffered[channel].append(delivery)
        if not self.enabled:
            return
        self._kept[channel].append((time.monotonic() + HOLD_SECONDS, delivery))
        if channel not in self._timers:
            self._timers[channel] = asyncio.get_running_loop().call_later(HOLD_SECONDS, self._hand_back_stale, channel)

    def _hand_back_stale(self, channel):
        del self._timers[channel]
        kept = self._kept[channel]
        now = time.monotonic()
        stale = []
        while kept and kept[0][0] <= now:
            stale.append(kept.popleft()[1])
        buffered = self._streams._buffered.get(channel)
        if buffered:
            stale = [delivery for delivery in stale if delivery in buffered]
            for delivery in stale:
                buffered.remove(delivery)
            self._streams._hand_back(stale)
        if kept:
            self._timers[channel] = asyncio.get_running_loop().call_later(
                kept[0][0] - now, self._hand_back_stale, channel)
        else:
            del self._kept[channel]
