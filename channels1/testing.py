"""Start the whole system — Daphne and runworker processes, optionally an RQ worker — as real
subprocesses on a given Redis, for system tests and benchmarks; the counterpart of 1.x's
ChannelLiveServerTestCase."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LISTENING = "Listening on channels"


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveSystem:
    """Daphne serving ``application`` and ``manage.py runworker`` processes on one layer
    prefix of ``redis_url``, with a database and the processes' logs in ``directory``.

    The processes run in development mode (``DJANGO_DEBUG=1``: the development key and
    local host names); ``env`` adds to or overrides the environment they get;
    ``daphne_options`` are passed to Daphne (``("-v", "0")`` for a quiet log) and
    ``worker_options`` to each runworker. ``root`` is the project directory the
    processes run in and ``interpreter`` the Python that runs them (this one by
    default; another virtualenv's to run an installed engine). ``start()`` migrates, then
    starts Daphne and the workers and waits until all of them listen; ``stop()`` sends
    SIGTERM and kills whatever is still running after ``stop_timeout`` seconds.
    """

    def __init__(self, redis_url, directory, *, settings="tracker_project.settings", prefix="live",
                 env=None, daphne_options=(), worker_options=(), application="asgi:application",
                 start_timeout=20, stop_timeout=10, root=PROJECT_ROOT, interpreter=sys.executable):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.root = Path(root)
        self.interpreter = interpreter
        self.port = free_port()
        self.prefix = f"{prefix}{uuid.uuid4().hex[:8]}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings,
            "DJANGO_DEBUG": "1",
            "REDIS_URL": redis_url,
            "CHANNEL_LAYER_PREFIX": self.prefix,
            "DATABASE_PATH": str(self.directory / "db.sqlite3"),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.daphne_options = tuple(daphne_options)
        self.worker_options = tuple(worker_options)
        self.application = application
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.daphne = None
        self.workers = []
        self.rq_workers = []
        self._workers_started = 0

    # Commands run to completion

    def python(self, *args, timeout=60):
        """Run ``python *args`` in the project with this system's environment; its output."""
        done = subprocess.run([self.interpreter, *args], cwd=self.root, env=self.env,
                              capture_output=True, text=True, timeout=timeout)
        if done.returncode:
            raise RuntimeError(f"{' '.join(args[:2])} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def manage(self, *args, timeout=60):
        """Run a manage.py command against this system's database; its output."""
        return self.python("manage.py", *args, timeout=timeout)

    def create_user(self, username, password, staff=False, permissions=()):
        """Create a user in this system's database, with ``permissions`` ("app.codename");
        their primary key."""
        out = self.manage("shell", "-c", (
            "from django.contrib.auth.models import Permission, User; "
            f"user = User.objects.create_user({username!r}, password={password!r}, is_staff={staff!r}); "
            f"[user.user_permissions.add(Permission.objects.get(content_type__app_label=name.split('.')[0], "
            f"codename=name.split('.')[1])) for name in {list(permissions)!r}]; "
            "print(user.pk)"
        ))
        return int(out.split()[-1])

    def prepare(self):
        """What ``start()`` does before starting any process: migrate the database."""
        self.manage("migrate", "--verbosity", "0")

    # Processes kept running

    def start(self, workers=2, threads=1):
        self.prepare()
        self.start_daphne(wait=False)
        started = [self.start_worker(threads) for _ in range(workers)]
        self.wait_for_port()
        for worker in started:
            self.wait_for_log(worker, LISTENING)
        return self

    def start_process(self, name, args):
        """``python *args``, its output in ``<directory>/<name>.log``."""
        log_path = self.directory / f"{name}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen([self.interpreter, *args], cwd=self.root, env=self.env,
                                       stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        process.log_path = log_path
        return process

    def start_daphne(self, wait=True):
        self.daphne = self.start_process("daphne", [
            "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), *self.daphne_options, self.application,
        ])
        if wait:
            self.wait_for_port()
        return self.daphne

    def start_worker(self, threads=1):
        """One runworker process, not waited for."""
        worker = self.start_process(f"worker{self._workers_started}",
                                    ["manage.py", "runworker", "--threads", str(threads), *self.worker_options])
        self._workers_started += 1
        self.workers.append(worker)
        return worker

    def start_workers(self, count, threads=1):
        """``count`` runworker processes, once each listens."""
        started = [self.start_worker(threads) for _ in range(count)]
        for worker in started:
            self.wait_for_log(worker, LISTENING)
        return started

    def start_rq_worker(self, *queues):
        """An RQ worker (django-rq's rqworker) on ``queues`` (default: tailf), once it listens."""
        worker = self.start_process(f"rq{len(self.rq_workers)}", ["manage.py", "rqworker", *(queues or ["tailf"])])
        self.rq_workers.append(worker)
        self.wait_for_log(worker, "Listening on")
        return worker

    # Waiting and logs

    def wait_for_port(self, timeout=None):
        timeout = timeout or self.start_timeout
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.daphne.poll() is not None:
                raise RuntimeError(f"Daphne exited with code {self.daphne.returncode}:\n{self.log(self.daphne, 50)}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"Daphne did not listen within {timeout} s:\n{self.log(self.daphne, 50)}")

    def wait_for_log(self, process, text, timeout=None):
        timeout = timeout or self.start_timeout
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log(process):
                return
            if process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"{text!r} not seen in the log of pid {process.pid}:\n{self.log(process, 50)}")

    def log(self, process, lines=None):
        """The process's output so far, or its last ``lines`` lines."""
        text = process.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:]) if lines else text

    # Addresses

    def ws_url(self, path):
        return f"ws://127.0.0.1:{self.port}{path}"

    @property
    def http_url(self):
        return f"http://127.0.0.1:{self.port}"

    # Stopping

    def stop_workers(self):
        self._interrupt(self.workers)
        self._reap(self.workers)
        self.workers = []

    def stop(self):
        for process in self.rq_workers:  # a second SIGTERM ends a job in progress
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=1)
                except subprocess.TimeoutExpired:
                    process.send_signal(signal.SIGTERM)
        self._interrupt([*self.workers, self.daphne])
        self._reap([*self.rq_workers, *self.workers, self.daphne])

    @staticmethod
    def _interrupt(processes):
        for process in processes:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)

    def _reap(self, processes):
        for process in processes:
            if process is None:
                continue
            try:
                process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
