"""The Procfile as `make run` starts it, with honcho, in a copy of the project: the
embedded Redis, Daphne, two workers and the RQ worker come up together and serve."""

import asyncio
import os
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


@pytest.fixture
def project_copy(tmp_path):
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    copy = tmp_path / "project"
    for name in files.splitlines():
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    return copy


def wait_for_page(url, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def test_procfile_starts_every_process_and_serves(project_copy):
    port = free_port()
    bin_dir = str(Path(sys.executable).parent)
    env = {
        key: value for key, value in os.environ.items()
        if key not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE", "DATABASE_PATH", "CHANNEL_LAYER_PREFIX",
                       "DEMO_LOG_PATH")
    }
    env.update(PATH=f"{bin_dir}:{env['PATH']}", WEB_PORT=str(port), PYTHONUNBUFFERED="1")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=project_copy, env=env, check=True)
    log = open(project_copy / "honcho.log", "wb")
    honcho = subprocess.Popen(
        [os.path.join(bin_dir, "honcho"), "start", "-c", "worker=2"],
        cwd=project_copy, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        assert wait_for_page(f"http://127.0.0.1:{port}/") == 200
        # Daphne may answer before the embedded Redis does; sockets need Redis.
        subprocess.run([sys.executable, "manage.py", "waitforredis"], cwd=project_copy, env=env, check=True)

        async def echo():
            async with connect(f"ws://127.0.0.1:{port}/ws/echo/") as socket:
                await socket.send("through a worker")
                return await asyncio.wait_for(socket.recv(), 10)

        assert asyncio.run(echo()) == "through a worker"
        output = (project_copy / "honcho.log").read_text(errors="replace")
        for name in ("redis.1", "web.1", "worker.1", "worker.2", "rq.1"):
            assert f"{name} started" in output, output
        assert "stopped" not in output, output
    finally:
        os.killpg(honcho.pid, signal.SIGTERM)
        try:
            honcho.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(honcho.pid, signal.SIGKILL)
            honcho.wait()
