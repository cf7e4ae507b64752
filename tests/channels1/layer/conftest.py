"""Fixtures of the layer's tests. ``--layer-redis=shards`` runs them on three separate
servers as the layer's shards instead of the one test server, ``--layer-redis=cluster``
on a Redis Cluster of three primaries, ``--layer-redis=sentinel`` on the primary that
three Sentinels name (layers made with ``make_layer`` find it through them)."""

import asyncio
import contextlib
import gc
import logging
import uuid
import weakref

import pytest
import redis

from channels1.layer import RedisChannelLayer
from channels1.layer._shards import hash_tag, shard_of
from channels1.layer._cluster import is_cluster_url
from channels1.redis_server import LocalCluster, LocalSentinel, RedisServer


@pytest.fixture(scope="session")
def three_hosts(redis_url, tmp_path_factory):
    """The test server and two more, each on its own: three shards."""
    with contextlib.ExitStack() as stack:
        others = [stack.enter_context(RedisServer(tmp_path_factory.mktemp("shard"))) for _ in range(2)]
        yield [redis_url, *(server.url for server in others)]


@pytest.fixture(scope="session")
def local_cluster():
    """A Redis Cluster of three primaries, formed by the test run itself."""
    with LocalCluster(primaries=3) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def local_sentinel():
    """A primary, its replica and three Sentinels watching them."""
    with LocalSentinel(master_name="layer-tests") as setup:
        yield setup


@pytest.fixture(scope="session")
def layer_hosts(request, redis_url):
    """The hosts every layer of these tests is given (behind Sentinels: the primary,
    for the tests that make a layer of their own)."""
    topology = request.config.getoption("--layer-redis")
    if topology == "shards":
        return request.getfixturevalue("three_hosts")
    if topology == "cluster":
        return [request.getfixturevalue("local_cluster").url]
    if topology == "sentinel":
        return [request.getfixturevalue("local_sentinel").primary.url]
    return [redis_url]


@pytest.fixture(scope="session")
def layer_options(request):
    """Options every layer from ``make_layer`` is given besides its hosts."""
    if request.config.getoption("--layer-redis") == "sentinel":
        setup = request.getfixturevalue("local_sentinel")
        return {"sentinels": setup.sentinels, "master_name": setup.master_name}
    return {}


class LayerRedis:
    """Synchronous clients of the servers under the layer, to look at its keys."""

    NAME = "layer-tests"

    def __init__(self, hosts):
        self.hosts = hosts
        self.cluster = None
        if is_cluster_url(hosts[0]):
            self.cluster = redis.RedisCluster.from_url(
                hosts[0].replace("+cluster", "").rsplit("/", 1)[0], client_name=self.NAME
            )
            self.servers = [
                redis.Redis(host=node.host, port=node.port, client_name=self.NAME)
                for node in self.cluster.get_primaries()
            ]
        else:
            self.servers = [redis.Redis.from_url(url, client_name=self.NAME) for url in hosts]

    def of(self, key):
        """The server that holds ``key`` (on a cluster, its client, which finds it)."""
        if self.cluster is not None:
            return self.cluster
        return self.servers[shard_of(self.hosts, hash_tag(key)) if len(self.hosts) > 1 else 0]

    def by_key(self):
        return ByKey(self)

    def keys(self, pattern):
        return [key for server in self.servers for key in server.keys(pattern)]

    def connected_clients(self):
        """Connections to the servers, except those of this object."""
        return sum(
            sum(client["name"] != self.NAME for client in server.client_list()) for server in self.servers
        )

    def close(self):
        for server in self.servers:
            server.close()
        if self.cluster is not None:
            self.cluster.close()

class ByKey:
    """Commands whose first argument is a key, each sent to the server holding it."""

    def __init__(self, servers):
        self._servers = servers

    def __getattr__(self, command):
        def call(key, *args, **kwargs):
            return getattr(self._servers.of(key), command)(key, *args, **kwargs)
        return call

    def time(self):
        return self._servers.servers[0].time()


# How long a test waits for a message that should come; a lost one fails the test.
RECEIVE_TIMEOUT = 10


# Layers a test leaves open on purpose (see ends_quietly): make_layer does not close them.
LEFT_OPEN = weakref.WeakSet()


@pytest.fixture
def layer_redis(layer_hosts):
    servers = LayerRedis(layer_hosts)
    yield servers
    servers.close()


def layer_maker(hosts, **options):
    """Builds layers on ``hosts`` (with ``options``) under a prefix of this test's own;
    every layer made in a test shares that prefix, as processes of one deployment do.
    ``close_made`` closes them."""
    prefix = f"test{uuid.uuid4().hex[:8]}"
    made = []

    def make(**config):
        layer = RedisChannelLayer(hosts=hosts, prefix=prefix, **{**options, **config})
        made.append(layer)
        return layer

    make.prefix = prefix
    make.made = made
    return make


async def close_made(make):
    """Close the layers ``make`` built, except those left open on purpose (closing
    twice is harmless)."""
    for layer in make.made:
        if layer not in LEFT_OPEN:
            await asyncio.wait_for(layer.close(), RECEIVE_TIMEOUT)


@pytest.fixture
async def make_clustered(local_cluster):
    """Layers on the session's cluster (whatever the run's setup), closed after the test."""
    make = layer_maker([local_cluster.url])
    yield make
    await close_made(make)


@pytest.fixture
def primaries(local_cluster):
    """A client of each primary of the session's cluster."""
    clients = [server.client() for server in local_cluster.primaries]
    yield clients
    for client in clients:
        client.close()


@pytest.fixture
async def make_layer(layer_hosts, layer_options):
    """Layers on the hosts of this run, closed after the test, also when it failed."""
    make = layer_maker(layer_hosts, **layer_options)
    yield make
    await close_made(make)


@pytest.fixture
async def layer(make_layer):
    return make_layer()


async def receive(layer, channel, timeout=RECEIVE_TIMEOUT):
    """``layer.receive(channel)``, failing instead of hanging when nothing comes."""
    return await asyncio.wait_for(layer.receive(channel), timeout)


async def receive_through_cancels(layer, channel, count):
    """``count`` messages of ``channel``, taken by receives cancelled at every stage of
    the reads in flight (20 cancelled before anything is sent, then each cancelled a
    moment after it begins: one that finished before its cancel took effect has really
    received its message), then by plain receives for the rest; sends ``count``
    messages ``{"i": i}`` after the first 20 cancels."""
    for _ in range(20):
        waiting = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(0)
        waiting.cancel()
    for i in range(count):
        await layer.send(channel, {"i": i})
    received = []
    for _ in range(count):
        waiting = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(0.001)
        waiting.cancel()
        try:
            received.append((await waiting)["i"])
        except asyncio.CancelledError:
            pass
    while len(received) < count:
        received.append((await receive(layer, channel))["i"])
    return received


# Runtimes of vanished layers, kept from the garbage collector, which would report
# their clients unclosed in whatever test it runs in.
VANISHED = []


def vanish(layer):
    """The layer's process dies without a word: no acknowledgement, no visibility
    extension, no hand-back; what it held stays pending in Redis."""
    for runtime in layer._runtimes.values():
        if runtime.streams._keeper is not None:
            runtime.streams._keeper.cancel()
        for timer in runtime.streams._read_ahead._timers.values():
            timer.cancel()
    VANISHED.extend(layer._runtimes.values())
    layer._runtimes.clear()


@pytest.fixture
def ends_quietly(layer_redis, caplog):
    """Watches the layers passed to it, and checks after the test's event loop closed
    that they ended quietly with it: no runtime left, nothing logged at WARNING or
    above (as a task destroyed while pending would be), their connections closed.
    Request it before any async fixture: set up before pytest-asyncio's loop, it is
    torn down after that loop. ``ends_quietly.then(check)`` adds a check run last."""
    gc.collect()  # what earlier tests left is reported now, not as this test's
    baseline = layer_redis.connected_clients()
    layers, loops, checks = [], [], []

    def watch(layer):
        layers.append(layer)
        LEFT_OPEN.add(layer)
        try:
            loops.append(asyncio.get_running_loop())
        except RuntimeError:
            pass  # a sync test: its loops are async_to_sync's
        return layer

    def then(check):
        checks.append(check)
        return check

    watch.then = then
    yield watch
    gc.collect()
    assert all(loop.is_closed() for loop in loops), "ends_quietly was torn down before the test's loop"
    assert [dict(layer._runtimes) for layer in layers] == [{} for _ in layers]
    problems = [
        f"{record.levelname} {record.name}: {record.getMessage()}"
        for phase in ("call", "teardown")
        for record in caplog.get_records(phase)
        if record.levelno >= logging.WARNING
    ]
    assert problems == []
    asyncio.run(wait_until(lambda: layer_redis.connected_clients() <= baseline))
    for check in checks:
        check()


async def wait_until(condition, timeout=10):
    """Polls ``condition`` until it holds; fails after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


async def take_every(layer, channel, count):
    """The ``n`` of each of ``count`` messages taken (and acknowledged) from a channel,
    checking that no more follow."""
    received = []
    while len(received) < count:
        for delivery in await asyncio.wait_for(layer.receive_batch([channel], 50), 30):
            received.append(delivery.message["n"])
            layer.ack(delivery)
    assert await layer.receive_batch([channel], 50, block=False) == []
    return received
