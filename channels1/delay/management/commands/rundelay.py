"""`manage.py rundelay`: the delay server, delivering ``asgi.delay`` messages when
due. Any number may run on one layer; none delivers a message twice."""

import asyncio
import logging
import signal

from channels.exceptions import InvalidChannelLayerError
from django.core.management import BaseCommand, CommandError

from channels1.asgi import channel_layers
from channels1.delay.server import DelayServer
from channels1.log import setup_logger


class Command(BaseCommand):
    help = "Runs the delay server: messages sent to asgi.delay reach their channel when due."

    def add_arguments(self, parser):
        parser.add_argument("--layer", default="default", help="Channel layer alias to use (default: default)")
        parser.add_argument(
            "--sleep", type=float, default=1.0,
            help="Longest wait, in seconds, between looks for due messages (default: 1)",
        )

    def handle(self, *args, **options):
        try:
            wrapper = channel_layers[options["layer"]]
        except InvalidChannelLayerError as error:
            raise CommandError(str(error))
        if wrapper.local_only() or not hasattr(wrapper.async_layer, "receive_batch"):
            raise CommandError(
                f"rundelay needs a Redis layer (channels1.layer.RedisChannelLayer or asgi_redis.RedisChannelLayer) "
                f"as CHANNEL_LAYERS[{options['layer']!r}]['BACKEND'], not an in-memory one"
            )
        if options["sleep"] <= 0:
            raise CommandError("--sleep must be a positive number of seconds")
        if not logging.getLogger("channels1").handlers:
            setup_logger("channels1", options["verbosity"])
        asyncio.run(_serve(DelayServer(wrapper.async_layer, sleep=options["sleep"])))


async def _serve(server):
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, server.stop)
    await server.run()
