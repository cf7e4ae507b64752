"""Where each of the layer's keys lives. Every key carries the name it belongs to as
a hash tag (``asgi:c:{chat.room}``), and a consistent hash of that tag picks one of
several plain Redis hosts; each host has its own client and write batcher."""

import functools
import hashlib

import redis.asyncio

from ._batcher import Batcher

CLIENT_DEFAULTS = {"max_connections": 64, "socket_connect_timeout": 5, "health_check_interval": 30}


def tagged_key(prefix, kind, name):
    """The key of a name: its hash tag is the name, so that what a script reads
    with it lives on the same host (and, on a cluster, in the same slot)."""
    return f"{prefix}:{kind}:{{{name}}}"


def hash_tag(key):
    """The part of a key that places it: between its first ``{`` and the next ``}``,
    as Redis Cluster reads it; the whole key if there is none."""
    start = key.find("{")
    if start >= 0:
        end = key.find("}", start + 1)
        if end > start + 1:
            return key[start + 1:end]
    return key


class Shards:
    """The hosts of one layer on one event loop: a client and a batcher each. With
    one host everything goes there; with several, a name goes to the host that
    ranks highest for it (rendezvous hashing), so that adding a host moves only the
    names it now ranks highest for, about one in (hosts + 1)."""

    def __init__(self, urls, connection_kwargs):
        self.urls = list(urls)
        self.clients = [
            redis.asyncio.Redis.from_url(url, **{**CLIENT_DEFAULTS, **connection_kwargs}) for url in self.urls
        ]
        self.batchers = [Batcher(client) for client in self.clients]
        self._rank = functools.lru_cache(maxsize=65536)(functools.partial(shard_of, self.urls))

    def index(self, key):
        return self._rank(hash_tag(key)) if len(self.urls) > 1 else 0

    def client(self, key):
        return self.clients[self.index(key)]

    def batcher(self, key):
        return self.batchers[self.index(key)]

    def split(self, keys):
        """The keys by host: {host index: [keys in their given order]}."""
        by_shard = {}
        for key in keys:
            by_shard.setdefault(self.index(key), []).append(key)
        return by_shard


def shard_of(urls, tag):
    """Index of the host among ``urls`` that ranks highest for ``tag``. Every process
    must list the same URLs (their order does not matter)."""
    return max(range(len(urls)), key=lambda index: _score(urls[index], tag))


def _score(url, tag):
    return hashlib.blake2b(f"{url}\0{tag}".encode(), digest_size=8).digest()
