"""What the layer stores in Redis beside its channels and groups (records of live
processes, message totals, set-aside entries): key names and shapes, for the layer
and for the tools that read the system's state."""

from ._batcher import GROUP

__all__ = ["DEAD_LETTERS_KEPT", "GROUP", "KINDS", "LATENCY_BUCKETS", "SYSTEM_TAG", "dead_letters_key", "live_key",
           "stats_key"]

KINDS = ("worker", "daphne")
# Set-aside entries kept, newest first; older ones are forgotten.
DEAD_LETTERS_KEPT = 1000
# Consumer run times, in seconds: the upper bounds of the histogram's buckets.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# The hash tag of the keys about the whole system: on several hosts or a cluster they
# all live on one host (one slot), where one read finds them.
SYSTEM_TAG = "{system}"


def live_key(prefix, kind, name):
    return f"{prefix}:live:{SYSTEM_TAG}:{kind}:{name}"


def stats_key(prefix):
    return f"{prefix}:stats:{SYSTEM_TAG}"


def dead_letters_key(prefix):
    return f"{prefix}:dead:{SYSTEM_TAG}"
