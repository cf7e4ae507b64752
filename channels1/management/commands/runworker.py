"""`manage.py runworker`: runs Channels 1.x consumers from the CHANNEL_ROUTING setting
in this process; start more processes to scale. The channels 4 form
`runworker CHANNEL...` still runs the ASGI application's channel consumers."""

import asyncio
import signal

from channels.layers import get_channel_layer
from channels.management.commands import runworker as channels4_runworker
from django.conf import settings
from django.core.management import BaseCommand, CommandError

from channels1.redis_server import redact, wait_until_answers
from channels1.routing import Router
from channels1.signals import worker_process_ready
from channels1.worker import Worker


class Command(BaseCommand):
    help = "Runs Channels 1.x consumers for the channels in CHANNEL_ROUTING."

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
            return channels4_runworker.Command().handle(
                channels=options["channels"], layer=options["layer"], verbosity=options["verbosity"]
            )
        if options["threads"] < 1:
            raise CommandError("--threads must be at least 1")
        channel_layer = get_channel_layer(options["layer"])
        if channel_layer is None or not hasattr(channel_layer, "receive_batch"):
            raise CommandError(
                f"runworker needs channels1.layer.RedisChannelLayer as CHANNEL_LAYERS[{options['layer']!r}]"
            )
        router = Router(_routing())
        router.check_default()
        worker = Worker(
            router,
            channel_layer,
            only_channels=options["only_channels"],
            exclude_channels=options["exclude_channels"],
            threads=options["threads"],
        )
        if not worker.channels:
            raise CommandError("No channels left to listen on after --only-channels/--exclude-channels")
        hosts = getattr(channel_layer, "hosts", ())
        if hosts:
            # Started beside the embedded Redis, a worker may be up first.
            wait_until_answers(hosts[0], on_wait=lambda error: self.stdout.write(
                f"Waiting for Redis at {redact(hosts[0])} ({error})"))
        worker_process_ready.send(sender=self.__class__)
        asyncio.run(_serve(worker))


def _routing():
    routing = getattr(settings, "CHANNEL_ROUTING", None)
    if routing is None:
        raise CommandError(
            "Set CHANNEL_ROUTING to your channel routing (a dotted path such as "
            "'myproject.routing.channel_routing', or the list itself). It replaces 1.x's "
            "CHANNEL_LAYERS[...]['ROUTING'], which channels 4 refuses."
        )
    return routing


async def _serve(worker):
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, worker.stop)
    await worker.run()
