"""`manage.py runserver` for the tracker project as a developer runs it: one command
serving pages and sockets through the worker it runs, on the test Redis or, without
REDIS_URL, on the embedded Redis it starts; a code change restarts it; SIGINT stops
every process it started."""

import asyncio
import json
import os
import signal
import time
import urllib.request
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from channels1.redis_server import url_answers
from channels1.testing import PROJECT_ROOT, LiveSystem

LISTENING = "Listening on channels"
STOP_TIMEOUT = 30


@pytest.fixture
def project(redis_url, tmp_path):
    """The tracker project with a migrated database and var/ in a temporary directory,
    on the test Redis (tests drop REDIS_URL from ``project.env`` to go without it)."""
    system = LiveSystem(redis_url, tmp_path, prefix="rs", env={"VAR_DIR": str(tmp_path / "var")})
    system.prepare()
    yield system
    system.stop()


def runserver(project, *options, worker=True):
    """``manage.py runserver`` on the project's port, once it serves (and its worker listens)."""
    process = project.start_process("runserver", ["manage.py", "runserver", f"127.0.0.1:{project.port}", *options])
    project.daphne = process  # watched while waiting, stopped at teardown
    project.wait_for_port(timeout=60)
    if worker:
        project.wait_for_log(process, LISTENING, timeout=60)
    return process


async def echo(project, text):
    async with connect(project.ws_url("/ws/echo/"), open_timeout=20) as socket:
        await socket.send(text)
        return await asyncio.wait_for(socket.recv(), 20)


def descendants(pid):
    """Every process below ``pid``."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def interrupt(process):
    """SIGINT, as Ctrl-C; the exit code once the process has ended."""
    process.send_signal(signal.SIGINT)
    return process.wait(STOP_TIMEOUT)


def test_runserver_serves_pages_and_sockets_through_its_worker_and_sigint_stops_it_all(project):
    process = runserver(project)
    started = descendants(process.pid)
    assert started  # the reloader's serving child
    assert asyncio.run(echo(project, "through the worker")) == "through the worker"
    with urllib.request.urlopen(f"{project.http_url}/static/channels/js/websocketbridge.js") as response:
        assert b"WebSocketBridge" in response.read()
    assert "Embedded Redis" not in project.log(process)

    assert interrupt(process) == 0
    assert [pid for pid in started if alive(pid)] == []


def test_without_redis_url_it_starts_the_embedded_redis_and_stops_it(project, tmp_path):
    del project.env["REDIS_URL"]
    socket_url = f"unix://{tmp_path / 'var' / 'redis' / 'redis.sock'}"
    process = runserver(project)
    assert "Embedded Redis (" in project.log(process)
    assert url_answers(socket_url)
    started = descendants(process.pid)
    assert asyncio.run(echo(project, "on the embedded redis")) == "on the embedded redis"

    assert interrupt(process) == 0
    assert [pid for pid in started if alive(pid)] == []
    assert not url_answers(socket_url)


def test_nothreading_without_reloader_runs_one_worker_thread_in_one_process(project):
    process = runserver(project, "--nothreading", "--noreload")
    assert "with 1 thread(s)" in project.log(process)
    assert descendants(process.pid) == set()
    assert asyncio.run(echo(project, "one thread")) == "one thread"
    assert interrupt(process) == 0


def test_noworker_leaves_the_consumers_to_runworker_processes(project):
    process = runserver(project, "--noworker", worker=False)
    assert "No worker in this process" in project.log(process)
    assert LISTENING not in project.log(process)
    project.start_workers(1)
    assert asyncio.run(echo(project, "from runworker")) == "from runworker"
    assert interrupt(process) == 0


def test_a_code_change_restarts_the_server_and_its_worker(project):
    process = runserver(project)
    consumer_module = PROJECT_ROOT / "consumers" / "echo.py"
    # Saved again (content unchanged) until the reloader, which first has to see the
    # file once, notices.
    wait_until(lambda: os.utime(consumer_module) or f"{consumer_module} changed, reloading." in project.log(process))
    wait_until(lambda: project.log(process).count(LISTENING) >= 2)
    assert asyncio.run(echo(project, "after the reload")) == "after the reload"
    assert interrupt(process) == 0


def wait_until(condition, timeout=60, interval=0.5):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not true within {timeout} s"
        time.sleep(interval)


def test_noasgi_runs_djangos_wsgi_server(project):
    process = runserver(project, "--noasgi", "--noreload", worker=False)
    with urllib.request.urlopen(f"{project.http_url}/accounts/login/") as response:
        assert response.headers["Server"].startswith("WSGIServer")
    with urllib.request.urlopen(f"{project.http_url}/static/channels/js/websocketbridge.js") as response:
        assert b"WebSocketBridge" in response.read()
    assert LISTENING not in project.log(process)
    assert interrupt(process) == 0


def test_a_project_without_asgi_application_gets_django_and_the_bridge(project):
    project.env["DJANGO_SETTINGS_MODULE"] = "tests.system.settings_without_asgi_application"
    process = runserver(project, "--noreload")
    with urllib.request.urlopen(f"{project.http_url}/test/websocketbridge/") as response:
        assert b"channels/js/websocketbridge.js" in response.read()
    assert asyncio.run(echo(project, "no ASGI_APPLICATION")) == "no ASGI_APPLICATION"
    assert interrupt(process) == 0


def test_runserver_serves_a_1x_project_unchanged(redis_url, tmp_path):
    from .legacy import legacy_system

    legacy = legacy_system(redis_url, tmp_path)
    legacy.prepare()
    try:
        process = legacy.start_process("runserver", ["manage.py", "runserver", f"127.0.0.1:{legacy.port}", "--noreload"])
        legacy.daphne = process
        legacy.wait_for_port(timeout=60)

        async def echo():  # the frame waits in the layer until runserver's worker listens
            async with connect(legacy.ws_url("/echo/"), open_timeout=20) as socket:
                await socket.send("through runserver")
                return json.loads(await asyncio.wait_for(socket.recv(), 60))

        assert asyncio.run(echo()) == {"echo": "through runserver", "channel": "websocket.receive"}
        assert interrupt(process) == 0
    finally:
        legacy.stop()
