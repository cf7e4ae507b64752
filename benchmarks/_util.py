"""Helpers shared by the benchmarks: the Redis server to run against, statistics,
bounded waits on child processes, the command line and the plain-text report."""

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import platform
import secrets
import statistics
import sys
import time
import traceback

import redis


# The settings of the systems measured: DEBUG off, as deployments run; plain HTTP on the loopback.
PRODUCTION_WITHOUT_TLS = {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
                          "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "DJANGO_HTTPS": "0"}


@contextlib.contextmanager
def redis_server():
    """The URL of the server to benchmark against: $REDIS_URL if set, else a fresh
    embedded server on a unix socket in a temporary directory, stopped on exit."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    from channels1.redis_server import RedisServer

    with RedisServer() as server:
        yield server.url


def clear_prefixes(url, prefixes):
    """Delete every key starting with one of the prefixes (on a cluster's URL, on
    every primary)."""
    from channels1.layer._cluster import cluster_client, is_cluster_url

    import redis.cluster

    client = cluster_client([url], {}, module=redis.cluster) if is_cluster_url(url) else redis.Redis.from_url(url)
    try:
        for prefix in prefixes:
            keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
            for start in range(0, len(keys), 1000):
                pipe = client.pipeline(transaction=False)
                for key in keys[start:start + 1000]:
                    pipe.unlink(key)  # one by one: on a cluster they sit in many slots
                pipe.execute()
    finally:
        client.close()


def machine_info(url):
    client = redis.Redis.from_url(url)
    try:
        info = client.info("server")
    finally:
        client.close()
    if "valkey_version" in info:
        server = f"valkey {info['valkey_version']}"
    else:
        server = f"redis {info['redis_version']}"
    return {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "server": server,
        "server_url": url,
        "load_average": os.getloadavg()[0],
    }


def describe_machine(info):
    return (
        f"Machine: {info['cores']} cores ({info['cpu']}), Python {info['python']}, "
        f"{info['platform']}, server {info['server']} at {info['server_url']}, "
        f"load average {info['load_average']:.2f} at start"
    )


def _cpu_model():
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown cpu"


# Statistics


def median(values):
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


def percentile(values, fraction):
    """Linear interpolation between the closest ranks; fraction in [0, 1]."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def ratio(ours, theirs):
    if ours is None or not theirs:
        return None
    return ours / theirs


# Child processes: every wait is bounded


class Deadline:
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def left(self):
        return max(0.0, self.end - time.monotonic())

    def passed(self):
        return time.monotonic() >= self.end


def receive_from(connection, timeout):
    """The next object on a multiprocessing connection, or TimeoutError."""
    if not connection.poll(timeout):
        raise TimeoutError(f"nothing received within {timeout:.0f}s")
    return connection.recv()


class ChildFailed(Exception):
    """A benchmark's child process failed, or said something out of turn."""


def child_main(function, pipe, *args):
    """Entry point of a benchmark's child process: runs ``function(pipe, *args)``;
    a failure goes back over the pipe as ("error", traceback) and exits 1."""
    try:
        asyncio.run(function(pipe, *args))
    except BaseException:
        with contextlib.suppress(OSError):
            pipe.send(("error", traceback.format_exc()))
        sys.exit(1)


def expect(pipe, kind, timeout):
    """The next message from a child, which must be of the given kind."""
    message = receive_from(pipe, timeout)
    if message[0] == "error":
        raise ChildFailed(message[1])
    if message[0] != kind:
        raise ChildFailed(f"expected {kind!r} from a child process, got {message!r}")
    return message[1:]


def reap(processes, timeout=20):
    """Join the processes within the timeout, then terminate (and at last kill) the
    ones still running. Returns the names of those that had to be stopped."""
    deadline = Deadline(timeout)
    for process in processes:
        process.join(deadline.left())
    stopped = []
    for process in processes:
        if process.is_alive():
            stopped.append(process.name)
            process.terminate()
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join(5)
    return stopped


# The command line and the report


def progress(text):
    print(text, file=sys.stderr, flush=True)


def main(argv, name, doc, quick_help, settings_class, run, summarize, format_report, options=(), prefixes=()):
    """``python -m benchmarks.<name>``: the options every benchmark has, plus
    ``options`` ((flag, type, help) each, the flag naming a field of ``settings_class``);
    the default or ``quick()`` settings with the values given put in, run and reported."""
    parser = argparse.ArgumentParser(prog=f"python -m benchmarks.{name}", description=doc.splitlines()[0])
    parser.add_argument("--runs", type=int, help="runs per case (default 3, or 1 with --quick)")
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    for flag, kind, help_text in options:
        parser.add_argument(flag, type=kind, help=help_text)
    given = parser.parse_args(argv)
    settings = settings_class.quick() if given.quick else settings_class()
    fields = ["runs", *(flag.removeprefix("--").replace("-", "_") for flag, _, _ in options)]
    changes = {field: getattr(given, field) for field in fields if getattr(given, field)}
    return run_and_report(name, dataclasses.replace(settings, **changes), run, summarize, format_report,
                          given.json, prefixes)


def run_and_report(name, settings, run, summarize, format_report, json_path=None, prefixes=()):
    """Run ``run(settings, url)`` on the benchmark server, print the report of its
    summarized rows and the problems seen; the results, also written to ``json_path``."""
    started = time.monotonic()
    with redis_server() as url:
        machine = machine_info(url)
        progress(describe_machine(machine))
        raw = run(settings, url)
        if prefixes:
            clear_prefixes(url, prefixes)
    rows = summarize(raw, settings)
    print(format_report(rows, settings, machine))
    if raw["problems"]:
        print("\nProblems:")
        for problem in raw["problems"]:
            print(f"  - {problem}")
    print(f"\nTook {time.monotonic() - started:.0f}s.")
    results = {
        "benchmark": name,
        "machine": machine,
        "settings": dataclasses.asdict(settings),
        "rows": rows,
        "problems": raw["problems"],
        "cases": raw["cases"],
    }
    if json_path:
        write_json(json_path, results)
    return results


def two_setup_rows(raw, rows, setups):
    """Rows comparing two setups, ``raw["results"][setup][key]`` holding each one's runs:
    the medians under each setup's name and the second's ratio to the first, per
    ``(key, benchmark, unit)`` of ``rows``."""
    summary = []
    for key, benchmark, unit in rows:
        first, second = (median(raw["results"][setup][key]) for setup in setups)
        summary.append({"benchmark": benchmark, "unit": unit, setups[0]: first, setups[1]: second,
                        "ratio": ratio(second, first), "runs": {setup: raw["results"][setup][key] for setup in setups}})
    return summary


def two_setup_table(rows, setups, ratio_header):
    """The table of ``two_setup_rows()``."""
    return format_table(["benchmark", "unit", *setups, ratio_header], [
        [row["benchmark"], row["unit"], format_number(row[setups[0]], row["unit"]),
         format_number(row[setups[1]], row["unit"]), format_ratio(row["ratio"])]
        for row in rows
    ])


def format_table(headers, rows):
    """Columns aligned; the first column to the left, the others to the right."""
    widths = [max(len(str(row[index])) for row in [headers, *rows]) for index in range(len(headers))]

    def line(cells):
        first, *rest = (str(cell) for cell in cells)
        return "  ".join([first.ljust(widths[0]), *(cell.rjust(width) for cell, width in zip(rest, widths[1:]))])

    return "\n".join([line(headers), "  ".join("-" * width for width in widths), *map(line, rows)])


def format_number(value, unit):
    if value is None:
        return "n/a"
    if unit.startswith("ms"):
        return f"{value:.2f}" if value < 100 else f"{value:,.0f}"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}"


def format_ratio(value):
    return "n/a" if value is None else f"{value:.2f}x"


def write_json(path, data):
    with open(path, "w") as file:
        json.dump(data, file, indent=2)
        file.write("\n")
