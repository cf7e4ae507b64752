"""WebSocket echo benchmark: the Channels 1.x worker path against a channels 4 consumer in Daphne.
Both go through one Daphne on one Redis; the worker path is the bridge, the layer and runworker.
Run: python -m benchmarks.echo [--runs N] [--duration SECONDS] [--quick] [--json PATH]"""

import asyncio
import contextlib
import dataclasses
import multiprocessing
import tempfile
import time

import redis

from channels1.testing import LiveSystem

from . import _cpu, _util

WORKER_PATH = "/ws/echo/"
DAPHNE_PATH = "/ws/echo4/"
PADDING = "x" * 32
WORKER_THREADS = 32
START_TIMEOUT = 60
STOP_TIMEOUT = 10
CONNECT_TIMEOUT = 20
ECHO_TIMEOUT = 5
DRAIN_SECONDS = 0.1
SETTLE_TIMEOUT = 10


@dataclasses.dataclass(frozen=True)
class EchoPath:
    """Where the echo happens: ``workers`` runworker processes behind the bridge, or
    the channels 4 consumer inside Daphne when ``workers`` is 0."""

    workers: int
    threads: int = 0

    @property
    def label(self):
        if not self.workers:
            return "channels 4 consumer in Daphne"
        return f"worker path, {self.workers} worker{'s' * (self.workers > 1)} x {self.threads} thread" \
               f"{'s' * (self.threads > 1)}"

    @property
    def url_path(self):
        return WORKER_PATH if self.workers else DAPHNE_PATH


@dataclasses.dataclass(frozen=True)
class Settings:
    runs: int = 3
    duration: float = 4.0
    warmup: float = 1.0
    clients: tuple = (1, 10, 50)
    workers: tuple = (1, 2, 4)
    threads: tuple = (WORKER_THREADS,)
    client_processes: int = 1

    @classmethod
    def quick(cls, runs=1):
        return cls(runs=runs, duration=1.5, warmup=0.5)

    def paths(self):
        return [EchoPath(0), *(EchoPath(workers, threads) for threads in self.threads for workers in self.workers)]


# Daphne and the workers


class System(LiveSystem):
    """One Daphne serving the project, and the runworker processes of the path being
    measured, all on one layer prefix of the given Redis."""

    def __init__(self, redis_url, directory):
        super().__init__(redis_url, directory, prefix="benchecho", env=_util.PRODUCTION_WITHOUT_TLS,
                         daphne_options=("-v", "0"), start_timeout=START_TIMEOUT, stop_timeout=STOP_TIMEOUT)

    def pids(self):
        return {"daphne": [self.daphne.pid], "workers": [worker.pid for worker in self.workers]}

    def pending(self, client):
        """Messages still in the normal channels' streams: waiting, or taken and not yet
        acknowledged (acknowledged ones are deleted)."""
        return sum(client.xlen(key) for key in client.scan_iter(match=f"{self.prefix}:c:*", count=1000))

    def logged_problems(self):
        """ERROR and WARNING lines, and tracebacks, in the logs of every process started."""
        found = []
        for log_path in sorted(self.directory.glob("*.log")):
            for line in log_path.read_text(errors="replace").splitlines():
                if " ERROR " in line or " WARNING " in line or line.startswith("Traceback"):
                    found.append(f"{log_path.stem}: {line.strip()}")
        return found


# The clients: a child process connects its share of the clients, then each client
# echoes one frame at a time for the window the parent gave. The parent talks to it
# over a pipe: ("connect", url, first, count) -> ("connected",); ("go", start, measure_from,
# measure_to) -> ("result", data); ("stop",) ends it. Failures come back as ("error", text).


async def _client_serve(pipe):
    loop = asyncio.get_running_loop()

    async def command(timeout):
        return await loop.run_in_executor(None, _util.receive_from, pipe, timeout)

    while True:
        kind, *args = await command(START_TIMEOUT * 10)
        if kind == "stop":
            return
        url, first, count = args
        connections = await _connect_all(url, count)
        try:
            pipe.send(("connected",))
            kind, *window = await command(START_TIMEOUT)
            if kind != "go":
                raise RuntimeError(f"expected go, got {kind!r}")
            tallies = await asyncio.gather(*(
                _echo_client(connection, first + index, *window) for index, connection in enumerate(connections)
            ))
        finally:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                await asyncio.gather(*(connection.close() for connection in connections), return_exceptions=True)
        pipe.send(("result", _merge(tallies)))


async def _connect_all(url, count):
    from websockets.asyncio.client import connect

    async with asyncio.timeout(CONNECT_TIMEOUT):
        results = await asyncio.gather(*(
            connect(url, compression=None, ping_interval=None, open_timeout=CONNECT_TIMEOUT, max_queue=None)
            for _ in range(count)
        ), return_exceptions=True)
    failures = [result for result in results if isinstance(result, BaseException)]
    if failures:
        for result in results:
            if not isinstance(result, BaseException):
                await result.close()
        raise RuntimeError(f"{len(failures)} of {count} connections failed, first: {failures[0]!r}")
    return results


async def _echo_client(connection, client, start, measure_from, measure_to):
    """Closed loop: send a numbered frame, wait for it to come back, repeat. Counts the
    echoes completed inside the measuring window, and everything that went wrong."""
    from websockets.exceptions import ConnectionClosed

    tally = {"echoes": 0, "sent": 0, "latencies": [], "lost": 0, "duplicates": 0, "mismatched": 0,
             "closed": 0}
    clock = time.monotonic
    await asyncio.sleep(max(0.0, start - clock()))
    number = 0
    try:
        while clock() < measure_to:
            text = f"{client}:{number}:{PADDING}"
            sent_at = clock()
            await connection.send(text)
            tally["sent"] += 1
            try:
                async with asyncio.timeout(ECHO_TIMEOUT):
                    while (reply := await connection.recv()) != text:
                        tally[_classify(reply, client, number)] += 1
            except TimeoutError:
                tally["lost"] += 1
                return tally
            done_at = clock()
            if measure_from <= done_at < measure_to:
                tally["echoes"] += 1
                tally["latencies"].append(done_at - sent_at)
            number += 1
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(DRAIN_SECONDS):
                while True:
                    tally[_classify(await connection.recv(), client, number)] += 1
    except ConnectionClosed:
        tally["closed"] += 1
    return tally


def _classify(reply, client, number):
    """An unexpected frame: a repeat of an earlier echo of this client, or a wrong one."""
    with contextlib.suppress(ValueError, AttributeError):
        their_client, their_number, padding = reply.split(":")
        if int(their_client) == client and int(their_number) < number and padding == PADDING:
            return "duplicates"
    return "mismatched"


def _merge(tallies):
    merged = {key: 0 for key in tallies[0] if key != "latencies"}
    for tally in tallies:
        for key in merged:
            merged[key] += tally[key]
    merged["latencies"] = [seconds for tally in tallies for seconds in tally["latencies"]]
    return merged


class Clients:
    """The client processes, reaped on exit whatever happened."""

    def __init__(self, processes):
        self.context = multiprocessing.get_context("spawn")
        self.count = processes
        self.processes = []
        self.pipes = []
        self.start()

    def start(self):
        for index in range(self.count):
            mine, theirs = self.context.Pipe()
            process = self.context.Process(target=_util.child_main, args=(_client_serve, theirs), name=f"clients{index}", daemon=True)
            process.start()
            theirs.close()
            self.processes.append(process)
            self.pipes.append(mine)

    def stop(self):
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send(("stop",))
        stopped = _util.reap(self.processes)
        for pipe in self.pipes:
            pipe.close()
        self.processes = []
        self.pipes = []
        if stopped:
            _util.progress(f"    had to stop {', '.join(stopped)}")

    def restart(self):
        """Fresh processes, after a failure left the old ones in an unknown state."""
        self.stop()
        self.start()

    @property
    def pids(self):
        return [process.pid for process in self.processes]

    def expect(self, pipe, kind, timeout):
        return _util.expect(pipe, kind, timeout)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()


# One measurement


def measure(system, clients, redis_client, path, count, settings):
    """Echo messages/s, latency percentiles and CPU time per echo of each process, with
    `count` clients on `path` for settings.duration seconds after settings.warmup."""
    url = system.ws_url(path.url_path)
    shares = [count // len(clients.pipes) + (index < count % len(clients.pipes))
              for index in range(len(clients.pipes))]
    active = [(pipe, share) for pipe, share in zip(clients.pipes, shares) if share]
    first = 0
    for pipe, share in active:
        pipe.send(("connect", url, first, share))
        first += share
    for pipe, _ in active:
        clients.expect(pipe, "connected", CONNECT_TIMEOUT * 2)
    start = time.monotonic() + 0.05
    measure_from = start + settings.warmup
    measure_to = measure_from + settings.duration
    for pipe, _ in active:
        pipe.send(("go", start, measure_from, measure_to))
    pids = {**system.pids(), "clients": clients.pids}
    time.sleep(max(0.0, measure_from - time.monotonic()))
    before = _cpu.snapshot(pids, redis_client)
    time.sleep(max(0.0, measure_to - time.monotonic()))
    after = _cpu.snapshot(pids, redis_client)
    timeout = ECHO_TIMEOUT + DRAIN_SECONDS + CONNECT_TIMEOUT + 10
    tally = _merge([clients.expect(pipe, "result", timeout)[0] for pipe, _ in active])
    milliseconds = [seconds * 1000 for seconds in tally.pop("latencies")]
    echoes = tally["echoes"]
    result = {
        "rate": echoes / settings.duration,
        "p50": _util.percentile(milliseconds, 0.50),
        "p99": _util.percentile(milliseconds, 0.99),
        **tally,
    }
    spent = _cpu.spent(before, after)
    result["cpu_other"] = spent.pop("other") / settings.duration
    for name, seconds in spent.items():
        result[f"cpu_{name}"] = seconds / settings.duration if seconds is not None else None
        result[f"us_{name}"] = seconds / echoes * 1e6 if seconds is not None and echoes else None
    return result


def settle(system, redis_client, problems, name):
    """Wait until the workers have taken and acknowledged every message, disconnects included."""
    deadline = _util.Deadline(SETTLE_TIMEOUT)
    while (left := system.pending(redis_client)) and not deadline.passed():
        time.sleep(0.05)
    if left:
        problems.append(f"{name}: {left} message(s) still unacknowledged {SETTLE_TIMEOUT}s after the clients left")


def check(result, name, problems):
    wrong = {key: result[key] for key in ("lost", "duplicates", "mismatched", "closed") if result[key]}
    if wrong:
        problems.append(f"{name}: " + ", ".join(f"{value} {key}" for key, value in wrong.items())
                        + f" (of {result['sent']} frames sent)")


# Running every case and reporting


def run(settings, url):
    """Every path at every client count, the paths interleaved in each run so that drift
    hits them alike. Returns the results by (path, clients) and the problems seen."""
    results = {}
    problems = []
    cases = []
    redis_client = redis.Redis.from_url(url)
    with tempfile.TemporaryDirectory(prefix="bench-echo-") as directory, Clients(settings.client_processes) as clients:
        system = System(url, directory)
        try:
            system.start_daphne()
            for run_index in range(settings.runs):
                # Every other run in reverse order, so that no path is always measured first.
                for path in settings.paths()[::-1 if run_index % 2 else 1]:
                    _run_path(system, clients, redis_client, path, settings, run_index, results, problems, cases)
        finally:
            system.stop()
            problems += [f"log: {line}" for line in system.logged_problems()[:20]]
            _util.clear_prefixes(url, [system.prefix])
            redis_client.close()
    return {"results": results, "problems": problems, "cases": cases}


def _run_path(system, clients, redis_client, path, settings, run_index, results, problems, cases):
    if system.daphne.poll() is not None:
        raise RuntimeError(f"Daphne exited with code {system.daphne.returncode}:\n{system.log(system.daphne, 30)}")
    try:
        if path.workers:
            system.start_workers(path.workers, path.threads)
    except RuntimeError as error:
        system.stop_workers()
        problems.append(f"{path.label}, run {run_index + 1}: {str(error).strip()[-2000:]}")
        _util.progress(f"    FAILED: {problems[-1]}")
        for count in settings.clients:
            results.setdefault((path, count), []).append(None)
        return
    try:
        for count in settings.clients:
            name = f"{path.label}, {count} client{'s' * (count > 1)}, run {run_index + 1}"
            try:
                result = measure(system, clients, redis_client, path, count, settings)
            except (_util.ChildFailed, TimeoutError, OSError, EOFError) as error:
                problems.append(f"{name}: {type(error).__name__}: {str(error).strip()[-2000:]}")
                _util.progress(f"    FAILED: {problems[-1]}")
                result = None
                clients.restart()
            results.setdefault((path, count), []).append(result)
            cases.append({"case": name, "result": result})
            if result:
                check(result, name, problems)
                _util.progress(f"{name}: {result['rate']:,.0f} msg/s, p50 {result['p50']:.2f} ms, "
                          f"p99 {result['p99']:.2f} ms, Daphne {_cpu_text(result, 'daphne')}, "
                          f"workers {_cpu_text(result, 'workers')}, redis {_cpu_text(result, 'redis')}, "
                          f"clients {_cpu_text(result, 'clients')}, other processes {result['cpu_other']:.2f} cores")
            if path.workers:
                settle(system, redis_client, problems, name)
    finally:
        if path.workers:
            system.stop_workers()


def _cpu_text(result, name):
    if result[f"us_{name}"] is None:
        return "n/a"
    return f"{result[f'us_{name}']:.0f} us/msg ({result[f'cpu_{name}'] * 100:.0f}% of a core)"


PROCESSES = ("daphne", "workers", "redis", "clients")


def summarize(raw, settings):
    rows = []
    for count in settings.clients:
        baseline = _util.median(_values(raw["results"].get((EchoPath(0), count), []), "rate"))
        for path in settings.paths():
            runs = raw["results"].get((path, count), [])
            rates = [value for value in _values(runs, "rate") if value is not None]
            rate = _util.median(rates)
            row = {
                "path": path.label,
                "workers": path.workers,
                "threads": path.threads,
                "clients": count,
                "rate": rate,
                "ratio": _util.ratio(rate, baseline) if path.workers else None,
                "spread": (max(rates) - min(rates)) / 2 / rate if len(rates) > 1 and rate else None,
                "p50": _util.median(_values(runs, "p50")),
                "p99": _util.median(_values(runs, "p99")),
                "runs": {key: _values(runs, key) for key in ("rate", "p50", "p99")},
            }
            for name in PROCESSES:
                row[f"us_{name}"] = _util.median(_values(runs, f"us_{name}"))
                row[f"cpu_{name}"] = _util.median(_values(runs, f"cpu_{name}"))
            row["cpu_other"] = _util.median(_values(runs, "cpu_other"))
            rows.append(row)
    return rows


def _values(runs, key):
    return [run[key] if run else None for run in runs]


# Targets, reported and not asserted: msg/s at 50 clients against the in-Daphne
# consumer (by worker count), and the p50 at 1 client.
RATIO_TARGETS = {1: 1.2, 2: 1.2, 4: 0.9}
P50_TARGET_MS = 0.5


def target(row):
    """(what the row is held to, whether it met it), or ("", "") for rows with no target."""
    if not row["workers"]:
        return "", ""
    if row["clients"] == 50 and row["workers"] in RATIO_TARGETS:
        wanted = RATIO_TARGETS[row["workers"]]
        return f">= {wanted:g}x", _met(row["ratio"], lambda ratio: ratio >= wanted)
    if row["clients"] == 1:
        return f"p50 <= {P50_TARGET_MS:g} ms", _met(row["p50"], lambda p50: p50 <= P50_TARGET_MS)
    return "", ""


def _met(value, test):
    return "n/a" if value is None else "yes" if test(value) else "NO"


def format_report(rows, settings, machine):
    headers = ["path", "clients", "msg/s", "runs +/-", "vs in-Daphne", "p50 ms", "p99 ms",
               "Daphne us/msg", "workers us/msg", "Redis us/msg", "clients us/msg", "other cores", "target", "met"]
    table = _util.format_table(headers, [
        [row["path"], row["clients"], _util.format_number(row["rate"], "msg/s"),
         "n/a" if row["spread"] is None else f"{row['spread'] * 100:.0f}%", _util.format_ratio(row["ratio"]),
         _util.format_number(row["p50"], "ms"), _util.format_number(row["p99"], "ms"),
         *(_util.format_number(row[f"us_{name}"], "us") for name in PROCESSES),
         "n/a" if row["cpu_other"] is None else f"{row['cpu_other']:.2f}", *target(row)]
        for row in rows
    ])
    return "\n".join([
        f"WebSocket echo through one Daphne: worker path {WORKER_PATH} (bridge -> RedisChannelLayer -> runworker "
        f"--threads {'/'.join(map(str, settings.threads))}) against {DAPHNE_PATH} (channels 4 AsyncWebsocketConsumer).",
        f"Closed-loop clients, one frame in flight each, in {settings.client_processes} client process(es); "
        f"{settings.warmup:g}s warmup + {settings.duration:g}s measured; median of {settings.runs} run(s).",
        "runs +/-: half the range of msg/s over the runs, relative to the median. us/msg: CPU time of each "
        "process (all workers together, all client processes together) per echoed message.",
        "other cores: CPU used during the measurement by processes outside the benchmark.",
        _util.describe_machine(machine),
        "target: msg/s at 50 clients against in-Daphne, or the p50 at 1 client (reported, not asserted).",
        "",
        table,
    ])


def _numbers(text):
    return tuple(int(part) for part in text.split(",")) if text else None


def main(argv=None):
    return _util.main(argv, "echo", __doc__, "a small smoke run, under a minute", Settings, run, summarize,
                      format_report, options=[
                          ("--duration", float, "measured seconds per case (default 4, or 1.5 with --quick)"),
                          ("--threads", _numbers, f"runworker --threads, comma-separated (default {WORKER_THREADS})"),
                          ("--workers", _numbers, "worker process counts, comma-separated (default 1,2,4)"),
                          ("--clients", _numbers, "concurrent client counts, comma-separated (default 1,10,50)"),
                          ("--client-processes", int, "processes the clients are spread over (default 1)"),
                      ])


if __name__ == "__main__":
    main()
