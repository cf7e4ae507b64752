"""`manage.py runserver` as in Channels 1.x: one command gives a development server with
working sockets — Daphne serving the project's ASGI application, a worker in the same
process running the 1.x consumers, the embedded Redis when the channel layer's local
Redis is not running, and Django's autoreloader restarting it all on code changes."""

import asyncio
import contextlib
import importlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from channels.layers import get_channel_layer
from daphne.management.commands import runserver as daphne_runserver
from daphne.server import Server
from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler, StaticFilesHandler
from django.core.management import CommandError
from django.utils import autoreload

from channels1._processes import terminate
from channels1.channel import DEFAULT_CHANNEL_LAYER
from channels1.layer.hosts import answering_url
from channels1.redis_server import RedisServerError, standin_for, url_answers

from .runredis import redact
from .runworker import make_worker

DEFAULT_HTTP_TIMEOUT = 60
WORKER_THREADS = 4
STOP_TIMEOUT = 15
RELOAD_EXIT_CODE = 3  # how Django's reloader tells that a file changed (autoreload.trigger_reload)
# The runserver commands this one stands in for, by the app that ships them.
OTHER_RUNSERVERS = {
    "django.contrib.staticfiles": "django.contrib.staticfiles.management.commands.runserver",
    "daphne": "daphne.management.commands.runserver",
}


class Command(daphne_runserver.Command):
    help = ("Starts a development server: Daphne serving the project's ASGI application, a "
            "Channels 1.x worker (4 threads) and, if needed, the embedded Redis; reloads on code changes.")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--noworker", action="store_false", dest="run_worker",
            help="Run no worker in this process; start `manage.py runworker` separately.",
        )
        for action in parser._actions:
            if action.dest == "http_timeout":
                action.default = DEFAULT_HTTP_TIMEOUT
                action.help = (f"Seconds a view may take before Daphne answers 503 "
                               f"(default: {DEFAULT_HTTP_TIMEOUT})")

    def handle(self, *args, **options):
        self.use_asgi = options["use_asgi"] and DEFAULT_CHANNEL_LAYER in getattr(settings, "CHANNEL_LAYERS", {})
        self.worker_thread = None
        # Daphne's handle() refuses a project without ASGI_APPLICATION, as 1.x projects
        # are; its WSGI branch skips that check, and run() and inner_run() restore use_asgi.
        super().handle(*args, **{**options, "use_asgi": False})

    def run(self, **options):
        options["use_asgi"] = self.use_asgi
        if not self.use_asgi:
            return super().run(**options)
        with self.redis_for_the_layer():
            if not options["use_reloader"]:
                try:
                    self.inner_run(None, **options)  # Daphne stops on SIGINT or SIGTERM
                finally:
                    self.stop_worker()
            elif os.environ.get(autoreload.DJANGO_AUTORELOAD_ENV) == "true":
                self.serve_until_changed(**options)
            else:
                sys.exit(self.restart_on_changes())

    def inner_run(self, *args, **options):
        options["use_asgi"] = self.use_asgi
        self.run_worker = options["run_worker"]
        self.worker_threads = WORKER_THREADS if options["use_threading"] else 1
        super().inner_run(*args, **options)

    def server_cls(self, **server_options):
        """Daphne, which daphne's inner_run creates once the system checks passed: the
        moment to start the worker beside it."""
        self.start_worker()
        return Server(**server_options)

    def get_application(self, options):
        if getattr(settings, "ASGI_APPLICATION", None):
            return super().get_application(options)
        application = _default_application()
        return ASGIStaticFilesHandler(application) if _serves_static(options) else application

    def get_handler(self, *args, **options):
        """The WSGI handler for --noasgi, serving static files as staticfiles' runserver does."""
        handler = super().get_handler(*args, **options)
        return StaticFilesHandler(handler) if _serves_static(options) else handler

    # The worker

    def start_worker(self):
        layer = get_channel_layer(DEFAULT_CHANNEL_LAYER)
        url = _redis_url(layer)
        self.stdout.write(f"Channel layer {DEFAULT_CHANNEL_LAYER} ({type(layer).__module__}.{type(layer).__name__})"
                          + (f" on {redact(url)}" if url else ""))
        if not self.run_worker:
            self.stdout.write("No worker in this process (--noworker): run `manage.py runworker`.")
            return
        worker = make_worker(DEFAULT_CHANNEL_LAYER, self.worker_threads)
        self.worker_thread = _WorkerThread(worker)
        self.worker_thread.start()
        self.stdout.write(f"Worker: {self.worker_threads} thread(s), channels {', '.join(worker.channels)}")

    def stop_worker(self):
        if self.worker_thread is not None:
            self.worker_thread.stop(STOP_TIMEOUT)

    # The embedded Redis and the reloader

    @contextlib.contextmanager
    def redis_for_the_layer(self):
        """Start the embedded Redis at the layer's address if that is on this machine
        and nothing answers there; stop it on the way out."""
        url = _redis_url(get_channel_layer(DEFAULT_CHANNEL_LAYER))
        if url is None or url_answers(url):
            yield
            return
        var_dir = getattr(settings, "VAR_DIR", None) or Path(getattr(settings, "BASE_DIR", ".")) / "var"
        server = standin_for(url, Path(var_dir) / "redis")
        if server is None:
            raise CommandError(f"The channel layer's Redis at {redact(url)} does not answer. Start it, or point "
                               "the layer at this machine (a unix:// socket or redis://localhost) to have "
                               "runserver start the embedded server there.")
        try:
            server.start()
        except RedisServerError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Embedded Redis ({Path(server.command()[0]).name}) on {server.url}, "
                          f"log {server.log_path}")
        try:
            yield
        finally:
            server.stop()

    def restart_on_changes(self):
        """The watching parent: Django's reloader loop (autoreload.restart_with_reloader),
        except that stopping this process stops the serving child with SIGTERM and waits
        for it, so its worker finishes (Django's loop kills the child)."""
        signal.signal(signal.SIGTERM, lambda *args: sys.exit(0))
        environ = {**os.environ, autoreload.DJANGO_AUTORELOAD_ENV: "true"}
        arguments = autoreload.get_child_arguments()
        while True:
            child = subprocess.Popen(arguments, env=environ, close_fds=False)
            try:
                code = child.wait()
            except (KeyboardInterrupt, SystemExit):
                terminate(child, STOP_TIMEOUT)
                return 0
            if code != RELOAD_EXIT_CODE:
                return code

    def serve_until_changed(self, **options):
        """The serving child: as autoreload.run_with_reloader, Daphne in a thread while
        this one watches the files and exits for a reload, but the worker is stopped on
        the way out and the first SIGINT or SIGTERM stops it all (a Ctrl-C reaches both
        this process and its parent, which passes on a SIGTERM)."""
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _stop_once)
        reloader = autoreload.get_reloader()
        autoreload.logger.info("Watching for file changes with %s", reloader.__class__.__name__)
        try:
            autoreload.start_django(reloader, self.inner_run, **options)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop_worker()


class _WorkerThread(threading.Thread):
    """Runs a Worker on an event loop of its own, as 1.x's runserver ran its worker threads."""

    def __init__(self, worker):
        super().__init__(name="channels1-worker", daemon=True)
        self.worker = worker

    def run(self):
        asyncio.run(self.worker.run())

    def stop(self, timeout):
        """Take nothing new, let running consumers finish, wait for the loop to end."""
        self.worker.stop()
        self.join(timeout)


def _stop_once(signum, frame):
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, signal.SIG_IGN)
    raise KeyboardInterrupt


def _redis_url(layer):
    """The Redis URL of a channel layer, or None for a layer without one."""
    hosts = getattr(layer, "hosts", None)
    return answering_url(layer) if hosts else None


def _serves_static(options):
    """As Django's and daphne's runserver: static files under STATIC_URL with DEBUG (or
    --insecure), unless --nostatic."""
    use_static_handler = options.get("use_static_handler", apps.is_installed("django.contrib.staticfiles"))
    return use_static_handler and (settings.DEBUG or options.get("insecure_serving", False))


def _default_application():
    """What a project without ASGI_APPLICATION serves: HTTP to Django, WebSockets to
    the 1.x bridge."""
    from channels.routing import ProtocolTypeRouter
    from django.core.asgi import get_asgi_application

    from channels1.bridge import WebSocketBridge

    return ProtocolTypeRouter({"http": get_asgi_application(), "websocket": WebSocketBridge()})


def replace_other_runservers():
    """Make `manage.py runserver` this command whichever app comes first in
    INSTALLED_APPS: Django runs the command of the first app that ships one, and
    staticfiles and daphne ship theirs. Called from the app's ready(), as 1.x did."""
    for app, module_name in OTHER_RUNSERVERS.items():
        if apps.is_installed(app):
            importlib.import_module(module_name).Command = Command
