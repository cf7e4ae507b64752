"""Synchronous clients of a layer's Redis for the tools that look at the whole system
(`channels_status`, /healthz, /metrics): one per host to scan (every primary of a
cluster), and the one that reaches the keys of the system tag."""

import redis
import redis.cluster
import redis.sentinel

from ._cluster import cluster_client, is_cluster_url, node_url
from ._shards import hash_tag, shard_of
from .keys import SYSTEM_TAG


class LayerHosts:
    """``nodes``: a client per server holding the layer's keys, with ``labels`` naming
    them; ``system``: the client for the keys about the whole system."""

    def __init__(self, layer, **client_kwargs):
        urls = layer.hosts
        if layer.sentinel is not None:
            sentinel = redis.sentinel.Sentinel(layer.sentinel.sentinels, sentinel_kwargs=layer.sentinel.sentinel_kwargs)
            self.system = sentinel.master_for(layer.sentinel.master_name, **client_kwargs)
            self.nodes, self.labels = [self.system], [f"sentinel:{layer.sentinel.master_name}"]
        elif is_cluster_url(urls[0]):
            self.system = cluster_client(urls, client_kwargs, module=redis.cluster)
            primaries = self.system.get_primaries()
            self.nodes = [self.system.get_redis_connection(node) for node in primaries]
            self.labels = [f"redis://{node.host}:{node.port}" for node in primaries]
        else:
            self.nodes = [redis.Redis.from_url(url, **client_kwargs) for url in urls]
            self.labels = list(urls)
            self.system = self.nodes[shard_of(urls, hash_tag(SYSTEM_TAG)) if len(urls) > 1 else 0]


def each_server(layer, **client_kwargs):
    """Asynchronous clients that reach every server of the layer on their own: one
    per plain host, one for a cluster (it routes each key, and its map of the slots,
    which it learns again after a failover, names the primaries of now), the primary's
    behind Sentinels; with a label each, for logs."""
    import redis.asyncio
    import redis.asyncio.cluster
    import redis.asyncio.sentinel

    if layer.sentinel is not None:
        sentinel = redis.asyncio.sentinel.Sentinel(layer.sentinel.sentinels,
                                                   sentinel_kwargs=layer.sentinel.sentinel_kwargs)
        return [(f"sentinel:{layer.sentinel.master_name}", sentinel.master_for(layer.sentinel.master_name,
                                                                               **client_kwargs))]
    if is_cluster_url(layer.hosts[0]):
        return [(layer.hosts[0], cluster_client(layer.hosts, client_kwargs))]
    return [(url, redis.asyncio.Redis.from_url(url, **client_kwargs)) for url in layer.hosts]


def answering_url(layer):
    """A plain URL of a server that answers PING when the layer's Redis is up (a
    cluster's first start-up node, the first Sentinel), to wait for at start-up."""
    if getattr(layer, "sentinel", None) is not None:
        host, port = layer.sentinel.sentinels[0]
        return f"redis://{host}:{port}"
    if is_cluster_url(layer.hosts[0]):
        return node_url(layer.hosts[0])
    return layer.hosts[0]
