"""Where each of the layer's keys lives. Every key carries the name it belongs to as
a hash tag (``asgi:c:{chat.room}``): a consistent hash of that tag picks one of
several plain Redis hosts (each with its own client and write batcher), and on a
Redis Cluster the tag is what places the key in its slot."""

import asyncio
import functools
import hashlib

import redis.asyncio
import redis.asyncio.sentinel

from ._batcher import Batcher
from ._cluster import ClusterBatcher, cluster_client, is_cluster_url, slot_of
from ._doorbells import Doorbells

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


class Placement:
    """Which unit holds a key: with one host everything goes there; with several, a
    name goes to the host that ranks highest for it (rendezvous hashing), so that
    adding a host moves only the names it now ranks highest for, about one in
    (hosts + 1). On a cluster the units are slots."""

    def __init__(self, urls, sentinel=None):
        # Behind Sentinels, the one primary they name now; after a failover, the new one.
        self.urls = [f"sentinel:{sentinel.master_name}"] if sentinel is not None else list(urls)
        self.cluster = is_cluster_url(urls[0])
        self._rank = functools.lru_cache(maxsize=65536)(functools.partial(shard_of, self.urls))

    def index(self, key):
        """The unit that a multi-key command may span: a host, or a cluster's slot."""
        if isinstance(key, bytes):
            key = key.decode()  # as Redis hands back stored key names
        if self.cluster:
            return slot_of(key)
        return self._rank(hash_tag(key)) if len(self.urls) > 1 else 0

    def _host(self, key):
        return 0 if self.cluster else self.index(key)

    def split(self, keys):
        """The keys by unit: {host index or slot: [keys in their given order]}."""
        by_shard = {}
        for key in keys:
            by_shard.setdefault(self.index(key), []).append(key)
        return by_shard


class Shards(Placement):
    """The hosts of one layer on one event loop: a client and a batcher each, placed
    as ``Placement`` says. A cluster is one client and one batcher."""

    def __init__(self, urls, connection_kwargs, sentinel=None, replica_acks=None, prefix="asgi"):
        super().__init__(urls, sentinel)
        self.doorbells = None
        client_kwargs = {**CLIENT_DEFAULTS, **connection_kwargs}
        if sentinel is not None:
            self.clients = [redis.asyncio.sentinel.Sentinel(
                sentinel.sentinels, sentinel_kwargs=sentinel.sentinel_kwargs,
            ).master_for(sentinel.master_name, **client_kwargs)]
            self.batchers = [Batcher(self.clients[0], replica_acks, self.urls[0])]
        elif self.cluster:
            self.clients = [cluster_client(self.urls, client_kwargs)]
            self.doorbells = Doorbells(self.clients[0], prefix)
            self.batchers = [ClusterBatcher(self.clients[0], self.doorbells, replica_acks)]
        else:
            self.clients = [redis.asyncio.Redis.from_url(url, **client_kwargs) for url in self.urls]
            self.batchers = [Batcher(client, replica_acks, url) for client, url in zip(self.clients, self.urls)]

    def client(self, key):
        return self.clients[self._host(key)]

    def batcher(self, key):
        return self.batchers[self._host(key)]

    async def ring(self, key):
        """Ring the doorbell of the cluster primary holding ``key``, a stream just
        written to by other means than a batcher, so that receivers waiting there read it now."""
        await self.doorbells.ready()
        await self.clients[0].execute_command(*self.doorbells.ring(self.index(key)))

    async def execute(self, commands, raise_on_error=True):
        """Run ``commands`` (tuples of a command and its key first) in one pipeline per
        host, at once; their replies in the given order. Keys of several hosts or slots
        are fine, as long as each command's own keys share one."""
        if self.cluster or len(self.clients) == 1:
            by_host = {0: list(range(len(commands)))}
        else:
            by_host = {}
            for index, command in enumerate(commands):
                by_host.setdefault(self._host(command[1]), []).append(index)
        replies = [None] * len(commands)

        async def run(host, indexes):
            pipe = self.clients[host].pipeline(transaction=False)
            for index in indexes:
                pipe.execute_command(*commands[index])
            for index, reply in zip(indexes, await pipe.execute(raise_on_error=raise_on_error)):
                replies[index] = reply

        await asyncio.gather(*(run(host, indexes) for host, indexes in by_host.items() if indexes))
        return replies

    async def scan(self, match):
        """The keys matching ``match`` on every host (on a cluster, every primary)."""
        return [key for client in self.clients async for key in client.scan_iter(match=match, count=1000)]


class SentinelConfig:
    """Sentinels (``(host, port)`` pairs) that watch the primary named ``master_name``."""

    def __init__(self, sentinels, master_name, sentinel_kwargs=None):
        if not master_name:
            raise ValueError("sentinels need master_name: the name the Sentinels monitor the primary by")
        self.sentinels = [(host, int(port)) for host, port in sentinels]
        self.master_name = master_name
        self.sentinel_kwargs = dict(sentinel_kwargs or {})


def shard_of(urls, tag):
    """Index of the host among ``urls`` that ranks highest for ``tag``. Every process
    must list the same URLs (their order does not matter)."""
    return max(range(len(urls)), key=lambda index: _score(urls[index], tag))


def _score(url, tag):
    return hashlib.blake2b(f"{url}\0{tag}".encode(), digest_size=8).digest()
