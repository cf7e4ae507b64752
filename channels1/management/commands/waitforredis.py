"""`manage.py waitforredis`: waits until the Redis at REDIS_URL answers, so that a
Procfile line whose program gives up at once (rq's worker) can start beside the
embedded server: `python manage.py waitforredis && python manage.py rqworker`."""

from django.conf import settings
from django.core.management import BaseCommand, CommandError

from channels1.redis_server import RedisServerError, wait_until_answers


class Command(BaseCommand):
    help = "Waits until the Redis at REDIS_URL answers PING."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=30, help="Seconds to wait (default: 30)")

    def handle(self, *args, timeout, **options):
        try:
            wait_until_answers(settings.REDIS_URL, timeout)
        except RedisServerError as error:
            raise CommandError(str(error)) from error
