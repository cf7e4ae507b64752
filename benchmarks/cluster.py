"""The channel layer on one server against a Redis Cluster of three primaries, in the
same run: throughput over three channels, round trip p50/p99, group_send to 1,000
members over 4 processes, and the servers' CPU per message. Run:
python -m benchmarks.cluster [--runs N] [--messages N] [--quick] [--json PATH]"""

import dataclasses
import time


from . import _cpu, _util
from .layer import OURS_WORKER, PREFIXES, RUN_TIMEOUT, Children, _consume, _produce, fanout_run, latency_run

SETUPS = ("1 server", "3 cluster primaries")
CHANNELS = 3  # one producer and one consumer each; on the cluster, on three primaries


@dataclasses.dataclass(frozen=True)
class Settings:
    runs: int = 3
    messages: int = 10_000  # per channel
    round_trips: int = 2_000
    warmup_round_trips: int = 200
    fanout_sizes: tuple = (1000,)
    fanout_processes: int = 4
    largest_fanout_on_many: int = 1000  # as in the layer benchmark, whose fan-out run this one uses
    fanouts: int = 20
    min_fanouts: int = 5
    warmup_fanouts: int = 2
    fanout_seconds: float = 6.0

    @classmethod
    def quick(cls):
        return cls(messages=2_000, round_trips=300, warmup_round_trips=30, fanouts=5, min_fanouts=3,
                   warmup_fanouts=1, fanout_seconds=1.0)


def spread_channels(cluster, count):
    """Channel names whose streams sit on ``count`` different primaries of the cluster
    (on one server they all sit together anyway)."""
    from channels1.layer._cluster import slot_of

    with cluster.primaries[0].client() as client:
        ranges = [(start, end, node[1]) for start, end, node, *_ in client.execute_command("CLUSTER", "SLOTS")]
    names, ports = [], set()
    for n in range(10_000):
        name = f"bench.spread{n}"
        slot = slot_of(f"{PREFIXES['ours']}:c:{{{name}}}")
        port = next(port for start, end, port in ranges if start <= slot <= end)
        if port not in ports:
            ports.add(port)
            names.append(name)
            if len(names) == count:
                return names
    raise RuntimeError("no channel names found on every primary")


def server_cpu_seconds(clients):
    """CPU seconds (user and system) the servers used since they started."""
    return sum(_cpu.redis_cpu_seconds(client) for client in clients)


def spread_throughput_run(url, channels, messages):
    """Messages per second with one producer and one consumer (worker API) per channel,
    all at once, from the first send until every message was taken."""
    _util.clear_prefixes(url, PREFIXES.values())
    total = messages * len(channels)
    with Children() as children:
        context = children.context
        go, done = context.Event(), context.Event()
        counter, finished = context.Value("q", 0), context.Value("d", 0.0)
        consumers = []
        for index, channel in enumerate(channels):
            children.start(f"producer{index}", _produce, url, "ours", channel, messages, go)
            consumers.append(children.start(f"consumer{index}", _consume, url, OURS_WORKER, channel, total, 1, go,
                                            counter, finished, done))
        children.wait_all("ready")
        started = time.monotonic()
        go.set()
        deadline = _util.Deadline(RUN_TIMEOUT)
        while not done.wait(0.05):
            if deadline.passed() or children.failed():
                raise _util.ChildFailed(children.error_report() or f"only {counter.value} of {total} arrived")
        seconds = finished.value - started
        reports = [children.expect(pipe, "result")[0] for pipe in consumers]
    received = sum(len(report["numbers"]) for report in reports)
    unique = sum(len(set(report["numbers"])) for report in reports)
    return {"rate": total / seconds, "received": received, "duplicates": received - unique}


def run(settings, url):
    """Both setups on TCP (the cluster's nodes talk TCP), with the same server binary;
    ``url``, the benchmarks' usual server, only names the machine."""
    from channels1.redis_server import LocalCluster, RedisServer

    problems, cases = [], []
    results = {setup: {"rate": [], "cpu_us": [], "p50": [], "p99": [], "fanout_ms": []} for setup in SETUPS}
    with RedisServer(port=None, unix_socket=False) as single, LocalCluster(primaries=3) as cluster:
        setups = {
            "1 server": (single.url, [single.client()]),
            "3 cluster primaries": (cluster.url, [server.client() for server in cluster.primaries]),
        }
        channels = spread_channels(cluster, CHANNELS)
        try:
            for run_index in range(settings.runs):
                for setup, (target, clients) in setups.items():
                    _one_run(settings, setup, target, clients, channels, run_index, results[setup], problems, cases)
        finally:
            for _, clients in setups.values():
                for client in clients:
                    client.close()
            _util.clear_prefixes(cluster.url, PREFIXES.values())
    return {"results": results, "cases": cases, "problems": problems}


def _one_run(settings, setup, target, clients, channels, run_index, into, problems, cases):
    name = f"{setup}, run {run_index + 1}"
    try:
        before = server_cpu_seconds(clients)
        throughput = spread_throughput_run(target, channels, settings.messages)
        cpu = server_cpu_seconds(clients) - before
        latency = latency_run(target, OURS_WORKER, settings.round_trips, settings.warmup_round_trips)
        fanout = fanout_run(target, "ours", settings.fanout_processes, settings)[settings.fanout_sizes[0]]
    except (_util.ChildFailed, TimeoutError, OSError, EOFError) as error:
        problems.append(f"{name}: {type(error).__name__}: {str(error).strip()[-2000:]}")
        _util.progress(f"    FAILED: {problems[-1]}")
        return
    into["rate"].append(throughput["rate"])
    into["cpu_us"].append(cpu / (settings.messages * len(channels)) * 1e6)
    into["p50"].append(latency["p50"])
    into["p99"].append(latency["p99"])
    into["fanout_ms"].append(fanout["ms"])
    if throughput["duplicates"]:
        problems.append(f"{name}: {throughput['duplicates']} duplicate deliveries")
    problems += [f"{name}, fan-out: {problem}" for problem in fanout["problems"]]
    cases.append({"case": name, "throughput": throughput, "latency": latency, "fanout": fanout, "cpu_seconds": cpu})
    _util.progress(f"{name}: {throughput['rate']:,.0f} msg/s, {into['cpu_us'][-1]:.1f} us server CPU/msg, "
                   f"round trip p50 {latency['p50']:.2f} ms p99 {latency['p99']:.2f} ms, "
                   f"group_send to 1,000 {fanout['ms']:.1f} ms")


ROWS = (
    ("rate", f"throughput, {CHANNELS} channels, 1 producer and 1 consumer each", "msg/s (higher better)"),
    ("cpu_us", "server CPU per message (all servers)", "us (lower better)"),
    ("p50", "round trip p50", "ms (lower better)"),
    ("p99", "round trip p99", "ms (lower better)"),
    ("fanout_ms", "group_send to 1,000 members on 4 processes", "ms (lower better)"),
)


def summarize(raw, settings):
    return _util.two_setup_rows(raw, ROWS, SETUPS)


def format_report(rows, settings, machine):
    table = _util.two_setup_table(rows, SETUPS, "cluster/1")
    return "\n".join([
        f"channels1's layer (worker API, at-least-once) on one server and on a cluster of three primaries "
        f"(no replicas), both on TCP, same run; median of {settings.runs} run(s)",
        f"{settings.messages:,} messages per channel per throughput run; {settings.round_trips:,} round trips "
        f"per latency run; up to {settings.fanouts} group_sends per fan-out run",
        _util.describe_machine(machine),
        "",
        table,
    ])


def main(argv=None):
    return _util.main(argv, "cluster", __doc__, "small settings, three runs", Settings, run, summarize, format_report,
                      options=[("--messages", int, "messages per channel per throughput run (default 10000)")],
                      prefixes=PREFIXES.values())


if __name__ == "__main__":
    main()
