"""The system's metrics in the Prometheus text format, made with prometheus_client
from what every process stored in Redis: messages sent, received, redelivered,
expired and dropped per channel, the consumers' run times, sockets open, workers."""

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from . import status
from .layer.keys import LATENCY_BUCKETS

COUNTERS = {
    "sent": "Messages sent to a channel",
    "received": "Messages taken from a channel by a receiver",
    "redelivered": "Messages taken again after their receiver went silent",
    "expired": "Messages dropped unread after the layer's expiry",
    "dropped": ("Messages dropped: after too many deliveries or ConsumeLater too often, over a process's "
                "capacity, or a frame or held send given up"),
    "full": "Sends refused because the channel was at its capacity",
    "set_aside": "Malformed entries moved to the dead letters",
    "repeated": ("Messages for a process dropped as read before: written again by a retried send, or back "
                 "with a promoted replica that missed their read"),
}


class _SystemCollector:
    def __init__(self, alias):
        self.alias = alias

    def collect(self):
        layer = status.layer_of(self.alias)
        client = status.redis_hosts(layer).system
        counts = status.totals(client, layer.prefix)
        families = {what: CounterMetricFamily(f"channels1_messages_{what}", doc, labels=["channel"])
                    for what, doc in COUNTERS.items()}
        latency = {}
        for field, value in counts.items():
            what, _, rest = field.partition("|")
            if what in families:
                families[what].add_metric([rest], value)
            elif what.startswith("latency_"):
                channel, _, bucket = rest.partition("|")
                latency.setdefault(channel, {})[bucket or what] = value
        yield from families.values()
        histogram = HistogramMetricFamily("channels1_consumer_seconds", "Time consumers took per message",
                                          labels=["channel"])
        for channel, values in sorted(latency.items()):
            cumulative, buckets = 0, []
            for bound in (*LATENCY_BUCKETS, "+Inf"):
                cumulative += values.get(str(bound), 0)
                buckets.append((str(float(bound)) if bound != "+Inf" else "+Inf", cumulative))
            histogram.add_metric([channel], buckets, values.get("latency_sum_us", 0) / 1_000_000)
        yield histogram
        daphnes = status.live_processes(client, layer.prefix, "daphne")
        workers = status.live_processes(client, layer.prefix, "worker")
        yield GaugeMetricFamily("channels1_sockets_open", "WebSockets open on live Daphnes",
                                value=sum(daphne.get("sockets", 0) for daphne in daphnes))
        yield GaugeMetricFamily("channels1_daphnes_alive", "Daphnes with a recent heartbeat", value=len(daphnes))
        yield GaugeMetricFamily("channels1_workers_alive", "Workers with a recent heartbeat", value=len(workers))
        yield GaugeMetricFamily("channels1_consumers_busy", "Consumers running on live workers",
                                value=sum(worker.get("busy", 0) for worker in workers))


def render(alias="default"):
    """The metrics page: ``(body, content type)``."""
    from prometheus_client import CONTENT_TYPE_LATEST

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_SystemCollector(alias))
    return generate_latest(registry), CONTENT_TYPE_LATEST
