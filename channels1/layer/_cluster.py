"""Redis Cluster: ``redis+cluster://`` URLs name a cluster by one or more of its
nodes; redis-py's cluster client routes each command by its key's slot and follows
MOVED/ASK redirects and failovers. The batcher pipelines per node and sends one
script call per slot, since a script may only touch keys of one slot, and rings the
doorbell of each primary whose streams it wrote to."""

from urllib.parse import urlsplit, urlunsplit

import redis.asyncio.cluster
from redis.crc import key_slot
from redis.exceptions import ClusterDownError, ConnectionError, TimeoutError, TryAgainError

from ._batcher import Batcher

SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}


def is_cluster_url(url):
    return urlsplit(url).scheme in SCHEMES


class _StreamReadsRouted(redis.asyncio.cluster.RedisCluster):
    """The cluster client, finding the keys of a stream read itself: redis-py asks a
    server for them (``COMMAND GETKEYS``), one more round trip before every read."""

    async def _determine_slot(self, command, *args):
        if command.upper() in ("XREAD", "XREADGROUP") and "STREAMS" in args:
            names_and_ids = args[args.index("STREAMS") + 1:]
            slots = {self.keyslot(key) for key in names_and_ids[:len(names_and_ids) // 2]}
            if len(slots) == 1:
                return slots.pop()
        return await super()._determine_slot(command, *args)


def cluster_client(urls, client_kwargs, module=redis.asyncio.cluster):
    """One client for the cluster that ``urls`` (its start-up nodes) lead to; of
    ``module`` (``redis.cluster`` for a synchronous one)."""
    parts = [urlsplit(url) for url in urls]
    # A cluster keeps one database: a path like /0 is accepted and means it.
    first = urlunsplit(parts[0]._replace(scheme=SCHEMES[parts[0].scheme], path=""))
    more = [module.ClusterNode(part.hostname, part.port or 6379) for part in parts[1:]]
    kind = _StreamReadsRouted if module is redis.asyncio.cluster else module.RedisCluster
    return kind.from_url(first, **({"startup_nodes": more} if more else {}), **client_kwargs)


def node_url(url):
    """The plain URL of the one node a cluster URL names."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme=SCHEMES[parts.scheme], path="/0"))


def slot_of(key):
    return key_slot(key.encode())


class ClusterBatcher(Batcher):
    """The write batcher on a cluster: one pipeline per round trip, which the
    cluster client splits into one write per node and in which each redirected
    command is sent again to where it now lives. Replicas confirm with a WAIT per
    node, after that node's writes on the same connection."""

    def __init__(self, client, doorbells, replica_acks=None):
        super().__init__(client, replica_acks)
        self._doorbells = doorbells
        self._stream_slots = set()  # of the round trip under way: slots whose streams it writes

    async def _round_trip(self, sends, commands):
        self._stream_slots = {slot_of(send[0]) for send in sends if send[1] == "s"}
        await super()._round_trip(sends, commands)

    def _replica_wait(self):
        return None  # one per node instead: see _queue_replica_waits

    def _send_groups(self, sends):
        by_slot = {}
        for send in sends:
            by_slot.setdefault(slot_of(send[0]), []).append(send)
        return list(by_slot.values())

    async def _execute(self, batch):
        replies = [None] * len(batch)
        pipe = self._client.pipeline()
        queued = []
        for index, args in enumerate(batch):
            if args[0] == "SCRIPT LOAD":
                # Loads on every primary: not something a pipeline routes.
                replies[index] = await self._client.execute_command(*args)
            else:
                pipe.execute_command(*args)
                queued.append(index)
        if queued:
            # After the writes, in the same pipeline: on each node, after its writes,
            # its doorbell's ring, then the WAIT for its replicas.
            rings = await self._rings()
            for ring in rings:
                pipe.execute_command(*ring)
            waits = self._queue_replica_waits(pipe, [batch[index] for index in queued])
            executed = await pipe.execute(raise_on_error=False)
            for index, reply in zip(queued, executed):
                replies[index] = reply
            for node, reply in zip(waits, executed[len(queued) + len(rings):]):
                self._replica_acks.settle(node, reply)
            if self._replica_acks:
                _raise_if_a_node_failed(replies)
        return replies

    def _queue_replica_waits(self, pipe, commands):
        """A WAIT after the writes to each node, on the node's connection of the
        pipeline: the nodes waited on, in the order queued."""
        if not self._replica_acks:
            return []
        nodes = {}
        for args in commands:
            node = self._client.get_node_from_key(args[3] if args[0] == "EVALSHA" else args[1])
            nodes.setdefault(node.name, node)
        waited = []
        for name, node in nodes.items():
            if wait := self._replica_acks.command(name):
                pipe.execute_command(*wait, target_nodes=node)
                waited.append(name)
        return waited

    async def _rings(self):
        """A doorbell ring per primary that a send to a stream in this round trip goes to."""
        if not self._stream_slots:
            return []
        await self._doorbells.ready()
        return list({self._doorbells.key(slot): self._doorbells.ring(slot) for slot in self._stream_slots}.values())

    async def close(self):
        await self.drained()


def _raise_if_a_node_failed(replies):
    """Fail the batch if a node was out of reach (it died, or its replica is taking
    over), so that it is written again: its sends carry tokens, the rest repeats
    harmlessly."""
    for reply in replies:
        if isinstance(reply, (ConnectionError, TimeoutError, ClusterDownError, TryAgainError)):
            raise ConnectionError(f"a cluster node failed: {reply}")

