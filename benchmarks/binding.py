"""Data binding benchmark: a sync script saves tasks of the 1.x example project's bound
model (tests/legacy/todo: a WebsocketBinding behind a WebsocketDemultiplexer), and each
save reaches 100 sockets on /tasks/ through Redis, two runworkers and Daphne. Beside it,
the same project's hand-written post_save receiver (a chat message, Group.send) on 100
sockets of a room. Reports the save-to-socket delay (p50/p99), median of the runs.
Run: python -m benchmarks.binding [--runs N] [--sockets N] [--quick] [--json PATH]"""

import argparse
import asyncio
import contextlib
import json
import tempfile
import time

from channels1.testing import PROJECT_ROOT, LiveSystem

from . import _util

LEGACY_ROOT = PROJECT_ROOT / "tests" / "legacy"
START_TIMEOUT = 60
DELIVERY_TIMEOUT = 30
CONNECT_BATCH = 10

# The sync script: Django set up as any script would, one object saved every 1/rate
# seconds, named by the wall-clock time just before its save.
SAVER = """
import sys, time, django
django.setup()
from chat.models import ChatMessage
from todo.models import Task
kind, count, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
started = time.monotonic()
for number in range(count):
    time.sleep(max(0.0, started + number / rate - time.monotonic()))
    if kind == "task":
        Task.objects.create(title=f"t={time.time():.6f}")
    else:
        ChatMessage.objects.create(room="bench", username="bench", text=f"t={time.time():.6f}")
"""

# A logged-in session for the chat sockets (the room closes anonymous ones).
SESSION = """
import django
django.setup()
from django.contrib import auth
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
user = User.objects.create_user("bench")
session = SessionStore()
session.update({auth.SESSION_KEY: str(user.pk), auth.HASH_SESSION_KEY: user.get_session_auth_hash(),
                auth.BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend"})
session.create()
print(session.session_key)
"""

# (label, what the script saves, socket path)
CASES = [
    ("WebsocketBinding, demultiplexed", "task", "/tasks/"),
    ("post_save receiver, Group.send", "chat", "/chat/bench/"),
]


def stamp(text):
    """The save time in a frame of either case, or None for other frames."""
    frame = json.loads(text)
    name = frame.get("payload", {}).get("data", {}).get("title") if "stream" in frame else frame.get("text")
    return float(name[2:]) if isinstance(name, str) and name.startswith("t=") else None


async def collect(socket, expected):
    """Delays (s) of the first ``expected`` stamped frames on the socket."""
    delays = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(DELIVERY_TIMEOUT):
            while len(delays) < expected:
                text = await socket.recv()
                now = time.time()
                saved = stamp(text)
                if saved is not None:
                    delays.append(now - saved)
    return delays


async def measure(system, sockets, kind, count, rate):
    """One run of a case: the script saves ``count`` objects at ``rate``/s."""
    collecting = asyncio.gather(*(collect(socket, count) for socket in sockets))
    await asyncio.to_thread(system.python, "-c", SAVER, kind, str(count), str(rate), timeout=300)
    delays = [delay * 1000 for result in await collecting for delay in result]
    return {"p50": _util.percentile(delays, 0.5), "p99": _util.percentile(delays, 0.99),
            "lost": count * len(sockets) - len(delays)}


async def run(system, sockets_per_case, runs, count, rate):
    from websockets.asyncio.client import connect

    session_key = system.python("-c", SESSION).split()[-1]
    headers = {"Origin": system.http_url, "Cookie": f"sessionid={session_key}"}
    raw = {label: [] for label, _, _ in CASES}
    async with contextlib.AsyncExitStack() as stack:
        sockets = {label: [] for label, _, _ in CASES}
        for label, _, path in CASES:
            # A few at a time: each connect is a consumer run in the workers, and one
            # left unanswered past the handshake timeout is dropped.
            while len(sockets[label]) < sockets_per_case:
                batch = min(CONNECT_BATCH, sockets_per_case - len(sockets[label]))
                sockets[label] += await asyncio.gather(*(
                    stack.enter_async_context(connect(system.ws_url(path), additional_headers=headers,
                                                      compression=None, max_queue=None))
                    for _ in range(batch)))
        for run_index in range(runs):
            # Each case goes first in every other run.
            for label, kind, _ in CASES if run_index % 2 == 0 else CASES[::-1]:
                result = await measure(system, sockets[label], kind, count, rate)
                raw[label].append(result)
                _util.progress(f"  run {run_index + 1}, {label}: p50 {result['p50']:.1f} ms, "
                               f"p99 {result['p99']:.1f} ms, lost {result['lost']}")
    return raw


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.binding", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sockets", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="fewer saves per run")
    parser.add_argument("--json", metavar="PATH")
    options = parser.parse_args(argv)
    count, rate = (10, 10) if options.quick else (50, 10)
    with _util.redis_server() as url, tempfile.TemporaryDirectory(prefix="bench-binding-") as directory:
        print(_util.describe_machine(_util.machine_info(url)), flush=True)
        system = LiveSystem(url, directory, settings="legacyproject.settings", prefix="benchbinding",
                            application="legacyproject.asgi:channel_layer", root=LEGACY_ROOT,
                            daphne_options=("-v", "0"), start_timeout=START_TIMEOUT)
        try:
            system.start(workers=2, threads=4)
            raw = asyncio.run(run(system, options.sockets, options.runs, count, rate))
        finally:
            system.stop()
            _util.clear_prefixes(url, [system.prefix])
    print(f"{options.sockets} sockets per case, {count} saves at {rate}/s per run, 2 workers of 4 threads, "
          f"median of {options.runs} run(s)")
    rows = [[
        label,
        _util.format_number(_util.median([r["p50"] for r in raw[label]]), "ms"),
        _util.format_number(_util.median([r["p99"] for r in raw[label]]), "ms"),
        str(sum(r["lost"] for r in raw[label])),
    ] for label, _, _ in CASES]
    print(_util.format_table(["save to socket", "p50 ms", "p99 ms", "lost"], rows))
    if options.json:
        _util.write_json(options.json, raw)
    return raw


if __name__ == "__main__":
    main()
