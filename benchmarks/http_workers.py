"""HTTP benchmark: one Django view served through the workers (Daphne's bridge, the
layer, runworker's ViewConsumer) against the same view served by Daphne directly.
Both run the 1.x project of tests/legacy/ on one Redis, side by side in one run.
Run: python -m benchmarks.http_workers [--runs N] [--quick] [--json PATH]"""

import asyncio
import dataclasses
import socket
import tempfile
import time

from channels1.testing import PROJECT_ROOT, LiveSystem, free_port

from . import _util

LEGACY_ROOT = PROJECT_ROOT / "tests" / "legacy"
VIEW_PATH = "/web/echo/?q=benchmark"
REQUEST_TIMEOUT = 30
START_TIMEOUT = 60


@dataclasses.dataclass(frozen=True)
class Settings:
    runs: int = 3
    duration: float = 5.0
    warmup: float = 1.0
    clients: tuple = (1, 10, 50)
    workers: int = 2
    threads: int = 4

    @classmethod
    def quick(cls, runs=1):
        return cls(runs=runs, duration=2.0, warmup=0.5)


def start_systems(url, directory, settings):
    """The legacy project through ``settings.workers`` workers, and a second Daphne
    serving the same project's views with Django's own ASGI application."""
    system = LiveSystem(
        url, directory, settings="legacyproject.settings", prefix="bench", root=LEGACY_ROOT,
        application="legacyproject.asgi:channel_layer", env={"PYTHONPATH": str(PROJECT_ROOT)},
        daphne_options=("-v", "0"), start_timeout=START_TIMEOUT,
    )
    system.start(workers=settings.workers, threads=settings.threads)
    direct_port = free_port()
    direct = system.start_process("daphne-direct", [
        "-m", "daphne", "-v", "0", "-b", "127.0.0.1", "-p", str(direct_port), "benchmarks.django_asgi:application",
    ])
    deadline = _util.Deadline(START_TIMEOUT)
    while True:
        try:
            socket.create_connection(("127.0.0.1", direct_port), timeout=0.5).close()
            return system, direct, direct_port
        except OSError:
            if deadline.passed() or direct.poll() is not None:
                raise RuntimeError(f"The direct Daphne did not listen:\n{system.log(direct, 30)}") from None
            time.sleep(0.1)


async def _get(reader, writer, path):
    """One keep-alive GET; the status."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:] if line)}
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if not size:
                break
    return status


async def _client(port, stop_at, measure_from, latencies, errors):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.monotonic() < stop_at:
            started = time.monotonic()
            status = await asyncio.wait_for(_get(reader, writer, VIEW_PATH), REQUEST_TIMEOUT)
            if started >= measure_from:
                if status == 200:
                    latencies.append(time.monotonic() - started)
                else:
                    errors.append(status)
    finally:
        writer.close()


async def measure(port, clients, settings):
    """Requests per second and latencies of ``clients`` keep-alive clients."""
    start = time.monotonic()
    measure_from = start + settings.warmup
    stop_at = measure_from + settings.duration
    latencies, errors = [], []
    await asyncio.gather(*(_client(port, stop_at, measure_from, latencies, errors) for _ in range(clients)))
    elapsed = time.monotonic() - measure_from
    return {"requests_per_second": len(latencies) / elapsed, "p50_ms": _util.percentile(latencies, 0.5) * 1000,
            "p99_ms": _util.percentile(latencies, 0.99) * 1000, "errors": len(errors)}


def run(settings, url):
    cases, problems = [], []
    with tempfile.TemporaryDirectory() as directory:
        system, direct, direct_port = start_systems(url, directory, settings)
        try:
            for _ in range(settings.runs):
                for clients in settings.clients:
                    for path, port in (("workers", system.port), ("daphne", direct_port)):
                        _util.progress(f"{path}, {clients} clients")
                        result = asyncio.run(measure(port, clients, settings))
                        if result["errors"]:
                            problems.append(f"{path}, {clients} clients: {result['errors']} non-200 answers")
                        cases.append({"path": path, "clients": clients, **result})
        finally:
            system._interrupt([direct])
            system._reap([direct])
            system.stop()
    return {"cases": cases, "problems": problems}


def summarize(raw, settings):
    rows = []
    for clients in settings.clients:
        row = {"clients": clients}
        for path in ("workers", "daphne"):
            runs = [case for case in raw["cases"] if case["path"] == path and case["clients"] == clients]
            for key in ("requests_per_second", "p50_ms", "p99_ms"):
                row[f"{path}_{key}"] = _util.median([case[key] for case in runs])
        row["ratio"] = _util.ratio(row["workers_requests_per_second"], row["daphne_requests_per_second"])
        rows.append(row)
    return rows


def format_report(rows, settings, machine):
    headers = ["clients", "workers req/s", "p50 ms", "p99 ms", "Daphne req/s", "p50 ms", "p99 ms", "workers/Daphne"]
    table = [[
        row["clients"],
        _util.format_number(row["workers_requests_per_second"], "req/s"),
        _util.format_number(row["workers_p50_ms"], "ms"), _util.format_number(row["workers_p99_ms"], "ms"),
        _util.format_number(row["daphne_requests_per_second"], "req/s"),
        _util.format_number(row["daphne_p50_ms"], "ms"), _util.format_number(row["daphne_p99_ms"], "ms"),
        _util.format_ratio(row["ratio"]),
    ] for row in rows]
    return (
        f"GET {VIEW_PATH} (a JSON view, sessions and auth middleware), keep-alive clients; "
        f"workers: {settings.workers} runworker x {settings.threads} threads behind one Daphne; "
        f"Daphne: one Daphne running Django itself. Medians of {settings.runs} run(s) of {settings.duration:g} s.\n"
        f"{_util.format_table(headers, table)}\n"
        f"1.x's published worker path: p50 21 ms / p99 118 ms at 300 requests/s on one worker."
    )


def main(argv=None):
    return _util.main(argv, "http_workers", __doc__, "2 s per case, one run", Settings, run, summarize,
                      format_report)


if __name__ == "__main__":
    main()
