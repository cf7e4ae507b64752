"""Run the project's embedded Redis in the foreground, for a Procfile `redis:` line.
Its data is kept in an append-only file under var/redis/ unless `--no-persistence`.

With REDIS_URL set an external server is in use, so it just waits for SIGTERM or SIGINT.
"""

import os
import signal
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from channels1.redis_server import (
    RedisServerError,
    default_socket_path,
    find_redis_server,
    ping,
    redact,
    server_args,
    socket_path_in,
)


class Command(BaseCommand):
    help = "Run the embedded Redis server on the unix socket under var/redis/."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-dir", default=None,
            help="Project directory whose var/redis/ holds the socket and data "
                 "(default: redis/ in settings.VAR_DIR, else in BASE_DIR/var).",
        )
        parser.add_argument(
            "--no-persistence", action="store_false", dest="persist",
            help="Keep nothing across restarts (default: an append-only file under var/redis/).",
        )

    def handle(self, *args, base_dir=None, persist=True, **options):
        external = os.environ.get("REDIS_URL")
        if external:
            self.wait_for_stop(redact(external))
            return
        if base_dir:
            socket_path = default_socket_path(base_dir).resolve()
        else:
            socket_path = socket_path_in(getattr(settings, "VAR_DIR", None) or Path(settings.BASE_DIR) / "var").resolve()
        data_dir = socket_path.parent
        data_dir.mkdir(parents=True, exist_ok=True)
        if ping(socket_path):
            raise CommandError(f"A Redis server is already running on {socket_path}.")
        try:
            executable = find_redis_server()
            argv = [executable, *server_args(data_dir, socket_path, persist=persist)]
        except RedisServerError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Embedded Redis ({Path(executable).name}) on unix://{socket_path}")
        self.stdout.flush()
        sys.stderr.flush()
        os.chdir(data_dir)
        os.execv(executable, argv)

    def wait_for_stop(self, external):
        stop_signals = {signal.SIGTERM, signal.SIGINT}
        signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
        self.stdout.write(f"REDIS_URL is set; using the external Redis at {external}. "
                          "Waiting for SIGTERM or SIGINT.")
        self.stdout.flush()
        received = signal.sigwait(stop_signals)
        self.stdout.write(f"Received {signal.Signals(received).name}; exiting.")
