"""Replica acknowledgements: a write batch ends with WAIT on its connection, so that
a send resolves only once a replica holds it too and a primary SIGKILLed right
after cannot take it along. A primary without a replica to confirm is logged."""

import logging
import time

from ._stats import Summary

logger = logging.getLogger("channels1.layer")

# A server whose replicas did not confirm in time is written to without waiting for
# this long, then waited on again: its writes meanwhile are counted as unconfirmed.
RECHECK_SECONDS = 5.0


class ReplicaAcks:
    """Builds the WAIT that ends a batch to one server and reads its reply:
    ``replicas`` to confirm within ``timeout`` seconds. A batch is written again
    (its sends once only) for as long as a failover takes: pauses of 0.25 s, 0.5 s...
    up to ``write_attempts`` tries, 11 s in all."""

    write_attempts = 10

    def __init__(self, replicas, timeout):
        self.replicas = int(replicas)
        self.timeout_ms = max(1, int(timeout * 1000))
        self._skip_until = {}  # server -> monotonic time to wait on it again
        self._unconfirmed = Summary(
            logger, "%d write batch(es) not confirmed by a replica since the last such line (a failover "
                    "now would lose them): by server: %s", interval=RECHECK_SECONDS)

    def command(self, server):
        """The WAIT to end a batch to ``server`` with, or None while it is known to
        lack a replica (its batch is counted as unconfirmed)."""
        if time.monotonic() < self._skip_until.get(server, 0):
            self._unconfirmed.add(server, 1)
            return None
        return ("WAIT", self.replicas, self.timeout_ms)

    def settle(self, server, reply):
        """Read WAIT's reply (the replicas that confirmed, or an error)."""
        if isinstance(reply, int) and reply >= self.replicas:
            self._skip_until.pop(server, None)
            return
        self._skip_until[server] = time.monotonic() + RECHECK_SECONDS
        self._unconfirmed.add(server, 1)
