"""The state of the whole system read from the channel layer's Redis: channels
(depth, pending, oldest age, redeliveries), process lists, groups, live workers and
Daphnes, set-aside entries, RQ queues and the message totals; for
`manage.py channels_status`, /healthz and /metrics."""

import json

from django.conf import settings

from .asgi import routing_for
from .layer.hosts import LayerHosts
from .layer.keys import GROUP, KINDS, dead_letters_key, live_key, stats_key
from .redis_server import redact
from .routing import Router

# Pending entries looked at per channel to count redeliveries.
PENDING_SCANNED = 1000
DEAD_LETTERS_SHOWN = 10

_clients = {}


def layer_of(alias="default"):
    """The Redis layer of ``alias`` (the async layer under 1.x's wrapper)."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer(alias)
    if layer is None or not hasattr(layer, "hosts"):
        raise ValueError(f"The channel layer {alias!r} is not a Redis channel layer")
    return layer


def redis_hosts(layer):
    """Synchronous clients of the layer's Redis (every host, and the one holding the
    system's own keys), shared by the calls of this process."""
    hosts = _clients.get(layer)
    if hosts is None:
        hosts = _clients[layer] = LayerHosts(layer, socket_connect_timeout=2, socket_timeout=5)
    return hosts


def system_status(alias="default"):
    """Everything `channels_status` shows, as a dict that JSON can carry. Channels,
    process lists and groups are read from every host."""
    layer = layer_of(alias)
    hosts = redis_hosts(layer)
    client = hosts.system
    prefix = layer.prefix
    now_ms = _redis_now_ms(hosts.nodes[0])
    infos = [node.info("memory") for node in hosts.nodes]
    return {
        "redis": {"url": ", ".join(redact(label) for label in hosts.labels),
                  "used_memory": sum(info.get("used_memory", 0) for info in infos),
                  "keys": sum(node.dbsize() for node in hosts.nodes)},
        "prefix": prefix,
        "channels": _on_every_node(hosts, _channels, prefix, now_ms),
        "process_lists": _on_every_node(hosts, _lengths, f"{prefix}:p:", "LLEN"),
        "groups": _on_every_node(hosts, _lengths, f"{prefix}:g:", "ZCARD", name="members"),
        "workers": live_processes(client, prefix, "worker"),
        "daphnes": live_processes(client, prefix, "daphne"),
        "dead_letters": {
            "count": client.llen(dead_letters_key(prefix)),
            "latest": [json.loads(entry)
                       for entry in client.lrange(dead_letters_key(prefix), 0, DEAD_LETTERS_SHOWN - 1)],
        },
        "rq_queues": _rq_queues(),
        "totals": totals(client, prefix),
    }


def health(alias="default"):
    """``(healthy, problems)``: Redis answers, and every routed channel has a live
    worker listening on it."""
    try:
        layer = layer_of(alias)
        hosts = redis_hosts(layer)
        client = hosts.system
        for node in hosts.nodes:
            node.ping()
    except Exception as error:
        return False, [f"Redis does not answer: {error}"]
    router = Router(routing_for(alias))
    router.check_default()
    listened = {channel for worker in live_processes(client, layer.prefix, "worker") for channel in worker["channels"]}
    unserved = sorted(set(router.channels) - listened)
    if unserved:
        return False, [f"no live worker listens on {', '.join(unserved)}"]
    return True, []


def live_processes(client, prefix, kind):
    assert kind in KINDS
    keys = sorted(client.scan_iter(match=_escape(live_key(prefix, kind, "")) + "*", count=1000))
    records = [json.loads(value) for value in client.mget(keys) if value] if keys else []
    return sorted(records, key=lambda record: (record["host"], record["pid"]))


def totals(client, prefix):
    """The counts every process stored, by ``what|channel`` fields."""
    return {field.decode(): int(value) for field, value in client.hgetall(stats_key(prefix)).items()}


def _redis_now_ms(client):
    seconds, micros = client.time()
    return seconds * 1000 + micros // 1000


def _on_every_node(hosts, read, *args, **kwargs):
    """What ``read(client, ...)`` finds on each node, together, by name."""
    found = [entry for node in hosts.nodes for entry in read(node, *args, **kwargs)]
    return sorted(found, key=lambda entry: entry["name"])


def _keys(client, start):
    return sorted(key.decode() for key in client.scan_iter(match=f"{_escape(start)}*", count=1000))


def _name(key, start):
    """The channel or group name of a key: what follows ``start``, without its hash tag's braces."""
    name = key[len(start):]
    return name[1:-1] if name.startswith("{") and name.endswith("}") else name


def _escape(text):
    return "".join(f"\\{char}" if char in "*?[]\\" else char for char in text)


def _lengths(client, start, command, name="depth"):
    keys = _keys(client, start)
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.execute_command(command, key)
    return [{"name": _name(key, start), name: length}
            for key, length in zip(keys, pipe.execute(raise_on_error=False))
            if not isinstance(length, Exception)]


def _channels(client, prefix, now_ms):
    start = f"{prefix}:c:"
    keys = _keys(client, start)
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.xlen(key)
        pipe.execute_command("XINFO", "GROUPS", key)
        pipe.xrange(key, count=1)
        pipe.xpending_range(key, GROUP, "-", "+", PENDING_SCANNED)
    replies = pipe.execute(raise_on_error=False)
    channels = []
    for index, key in enumerate(keys):
        length, groups, first, pending = replies[index * 4:index * 4 + 4]
        if isinstance(length, Exception):
            continue  # not a stream: set aside by the readers, shown in dead letters
        group = _group_info(groups)
        pending_count = int(group.get(b"pending", 0))
        oldest = first[0][0] if first and not isinstance(first, Exception) else None
        redelivered = [entry for entry in pending if entry["times_delivered"] > 1] if isinstance(pending, list) else []
        channels.append({
            "name": _name(key, start),
            "depth": length - pending_count,
            "pending": pending_count,
            "oldest_age": None if oldest is None else round((now_ms - int(oldest.split(b"-")[0])) / 1000, 3),
            "redeliveries": len(redelivered),
        })
    return channels


def _group_info(groups):
    if isinstance(groups, Exception):
        return {}
    for fields in groups:
        info = fields if isinstance(fields, dict) else dict(zip(fields[::2], fields[1::2]))
        if info.get(b"name") == GROUP.encode():
            return info
    return {}


def _rq_queues():
    queues = getattr(settings, "RQ_QUEUES", None)
    if not queues:
        return []
    import django_rq

    found = []
    for name in queues:
        queue = django_rq.get_queue(name)
        found.append({"name": name, "queued": queue.count, "started": queue.started_job_registry.count,
                      "failed": queue.failed_job_registry.count})
    return found
