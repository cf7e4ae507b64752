"""The system's state shown to operators, checked against real processes: Daphne
and two runworker processes on the test Redis, a real WebSocket client, and
`manage.py channels_status`, /healthz and /metrics read as an operator would."""

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import redis
from websockets.asyncio.client import connect


def wait_for(condition, timeout=60, what="the condition"):
    """Polls ``condition()`` until it returns something true; that value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} did not hold within {timeout} s")


def status(system):
    return json.loads(system.manage("channels_status", "--json"))


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def metric(text, name, **labels):
    """The value of one sample in a Prometheus text page, or None."""
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    pattern = rf"^{re.escape(name)}{re.escape('{' + wanted + '}') if wanted else ''} (\S+)$"
    found = re.search(pattern, text, re.MULTILINE)
    return float(found.group(1)) if found else None


async def test_status_lists_workers_daphne_groups_and_channels(system):
    async with connect(system.ws_url("/ws/test/grouped/?group=status.room")) as socket:
        await socket.send(json.dumps({"reply": {"text": "x"}}))  # not routed here: it waits in the channel
        shown = await asyncio.to_thread(wait_for, lambda: (
            (s := status(system))["daphnes"] and s["daphnes"][0]["sockets"] == 1 and len(s["workers"]) == 2 and s
        ), what="a Daphne with one socket and two workers")
        table = system.manage("channels_status")  # while the socket is open: its group goes with it
    assert sorted(worker["pid"] for worker in shown["workers"]) == sorted(w.pid for w in system.workers)
    assert shown["daphnes"][0]["pid"] == system.daphne.pid
    assert all("websocket.connect" in worker["channels"] for worker in shown["workers"])
    assert {"name": "status.room", "members": 1} in shown["groups"]
    assert "websocket.connect" in [channel["name"] for channel in shown["channels"]]
    assert [q["name"] for q in shown["rq_queues"]] == ["tailf"]
    assert "status.room" in table and f"{system.daphne.pid}" in table


def test_watch_prints_the_status_again_until_interrupted(system):
    watching = subprocess.Popen([sys.executable, "manage.py", "channels_status", "--json", "--watch", "0.2"],
                                cwd=system.root, env=system.env, stdout=subprocess.PIPE, text=True)
    try:
        first, second = watching.stdout.readline(), watching.stdout.readline()
    finally:
        watching.send_signal(signal.SIGINT)
        watching.wait(timeout=30)
    assert json.loads(first)["prefix"] == json.loads(second)["prefix"] == system.prefix
    assert watching.returncode == 0


async def test_metrics_count_messages_latency_and_open_sockets(system):
    async with connect(system.ws_url("/ws/test/scripted/")) as socket:
        for number in range(5):
            await socket.send(json.dumps({"reply": {"text": str(number)}}))
            assert await asyncio.wait_for(socket.recv(), 30) == str(number)

        # Each process adds its counts with its heartbeat: the Daphne's and the
        # workers' come in at their own times.
        def counted():
            page = get(system.http_url + "/metrics")[1]
            at_least = {("channels1_consumer_seconds_count", "websocket.receive"): 5,
                        ("channels1_messages_sent_total", "websocket.receive"): 5,
                        ("channels1_messages_received_total", "websocket.receive"): 5,
                        ("channels1_messages_sent_total", "daphne.response!"): 6}
            if all((metric(page, name, channel=channel) or 0) >= count for (name, channel), count in at_least.items()):
                return metric(page, "channels1_sockets_open") == 1 and page
            return False

        page = await asyncio.to_thread(wait_for, counted, what="5 frames sent, received and consumed, 6 replies "
                                                               "and one open socket in /metrics")
    assert metric(page, "channels1_consumer_seconds_bucket", channel="websocket.receive", le="+Inf") >= 5
    assert metric(page, "channels1_workers_alive") == 2


def test_healthz_answers_503_once_no_worker_is_alive(make_system):
    system = make_system(handshake_timeout=1)
    system.start(workers=1)
    code, body = wait_for(lambda: (answer := get(system.http_url + "/healthz"))[0] == 200 and answer,
                          what="/healthz answering 200")
    assert json.loads(body) == {"healthy": True, "problems": []}
    system.stop_workers()
    code, body = get(system.http_url + "/healthz")
    assert code == 503
    assert "no live worker listens on" in json.loads(body)["problems"][0]


async def test_garbage_in_each_kind_of_key_is_set_aside_and_shown_while_sockets_keep_working(system):
    server = redis.Redis.from_url(system.env["REDIS_URL"])
    prefix = system.prefix
    before = status(system)["dead_letters"]["count"]
    async with connect(system.ws_url("/ws/test/grouped/?group=status.garbage")) as socket:
        member = server.zrange(f"{prefix}:g:{{status.garbage}}", 0, -1)[0].decode()  # joined before the accept
        daphne_list = f"{prefix}:p:{{{member.partition('!')[0]}}}"
        server.xadd(f"{prefix}:c:{{websocket.receive}}", {"m": b"\xc1"})
        server.rpush(daphne_list, b"garbage")
        server.zadd(f"{prefix}:g:{{status.garbage}}", {"not a channel": 1e15})
        await asyncio.to_thread(system.manage, "shell", "-c",
                                "from channels1 import Group; Group('status.garbage').send({'text': 'to all'})")
        assert await asyncio.wait_for(socket.recv(), 30) == "to all"
        async with connect(system.ws_url("/ws/test/scripted/")) as other:
            await other.send(json.dumps({"reply": {"text": "still here"}}))
            assert await asyncio.wait_for(other.recv(), 30) == "still here"
        shown = await asyncio.to_thread(wait_for, lambda: (
            (s := status(system))["dead_letters"]["count"] >= before + 3 and s
        ), what="the garbage entries among the set-aside ones")
    keys = {entry["key"] for entry in shown["dead_letters"]["latest"]}
    assert {f"{prefix}:c:{{websocket.receive}}", daphne_list, f"{prefix}:g:{{status.garbage}}"} <= keys
    server.close()
