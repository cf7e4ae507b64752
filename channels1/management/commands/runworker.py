"""`manage.py runworker`: runs Channels 1.x consumers from the channel routing in
this process; start more processes to scale. The channels 4 form
`runworker CHANNEL...` still runs the ASGI application's channel consumers (this
command also stands in for channels 4's own, which has that form only)."""

import asyncio
import logging
import signal

from channels.exceptions import InvalidChannelLayerError
from channels.layers import get_channel_layer
from channels.routing import get_default_application
from channels.worker import Worker as Channels4Worker
from django.core.management import BaseCommand, CommandError

from channels1.asgi import channel_layers
from channels1.http_bridge import default_http_consumer
from channels1.layer.hosts import answering_url
from channels1.log import setup_logger
from channels1.redis_server import redact, wait_until_answers
from channels1.routing import Router
from channels1.signals import worker_process_ready
from channels1.worker import Worker


class Command(BaseCommand):
    help = "Runs Channels 1.x consumers for the channels of the layer's routing."

    def add_arguments(self, parser):
        parser.add_argument(
            "channels", nargs="*",
            help="channels 4 form: run the ASGI application's consumers for these channels",
        )
        parser.add_argument("--layer", default="default", help="Channel layer alias to use (default: default)")
        parser.add_argument(
            "--only-channels", action="append", dest="only_channels", metavar="GLOB",
            help="Listen only on channels matching this glob (repeatable)",
        )
        parser.add_argument(
            "--exclude-channels", action="append", dest="exclude_channels", metavar="GLOB",
            help="Do not listen on channels matching this glob (repeatable)",
        )
        parser.add_argument("--threads", type=int, default=1, help="Consumers run at once (default: 1)")

    def handle(self, *args, **options):
        if options["channels"]:
            return _run_channels4_worker(options["channels"], options["layer"])
        if options["threads"] < 1:
            raise CommandError("--threads must be at least 1")
        worker = make_worker(options["layer"], options["threads"], options["only_channels"],
                             options["exclude_channels"])
        if not logging.getLogger("channels1").handlers:
            # No LOGGING for the engine in the settings: log to the console, as 1.x did.
            setup_logger("channels1", options["verbosity"])
        layer = getattr(worker.channel_layer, "async_layer", worker.channel_layer)
        if getattr(layer, "hosts", ()):
            # Started beside the embedded Redis, a worker may be up first.
            url = answering_url(layer)
            wait_until_answers(url, on_wait=lambda error: self.stdout.write(
                f"Waiting for Redis at {redact(url)} ({error})"))
        worker_process_ready.send(sender=self.__class__)
        asyncio.run(_serve(worker))


def make_worker(alias, threads, only_channels=None, exclude_channels=None):
    """A Worker for the consumers of the layer's channel routing (with the 1.x defaults
    for unrouted sockets) on the channel layer ``alias``; also what runserver runs."""
    try:
        wrapper = channel_layers[alias]
    except InvalidChannelLayerError as error:
        raise CommandError(str(error))
    if not hasattr(wrapper.async_layer, "receive_batch"):
        raise CommandError(
            f"runworker needs channels1.layer.RedisChannelLayer (or asgi_redis.RedisChannelLayer) "
            f"as CHANNEL_LAYERS[{alias!r}]['BACKEND']"
        )
    if wrapper.routing is None:
        raise CommandError(
            f"No channel routing for the layer {alias!r}: set "
            f"CHANNEL_LAYERS[{alias!r}]['ROUTING'] (as 1.x did) or CHANNEL_ROUTING to "
            f"your routing, e.g. 'myproject.routing.channel_routing'"
        )
    router = Router(wrapper.routing)
    router.check_default(http_consumer=default_http_consumer(alias))
    worker = Worker(router, wrapper.channel_layer, only_channels=only_channels,
                    exclude_channels=exclude_channels, threads=threads)
    if not worker.channels:
        raise CommandError("No channels left to listen on after --only-channels/--exclude-channels")
    return worker


def _run_channels4_worker(channels, alias):
    """What channels 4's runworker does: its Worker runs the ASGI application's
    consumers for these channels."""
    channel_layer = get_channel_layer(alias)
    if channel_layer is None:
        raise CommandError("You do not have any CHANNEL_LAYERS configured.")
    Channels4Worker(application=get_default_application(), channels=channels, channel_layer=channel_layer).run()


async def _serve(worker):
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, worker.stop)
    await worker.run()
