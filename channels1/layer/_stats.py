"""Counts of what a process's layer did (messages sent, received, redelivered,
expired, dropped) per channel kind, kept in memory and taken in one go by the
heartbeat that adds them to the totals in Redis."""

import collections
import itertools
import threading
import time

from .keys import LATENCY_BUCKETS

# Counter keys remembered by name: the kinds and heads of a process's channels are few.
KEYS_REMEMBERED = 10_000


def channel_label(channel):
    """The name a channel is counted under: process-specific channels by their kind
    (``daphne.response!``), since every socket has one of its own."""
    for mark in "!?":
        if mark in channel:
            name = channel.partition(mark)[0]
            return f"{name.rpartition('.')[0] or name}{mark}"
    return channel


class Stats:
    """Counters by (what, channel label), safe to count into from any thread."""

    def __init__(self):
        self._counts = {}
        self._lock = threading.Lock()
        self._keys = {}  # (what, channel or its head up to "!") -> counter key

    def count(self, what, channel, amount=1):
        key = self._key(what, channel[:channel.find("!") + 1] or channel)
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + amount

    def count_each(self, what, channels):
        """``count(what, channel)`` for each of ``channels``, under one lock."""
        # A group's sockets share a few labels: each is worked out once, from the name up to "!".
        first = channels[0] if channels else ""
        head = first[:first.find("!") + 1]
        if head and all(map(str.startswith, channels, itertools.repeat(head))):
            by_key = {self._key(what, head): len(channels)}  # the usual case: all of one process, checked in C
        else:
            by_key = collections.Counter(self._key(what, channel[:channel.find("!") + 1] or channel)
                                         for channel in channels)
        with self._lock:
            for key, amount in by_key.items():
                self._counts[key] = self._counts.get(key, 0) + amount

    def _key(self, what, name):
        """The counter key of ``what`` on a channel, by its name or its head up to "!",
        worked out once per name: counting is on every message's path."""
        key = self._keys.get((what, name))
        if key is None:
            if len(self._keys) > KEYS_REMEMBERED:
                self._keys.clear()
            key = self._keys[what, name] = f"{what}|{channel_label(name)}"
        return key

    def observe_latency(self, channel, seconds):
        """One consumer run on ``channel`` that took ``seconds``."""
        label = channel_label(channel)
        bucket = next((bound for bound in LATENCY_BUCKETS if seconds <= bound), "+Inf")
        with self._lock:
            for key, amount in ((f"latency_bucket|{label}|{bucket}", 1), (f"latency_count|{label}", 1)):
                self._counts[key] = self._counts.get(key, 0) + amount
            key = f"latency_sum_us|{label}"
            self._counts[key] = self._counts.get(key, 0) + int(seconds * 1_000_000)

    def take(self):
        """The counts since the last take, which start again from zero."""
        with self._lock:
            counts, self._counts = self._counts, {}
        return counts

    def give_back(self, counts):
        """Counts taken that could not be stored: they go out with the next take."""
        with self._lock:
            for key, amount in counts.items():
                self._counts[key] = self._counts.get(key, 0) + amount


class Summary:
    """A warning that can come once per message (members over capacity, as dead
    members are until they expire), logged as one line per ``interval`` seconds
    with the counts since the last line."""

    def __init__(self, logger, text, interval=60):
        self._logger = logger
        self._text = text
        self._interval = interval
        self._counts = {}
        self._last = None
        self._lock = threading.Lock()

    def add(self, name, amount):
        now = time.monotonic()
        with self._lock:
            self._counts[name] = self._counts.get(name, 0) + amount
            if self._last is not None and now - self._last < self._interval:
                return
            self._last, counts, self._counts = now, self._counts, {}
        names = ", ".join(f"{name} ({count})" for name, count in sorted(counts.items()))
        self._logger.warning(self._text, sum(counts.values()), names)
