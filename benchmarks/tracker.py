"""Tracker notifications benchmark: a plain sync script creates incidents (each save
sends post_save, and an alert when it lands in an area), delivered through Redis and
Daphne to 100 sockets on /ws/notifications/. Reports notifications per second and the
save-to-delivery delay (p50/p99), median of the runs.
Run: python -m benchmarks.tracker [--runs N] [--sockets N] [--quick] [--json PATH]"""

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import sys
import tempfile
import time

import redis

from channels1.testing import LiveSystem

from . import _cpu, _util

START_TIMEOUT = 60
DELIVERY_TIMEOUT = 30
CLIENT_PROCESSES = 4
AREAS = 1000
# Targets, reported and not asserted: the flat-out rate, and the p99 when paced.
NOTIFICATIONS_TARGET = 1000
P99_TARGET_MS = 20

# The sync script: Django set up as any script would, incidents created one by one at
# a rate (0: flat out), each named by the wall-clock time just before its save. One
# "warm-up" incident first, not timed: the first save of a process pays for Django's
# URL resolver (as_feature's reverse(), ~50 ms) and the layer's connection, which a
# long-running process pays once; its time is reported on its own, and the timed
# incidents start once the Daphne has written its notifications.
CREATOR = """
import cProfile, json, pstats, sys, time, django
django.setup()
from tracker.geo import point
from tracker.models import Incident
count, rate, severities = int(sys.argv[1]), float(sys.argv[2]), ["UR", "HI", "ME", "LO", "IN"]
profile = cProfile.Profile() if sys.argv[3] == "profile" else None
warm_up = time.monotonic()
Incident.objects.create(name="warm-up", severity="IN", location=point(2.35, 48.85))
warm_up = time.monotonic() - warm_up
time.sleep(0.5)
created, saves, started, cpu = [], {}, time.monotonic(), time.process_time()
if profile:
    profile.enable()
for number in range(count):
    if rate:
        time.sleep(max(0.0, started + number / rate - time.monotonic()))
    lon, lat = 2.25 + (number * 0.0137) % 0.2, 48.81 + (number * 0.0071) % 0.09
    name = f"t={time.time():.6f}"
    created.append(Incident.objects.create(name=name, severity=severities[number % 5], location=point(lon, lat)))
    saves[name] = time.time() - float(name[2:])  # the save, its commit and its sends
elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
if profile:
    profile.disable()
    pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
alerts = sum(1 for incident in created if incident.alerted_areas())
print(json.dumps({"count": count, "elapsed": elapsed, "cpu": cpu, "cpu_total": time.process_time(),
                  "alerts": alerts, "saves": saves, "warm_up": warm_up}))
"""

# AREAS areas of interest on a grid over the incidents' extent, every severity.
AREAS_SCRIPT = f"""
import django
django.setup()
from tracker.models import AreaOfInterest
side = int({AREAS} ** 0.5)
step_lon, step_lat = 0.2 / side, 0.09 / side
def cell(x, y):
    west, south = 2.25 + x * step_lon, 48.81 + y * step_lat
    ring = [[west, south], [west + step_lon / 2, south], [west + step_lon / 2, south + step_lat / 2],
            [west, south + step_lat / 2], [west, south]]
    return AreaOfInterest(name=f"cell {{x}},{{y}}", severity="UR HI ME LO IN".split()[(x + y) % 5],
                          polygon={{"type": "Polygon", "coordinates": [ring]}}).set_bbox()
AreaOfInterest.objects.bulk_create([cell(x, y) for x in range(side) for y in range(side)])
"""




class System(LiveSystem):
    """Daphne and runworker processes on the project's settings, with a database, AREAS
    areas of interest and a layer prefix of their own; anonymous viewers allowed."""

    def __init__(self, redis_url, directory):
        super().__init__(redis_url, directory, prefix="benchtracker",
                         env={**_util.PRODUCTION_WITHOUT_TLS, "TRACKER_ANONYMOUS_VIEWERS": "1"},
                         daphne_options=("-v", "0"), start_timeout=START_TIMEOUT)

    def prepare(self):
        super().prepare()
        self.python("-c", AREAS_SCRIPT, timeout=300)


# Client processes: each holds its share of the sockets and, per run, records when
# every post_save arrives ("connect", url, n) -> ("connected",); ("go", expected) ->
# ("result", arrivals, frames, first, last), arrivals being (incident name, time); ("stop",).


async def _client_serve(pipe):
    from websockets.asyncio.client import connect

    loop = asyncio.get_running_loop()
    kind, url, count = await loop.run_in_executor(None, _util.receive_from, pipe, START_TIMEOUT)
    origin = {"Origin": url.replace("ws://", "http://").split("/ws/")[0]}
    sockets = await asyncio.gather(*(connect(url, additional_headers=origin, compression=None, max_queue=None)
                                     for _ in range(count)))
    pipe.send(("connected",))
    try:
        while True:
            kind, *args = await loop.run_in_executor(None, _util.receive_from, pipe, START_TIMEOUT * 10)
            if kind == "stop":
                return
            results = await asyncio.gather(*(_collect(sock, args[0]) for sock in sockets))
            arrivals = [arrival for result in results for arrival in result[0]]
            frames = sum(result[1] for result in results)
            firsts = [result[2] for result in results if result[2]]
            lasts = [result[3] for result in results if result[3]]
            pipe.send(("result", arrivals, frames, min(firsts, default=None), max(lasts, default=None)))
    finally:
        await asyncio.gather(*(sock.close() for sock in sockets), return_exceptions=True)


async def _collect(sock, expected):
    """(name, arrival time) of the first ``expected`` post_save frames, frames seen, first/last arrival."""
    arrivals, frames, first, last = [], 0, None, None
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(DELIVERY_TIMEOUT):
            while len(arrivals) < expected:
                text = await sock.recv()
                now = time.time()
                data = json.loads(text)
                name = data["feature"]["properties"]["name"]
                if not name.startswith("t="):
                    continue  # the warm-up's notifications
                frames += 1
                first, last = first or now, now
                if data["type"] == "post_save":
                    arrivals.append((name, now))
    return arrivals, frames, first, last


class Clients:
    def __init__(self, url, sockets):
        context = multiprocessing.get_context("spawn")
        self.pipes, self.processes = [], []
        for index in range(CLIENT_PROCESSES):
            mine, theirs = context.Pipe()
            process = context.Process(target=_util.child_main, args=(_client_serve, theirs), daemon=True, name=f"clients{index}")
            process.start()
            share = sockets // CLIENT_PROCESSES + (index < sockets % CLIENT_PROCESSES)
            mine.send(("connect", url, share))
            self.pipes.append(mine)
            self.processes.append(process)
        for pipe in self.pipes:
            self.expect(pipe, "connected")

    @staticmethod
    def expect(pipe, kind):
        return _util.expect(pipe, kind, START_TIMEOUT + DELIVERY_TIMEOUT)

    def go(self, expected):
        for pipe in self.pipes:
            pipe.send(("go", expected))

    def results(self):
        return [self.expect(pipe, "result") for pipe in self.pipes]

    def pids(self):
        return [process.pid for process in self.processes]

    def close(self):
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send(("stop",))
        _util.reap(self.processes)


def measure(system, clients, redis_client, sockets, count, rate, profile=False):
    """One run: the script creates ``count`` incidents at ``rate``/s (0: flat out);
    with ``profile``, the script's cProfile (by cumulative time) goes to stderr. The
    CPU each process spent, from the script's start until every socket had its frames
    (the script's own: its loop of saves), is reported per notification."""
    clients.go(count)
    time.sleep(0.2)  # every client is waiting
    pids = {"daphne": [system.daphne.pid], "workers": [worker.pid for worker in system.workers],
            "clients": clients.pids()}
    before = _cpu.snapshot(pids, redis_client)
    lines = system.python("-c", CREATOR, str(count), str(rate), "profile" if profile else "-",
                          timeout=300).strip().splitlines()
    if profile:
        _util.progress("\n".join(lines[:-1]))
    script = json.loads(lines[-1])
    results = clients.results()
    spent = _cpu.spent(before, _cpu.snapshot(pids, redis_client))
    spent["other"] = max(0.0, spent["other"] - script["cpu_total"])  # less the script's, start-up included
    arrivals = [arrival for result in results for arrival in result[0]]
    delays = [(now - float(name[2:])) * 1000 for name, now in arrivals]
    frames = sum(result[1] for result in results)
    firsts = [result[2] for result in results if result[2]]
    lasts = [result[3] for result in results if result[3]]
    notifications = count + script["alerts"]  # post_save for each, plus the alerts
    span = max(lasts) - min(firsts) if firsts and lasts else None
    return {
        "incidents_per_s": count / script["elapsed"],
        "sent_per_s": notifications / script["elapsed"],
        "delivered_per_s": frames / span if span else None,
        "lost": count * sockets - len(delays),
        "p50": _util.percentile(delays, 0.5),
        "p99": _util.percentile(delays, 0.99),
        **stages(script["saves"], arrivals),
        "warm_up_ms": script["warm_up"] * 1000,
        "cpu_us": {name: None if seconds is None else seconds / notifications * 1e6
                   for name, seconds in {"script": script["cpu"], **spent}.items()},
    }


def stages(saves, arrivals):
    """Where each incident's delay goes (ms, median and worst over the incidents): the
    script's save (commit and sends included), from its end to the first socket's frame,
    and from the first socket's frame to the last one's; and the first timed incident's
    delay to its last socket."""
    by_incident = {}
    for name, now in arrivals:
        by_incident.setdefault(name, []).append(now)
    names = sorted(by_incident, key=lambda name: float(name[2:]))
    rows = []
    for name in names:
        times, saved = by_incident[name], float(name[2:])
        returned = saved + saves[name]
        rows.append((saves[name] * 1000, (min(times) - returned) * 1000, (max(times) - min(times)) * 1000,
                     (max(times) - saved) * 1000))
    if not rows:
        return {}
    result = {"first_incident_ms": rows[0][3]}
    for index, stage in enumerate(("script_ms", "to_first_socket_ms", "first_to_last_socket_ms")):
        values = [row[index] for row in rows]
        result[stage] = (_util.median(values), max(values))
    later = [(now - float(name[2:])) * 1000 for name, now in arrivals if name != names[0]]
    result["p99_after_first"] = _util.percentile(later, 0.99)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tracker", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sockets", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="fewer incidents per run")
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of the script's first flat-out run (that run is not timed)")
    parser.add_argument("--json", metavar="PATH")
    options = parser.parse_args(argv)
    flat_out, paced, rate = (100, 30, 10) if options.quick else (300, 100, 10)
    cases = [(f"flat out, {flat_out} incidents", flat_out, 0), (f"{rate}/s, {paced} incidents", paced, rate)]
    raw = {label: [] for label, _, _ in cases}
    with _util.redis_server() as url, tempfile.TemporaryDirectory(prefix="bench-tracker-") as directory:
        print(_util.describe_machine(_util.machine_info(url)), flush=True)
        system = System(url, directory)
        clients = None
        redis_client = redis.Redis.from_url(url)
        try:
            system.start(workers=2, threads=4)
            clients = Clients(system.ws_url("/ws/notifications/"), options.sockets)
            if options.profile:
                measure(system, clients, redis_client, options.sockets, cases[0][1], 0, profile=True)
            for run_index in range(options.runs):
                for label, count, case_rate in cases:
                    result = measure(system, clients, redis_client, options.sockets, count, case_rate)
                    raw[label].append(result)
                    print(f"  run {run_index + 1}, {label}: {result['sent_per_s']:.0f} notifications/s, "
                          f"p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms, lost {result['lost']}",
                          file=sys.stderr, flush=True)
                    if "script_ms" in result:
                        print("    stages (median/worst ms): script {:.1f}/{:.1f}, to first socket {:.1f}/{:.1f}, "
                              "first to last socket {:.1f}/{:.1f}; first incident {:.1f}; p99 after it {:.1f}; "
                              "untimed warm-up save {:.1f}".format(
                                  *result["script_ms"], *result["to_first_socket_ms"],
                                  *result["first_to_last_socket_ms"], result["first_incident_ms"],
                                  result["p99_after_first"], result["warm_up_ms"]), file=sys.stderr, flush=True)
        finally:
            if clients:
                clients.close()
            system.stop()
            redis_client.close()
            _util.clear_prefixes(url, [system.prefix])
    print(f"{options.sockets} sockets on /ws/notifications/, {AREAS} areas of interest, "
          f"2 workers, median of {options.runs} run(s)")
    rows = []
    for label, _, case_rate in cases:
        results = raw[label]
        sent_per_s = _util.median([r["sent_per_s"] for r in results])
        p99 = _util.median([r["p99"] for r in results])
        if case_rate:
            wanted = f"p99 <= {P99_TARGET_MS:g} ms"
            met = "n/a" if p99 is None else "yes" if p99 <= P99_TARGET_MS else "NO"
        else:
            wanted = f">= {NOTIFICATIONS_TARGET:,} notifications/s"
            met = "n/a" if sent_per_s is None else "yes" if sent_per_s >= NOTIFICATIONS_TARGET else "NO"
        rows.append([
            label,
            _util.format_number(_util.median([r["incidents_per_s"] for r in results]), "/s"),
            _util.format_number(sent_per_s, "/s"),
            _util.format_number(_util.median([r["delivered_per_s"] for r in results]), "/s"),
            _util.format_number(_util.median([r["p50"] for r in results]), "ms"),
            _util.format_number(p99, "ms"),
            str(sum(r["lost"] for r in results)),
            wanted,
            met,
        ])
    print(_util.format_table(["script creating incidents", "incidents/s", "notifications/s",
                              "socket frames/s", "p50 ms", "p99 ms", "lost", "target", "met"], rows))
    print(f"\nCPU per notification, us (median of {options.runs} run(s)), from the script's start until every "
          "socket had its frames; the script's: its loop of saves; 'other': the rest of the machine")
    names = list(raw[cases[0][0]][0]["cpu_us"])
    print(_util.format_table(["script creating incidents", *names, "total"], [
        [label, *(_util.format_number(_util.median([r["cpu_us"][name] for r in raw[label]]), "us") for name in names),
         _util.format_number(_util.median([sum(v or 0.0 for v in r["cpu_us"].values()) for r in raw[label]]), "us")]
        for label, _, _ in cases
    ]))
    if options.json:
        _util.write_json(options.json, raw)
    return raw


if __name__ == "__main__":
    main()
