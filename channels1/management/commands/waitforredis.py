"""`manage.py waitforredis`: waits until the Redis at REDIS_URL answers, so that a
Procfile line whose program gives up at once (rq's worker) can start beside the
embedded server: `python manage.py waitforredis && python manage.py rqworker`."""

import time

import redis
from django.conf import settings
from django.core.management import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Waits until the Redis at REDIS_URL answers PING."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=30, help="Seconds to wait (default: 30)")

    def handle(self, *args, timeout, **options):
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                return
            except redis.exceptions.ConnectionError as error:
                if time.monotonic() >= deadline:
                    raise CommandError(f"Redis at {settings.REDIS_URL} did not answer within {timeout:g} s: {error}")
                time.sleep(0.2)
