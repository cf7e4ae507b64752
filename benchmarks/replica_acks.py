"""What replica acknowledgements cost a send: the layer on a primary with one replica,
with ``replica_acks`` 0 and 1 in the same run: one send at a time (its latency) and
many at once (batched throughput). Run:
python -m benchmarks.replica_acks [--runs N] [--quick] [--json PATH]"""

import asyncio
import dataclasses
import time

from . import _util

SETUPS = ("replica_acks=0", "replica_acks=1")


@dataclasses.dataclass(frozen=True)
class Settings:
    runs: int = 3
    sequential: int = 3_000
    concurrent: int = 20_000
    senders: int = 50

    @classmethod
    def quick(cls):
        return cls(sequential=500, concurrent=4_000)


async def _measure(url, acks, settings, run_index):
    from channels1.layer import RedisChannelLayer

    layer = RedisChannelLayer(hosts=[url], prefix=f"bench-acks{acks}-{run_index}", replica_acks=acks,
                              channel_capacity={"bench.*": settings.concurrent * 2})
    try:
        await layer.send("bench.warm", {"n": 0})
        started = time.perf_counter()
        for n in range(settings.sequential):
            await layer.send("bench.one", {"n": n})
        one_us = (time.perf_counter() - started) / settings.sequential * 1e6

        async def sender(count):
            for n in range(count):
                await layer.send("bench.many", {"n": n})

        started = time.perf_counter()
        await asyncio.gather(*(sender(settings.concurrent // settings.senders) for _ in range(settings.senders)))
        rate = settings.concurrent / (time.perf_counter() - started)
        await layer.flush()
    finally:
        await layer.close()
    return one_us, rate


def run(settings, url):
    """Both settings on one primary and its replica, on TCP, alternating per run;
    ``url``, the benchmarks' usual server, only names the machine."""
    from channels1.redis_server import RedisServer

    results = {setup: {"one_us": [], "rate": []} for setup in SETUPS}
    with RedisServer(port=None, unix_socket=False) as primary, RedisServer(
            port=None, unix_socket=False, extra_args=["--replicaof", "127.0.0.1", str(primary.port)]) as replica:
        with replica.client() as client:
            deadline = _util.Deadline(30)
            while client.info("replication")["master_link_status"] != "up":
                if deadline.passed():
                    raise RuntimeError("the replica did not connect to the primary")
                time.sleep(0.1)
        for run_index in range(settings.runs):
            for acks, setup in enumerate(SETUPS):
                one_us, rate = asyncio.run(_measure(primary.url, acks, settings, run_index))
                results[setup]["one_us"].append(one_us)
                results[setup]["rate"].append(rate)
                _util.progress(f"{setup}, run {run_index + 1}: one send {one_us:.0f} us, "
                               f"{settings.senders} senders {rate:,.0f} msg/s")
    return {"results": results, "cases": [], "problems": []}


ROWS = (
    ("one_us", "one send at a time, per send", "us (lower better)"),
    ("rate", "sends from 50 coroutines at once (batched)", "msg/s (higher better)"),
)


def summarize(raw, settings):
    return _util.two_setup_rows(raw, ROWS, SETUPS)


def format_report(rows, settings, machine):
    table = _util.two_setup_table(rows, SETUPS, "1/0")
    return "\n".join([
        f"channels1's layer sending to a primary with one replica (TCP, same machine), without and with "
        f"replica acknowledgements (WAIT and once-only sends), same run; median of {settings.runs} run(s)",
        f"{settings.sequential:,} sends one at a time, {settings.concurrent:,} from {settings.senders} coroutines",
        _util.describe_machine(machine),
        "",
        table,
    ])


def main(argv=None):
    return _util.main(argv, "replica_acks", __doc__, "small settings, three runs", Settings, run, summarize,
                      format_report)

if __name__ == "__main__":
    main()
