"""Soak: logged-in chat sockets connecting and disconnecting for minutes against a real
Daphne, 2 workers and Redis, with DEBUG on and off. Prints, at the start, middle and
end of the run and once the sockets are gone, Redis keys, Redis memory and each
process's resident memory: all should stay flat.
Run: python -m benchmarks.soak [--minutes M] [--sockets N] [--pause S] [--debug on|off|both] [--quick]
[--json PATH]"""

import argparse
import asyncio
import json
import random
import secrets
import sys
import tempfile
import time

import redis

from channels1.testing import LiveSystem

from . import _util
from .tracker import PRODUCTION_WITHOUT_TLS

START_TIMEOUT = 60
FRAME_TIMEOUT = 60
ROOMS = 10
# Seconds over which the sockets first connect.
RAMP = 10
# Seconds past the last socket's close before the "after" figures: past the layer's expiry
# (60 s), after which nothing of the sockets should be left.
SETTLE = 70

# Users logged in with a browser session each (written as the login view would), their
# session keys printed as JSON.
SESSIONS_SCRIPT = """
import json, sys, django
django.setup()
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
store = import_module(settings.SESSION_ENGINE).SessionStore
keys = []
for number in range(int(sys.argv[1])):
    user = get_user_model().objects.create_user(f"soak{number}")
    session = store()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    keys.append(session.session_key)
print(json.dumps(keys))
"""

DEBUG_ON = {"DJANGO_DEBUG": "1"}
DEBUG_OFF = {**PRODUCTION_WITHOUT_TLS, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}


class System(LiveSystem):
    def __init__(self, redis_url, directory, debug):
        super().__init__(redis_url, directory, prefix="soak", env=DEBUG_ON if debug else DEBUG_OFF,
                         daphne_options=("-v", "0"), start_timeout=START_TIMEOUT)


async def _socket_life(url, origin, cookie, room, stop_at, pause, counts):
    """Connect, read the history, say a line and hear it back, close; again until
    ``stop_at``, with a pause of ``pause`` seconds (give or take half) between lives.
    The first connect comes within the first RAMP seconds, not all at once."""
    from websockets.asyncio.client import connect

    headers = {"Origin": origin, "Cookie": f"sessionid={cookie}"}
    await asyncio.sleep(random.uniform(0, RAMP))
    while time.monotonic() < stop_at:
        try:
            async with connect(f"{url}/ws/chat/{room}/", additional_headers=headers, open_timeout=FRAME_TIMEOUT,
                               compression=None) as socket:
                await _frame_with(socket, "history")
                text = f"soak {secrets.token_hex(4)}"
                await socket.send(json.dumps({"message": text}))
                while (await _frame_with(socket, "message"))["message"] != text:
                    pass
            counts["lives"] += 1
        except Exception as error:
            counts["failed"] += 1
            counts["errors"].setdefault(type(error).__name__, 0)
            counts["errors"][type(error).__name__] += 1
        await asyncio.sleep(random.uniform(pause / 2, pause * 3 / 2))


async def _frame_with(socket, key):
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), FRAME_TIMEOUT))
        if key in frame:
            return frame


def sample(system, server, label, counts):
    """The figures at one point of the run."""
    info = server.info("memory")
    kinds = {}
    for key in server.scan_iter(match=f"{system.prefix}*", count=1000):
        kind = key.decode().split(":")[1] if b":" in key else key.decode()
        kinds[kind] = kinds.get(kind, 0) + 1
    channel_sessions = sum(1 for _ in server.scan_iter(match="*django.contrib.sessions.cachechn*", count=1000))
    return {
        "point": label,
        "lives": counts["lives"],
        "failed": counts["failed"],
        "redis_keys": server.dbsize(),
        "layer_keys": sum(kinds.values()),
        "ended_markers": kinds.get("ended", 0),
        "layer_keys_by_kind": kinds,
        "channel_sessions": channel_sessions,
        "redis_mb": info["used_memory"] / 2**20,
        "daphne_mb": _rss_mb(system.daphne.pid),
        "workers_mb": [_rss_mb(worker.pid) for worker in system.workers],
        "log_lines": sum(len(system.log(process).splitlines()) for process in [system.daphne, *system.workers]),
    }


def _rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


async def soak(system, server, sessions, seconds, pause, samples):
    """Run the socket lives for ``seconds``, sampling at the start, middle and end."""
    counts = {"lives": 0, "failed": 0, "errors": {}}
    stop_at = time.monotonic() + seconds
    url = system.ws_url("").rstrip("/")
    lives = [asyncio.create_task(_socket_life(url, system.http_url, cookie, f"room{number % ROOMS}", stop_at, pause,
                                              counts))
             for number, cookie in enumerate(sessions)]
    for label, at in (("start", min(RAMP + 10, seconds / 4)), ("middle", seconds / 2), ("end", seconds - 5)):
        await asyncio.sleep(max(0.0, stop_at - seconds + at - time.monotonic()))
        samples.append(await asyncio.to_thread(sample, system, server, label, counts))
        _util.progress(f"  {label}: {_describe(samples[-1])}")
    await asyncio.gather(*lives)
    await asyncio.sleep(SETTLE)
    samples.append(await asyncio.to_thread(sample, system, server, f"{SETTLE} s after", counts))
    _util.progress(f"  after: {_describe(samples[-1])}")
    return counts


def _describe(figures):
    return ", ".join(f"{key} {value}" for key, value in figures.items() if key != "point")


def run_mode(debug, options):
    with _util.redis_server() as url, tempfile.TemporaryDirectory(prefix="bench-soak-") as directory:
        system = System(url, directory, debug)
        server = redis.Redis.from_url(url)
        samples = []
        try:
            system.prepare()
            sessions = json.loads(system.python("-c", SESSIONS_SCRIPT, str(options.sockets), timeout=600))
            system.start_daphne()
            system.start_workers(2, options.threads)
            counts = asyncio.run(soak(system, server, sessions, options.minutes * 60, options.pause, samples))
        finally:
            system.stop()
            server.close()
    return {"debug": debug, "samples": samples, "errors": counts["errors"]}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4, help="consumer threads per worker")
    parser.add_argument("--pause", type=float, default=1, help="seconds between a socket's lives (on average)")
    parser.add_argument("--debug", choices=("on", "off", "both"), default="both")
    parser.add_argument("--runs", type=int, help="ignored: one soak per DEBUG setting")
    parser.add_argument("--quick", action="store_true", help="one minute, 50 sockets")
    parser.add_argument("--json", metavar="PATH")
    options = parser.parse_args(argv)
    if options.quick:
        options.minutes, options.sockets = 1, 50
    with _util.redis_server() as url:
        print(_util.describe_machine(_util.machine_info(url)), flush=True)
    modes = {"on": [True], "off": [False], "both": [True, False]}[options.debug]
    results = []
    for debug in modes:
        _util.progress(f"DEBUG {'on' if debug else 'off'}: {options.sockets} sockets for {options.minutes:g} min")
        results.append(run_mode(debug, options))
    print(f"{options.sockets} logged-in chat sockets connecting and disconnecting for {options.minutes:g} min "
          f"({ROOMS} rooms, about {options.pause:g} s between a socket's lives), Daphne + 2 workers x "
          f"{options.threads} threads + Redis")
    rows = []
    for result in results:
        for figures in result["samples"]:
            rows.append([
                f"DEBUG {'on' if result['debug'] else 'off'}, {figures['point']}",
                str(figures["lives"]), str(figures["failed"]), str(figures["redis_keys"]),
                str(figures["layer_keys"]), str(figures["ended_markers"]), str(figures["channel_sessions"]), f"{figures['redis_mb']:.1f}",
                f"{figures['daphne_mb']:.0f}", " / ".join(f"{mb:.0f}" for mb in figures["workers_mb"]),
                str(figures["log_lines"]),
            ])
    print(_util.format_table(["when", "socket lives", "failed", "Redis keys", "layer keys", "ended markers",
                              "channel sessions", "Redis MB", "Daphne RSS MB", "workers RSS MB", "log lines"], rows))
    for result in results:
        if result["errors"]:
            print(f"Failures with DEBUG {'on' if result['debug'] else 'off'}: {result['errors']}", file=sys.stderr)
    if options.json:
        _util.write_json(options.json, results)
    return results


if __name__ == "__main__":
    main()
