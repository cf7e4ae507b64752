"""The Procfile as `make run` starts it (`manage.py supervise`, supervisord), in a copy
of the project: every process comes up and serves; a worker, Daphne, the RQ worker or
the embedded Redis that exits or is killed is started again while the site keeps
serving; a stop prints one line per process and no traceback."""

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from channels1.testing import PROJECT_ROOT as ROOT
from channels1.testing import free_port

TIMEOUT = 60


class Supervised:
    """`manage.py supervise -c worker=2` running in a project copy, its output kept."""

    def __init__(self, project, port, env):
        self.project = project
        self.port = port
        self.env = env
        self.output_path = project / "supervise.log"
        # Appending: supervisord and the processes write to the file at once.
        with open(self.output_path, "ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "supervise", "-c", "worker=2"],
                cwd=project, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            )

    def output(self):
        return self.output_path.read_text(errors="replace")

    def pid(self, name):
        """The pid of the latest start of a process (supervisord's name: worker_0, web…)."""
        found = re.findall(rf"spawned: '{re.escape(name)}' with pid (\d+)", self.output())
        return int(found[-1]) if found else None

    def wait_for(self, pattern, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.output())
            if found:
                return found
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"{pattern!r} not in the output:\n{self.output()[-5000:]}")

    def restarted(self, name, signum):
        """Send ``signum`` to a process (its whole process group, as a shell line
        runs under sh); wait until supervisord has started it again."""
        old = self.pid(name)
        os.killpg(old, signum)
        deadline = time.monotonic() + TIMEOUT
        while self.pid(name) == old:
            assert time.monotonic() < deadline, f"{name} was not started again:\n{self.output()[-5000:]}"
            time.sleep(0.2)
        return self.pid(name)

    def stop(self, signum=signal.SIGINT):
        if self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                return self.process.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode


def copy_project(destination):
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in files.splitlines():
        if (ROOT / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, destination / name)
    return destination


def project_env(port):
    bin_dir = str(Path(sys.executable).parent)
    env = {
        key: value for key, value in os.environ.items()
        if key not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE", "DATABASE_PATH", "CHANNEL_LAYER_PREFIX",
                       "DEMO_LOG_PATH")
    }
    env.update(PATH=f"{bin_dir}:{env['PATH']}", WEB_PORT=str(port), PYTHONUNBUFFERED="1",
               DJANGO_DEBUG="1")  # development mode, as `make run` sets it
    return env


@pytest.fixture(scope="module")
def supervised(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("project"))
    port = free_port()
    env = project_env(port)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=project, env=env, check=True)
    running = Supervised(project, port, env)
    try:
        yield running
    finally:
        running.stop()


def wait_for_page(url, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def echo_through_a_worker(port, text):
    async def echo():
        async with connect(f"ws://127.0.0.1:{port}/ws/echo/", open_timeout=TIMEOUT) as socket:
            await socket.send(text)
            return await asyncio.wait_for(socket.recv(), TIMEOUT)

    return asyncio.run(echo())


def serves(supervised, text):
    assert wait_for_page(f"http://127.0.0.1:{supervised.port}/") == 200
    try:
        assert echo_through_a_worker(supervised.port, text) == text
    except Exception as error:
        raise AssertionError(f"no echo ({error!r}):\n{supervised.output()[-8000:]}") from error
    return True


def test_procfile_starts_every_process_and_serves(supervised):
    for name in ("redis", "web", "worker_0", "worker_1", "rq"):
        supervised.wait_for(rf"success: {name} entered RUNNING state")
    supervised.wait_for(r"Listening on tailf")
    assert serves(supervised, "through a worker")


# What each kind of process prints once it serves again.
READY = {"worker": "Listening on channels", "web": "Listening on TCP address", "rq": "Listening on tailf",
         "redis": "eady to accept connections"}  # Redis: "ready", Valkey: "Ready"


@pytest.mark.parametrize("name, signum", [
    ("worker_0", signal.SIGTERM), ("worker_1", signal.SIGKILL),
    ("web", signal.SIGTERM), ("web", signal.SIGKILL),
    ("rq", signal.SIGTERM), ("rq", signal.SIGKILL),
    ("redis", signal.SIGKILL),
])
def test_a_process_that_exits_is_started_again_and_the_site_keeps_serving(supervised, name, signum):
    ready = READY[name.partition("_")[0]]
    supervised.wait_for(rf"success: {name} entered RUNNING state")
    starts = supervised.output().count(ready)
    exits = supervised.output().count(f"exited: {name} (")
    supervised.restarted(name, signum)
    assert supervised.output().count(f"exited: {name} (") == exits + 1, "supervisord did not say why"
    supervised.wait_for("(?s)" + ".*".join([re.escape(ready)] * (starts + 1)))
    assert serves(supervised, f"after {signal.Signals(signum).name} of {name}")
    assert "stopped:" not in supervised.output()


def test_stopping_prints_one_line_per_process_and_no_traceback(supervised):
    before = len(supervised.output())
    supervised.stop(signal.SIGINT)
    stopping = supervised.output()[before:]
    for name in ("redis", "web", "worker_0", "worker_1", "rq"):
        assert len(re.findall(rf"stopped: {name} \(", stopping)) == 1, stopping
    assert "Traceback" not in stopping, stopping
    # Redis stops last, so nothing else finds it gone while stopping.
    assert stopping.rindex("stopped: redis") > max(stopping.rindex(f"stopped: {name}")
                                                   for name in ("web", "worker_0", "worker_1", "rq"))
