"""Starts the real system for tests: the test Redis, Daphne serving the project's ASGI
application and `manage.py runworker` processes, each with its output kept."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class System:
    """Daphne and workers on one layer prefix; ``ws_url(path)`` for clients."""

    def __init__(self, redis_url, tmp_path, layer_config=None, handshake_timeout=5):
        self.tmp_path = tmp_path
        self.port = _free_port()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.system.settings",
            "REDIS_URL": redis_url,
            "CHANNEL_LAYER_PREFIX": f"sys{uuid.uuid4().hex[:8]}",
            "TEST_LAYER_CONFIG": json.dumps(layer_config or {}),
            "TEST_HANDSHAKE_TIMEOUT": str(handshake_timeout),
            "DATABASE_PATH": str(tmp_path / "db.sqlite3"),
            "PYTHONUNBUFFERED": "1",
        }
        self.daphne = None
        self.workers = []
        self.rq_workers = []

    def _start(self, name, args):
        log = open(self.tmp_path / f"{name}.log", "wb")
        process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        process.log_path = self.tmp_path / f"{name}.log"
        return process

    def manage(self, *args):
        """Run a manage.py command against this system's database; its output."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
            capture_output=True, text=True, timeout=60,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def create_user(self, username, password):
        """Create a user in this system's database; their primary key."""
        out = self.manage("shell", "-c", (
            "from django.contrib.auth.models import User; "
            f"print(User.objects.create_user({username!r}, password={password!r}).pk)"
        ))
        return int(out.split()[-1])

    def start(self, workers=2, threads=1):
        self.manage("migrate", "--verbosity", "0")
        self.daphne = self._start(
            "daphne",
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
             "tracker_project.asgi:application"],
        )
        for _ in range(workers):
            self.start_worker(threads)
        self._wait_for_port()
        for worker in self.workers:
            self.wait_for_log(worker, "Listening on channels")
        return self

    def start_worker(self, threads=1):
        worker = self._start(
            f"worker{len(self.workers)}",
            [sys.executable, "manage.py", "runworker", "--threads", str(threads)],
        )
        self.workers.append(worker)
        return worker

    def start_rq_worker(self, *queues):
        """An RQ worker (django-rq's rqworker) on ``queues`` (default: tailf)."""
        worker = self._start(
            f"rq{len(self.rq_workers)}", [sys.executable, "manage.py", "rqworker", *(queues or ["tailf"])],
        )
        self.rq_workers.append(worker)
        self.wait_for_log(worker, "Listening on")
        return worker

    def _wait_for_port(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.daphne.poll() is not None:
                raise RuntimeError(f"Daphne exited:\n{self.log(self.daphne)}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"Daphne did not listen within {timeout} s:\n{self.log(self.daphne)}")

    def wait_for_log(self, process, text, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log(process):
                return
            if process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"{text!r} not seen in the log of pid {process.pid}:\n{self.log(process)}")

    def log(self, process):
        return process.log_path.read_text(errors="replace")

    def ws_url(self, path):
        return f"ws://127.0.0.1:{self.port}{path}"

    @property
    def http_url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        for process in self.rq_workers:  # a second SIGTERM ends a job in progress
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=1)
                except subprocess.TimeoutExpired:
                    process.send_signal(signal.SIGTERM)
        for process in [*self.workers, self.daphne]:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*self.rq_workers, *self.workers, self.daphne]:
            if process is None:
                continue
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def system(redis_url, tmp_path_factory):
    """Daphne and two workers, shared by the tests of a module."""
    running = System(redis_url, tmp_path_factory.mktemp("system"), handshake_timeout=1)
    try:
        yield running.start()
    finally:
        running.stop()


@pytest.fixture
def make_system(redis_url, tmp_path):
    """Starts a system of the test's own, for tests that stop or kill its parts."""
    made = []

    def make(**options):
        running = System(redis_url, tmp_path / f"system{len(made)}", **options)
        running.tmp_path.mkdir()
        made.append(running)
        return running

    yield make
    for running in made:
        running.stop()
