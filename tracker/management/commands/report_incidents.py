"""Creates incidents at a steady rate, at random points, for demos and benchmarks:
manage.py report_incidents --rate 5 --count 100. Each save notifies the live map."""

import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max, Min

from tracker.geo import point
from tracker.models import AreaOfInterest, Incident, Severity

# Around the demo areas (load_demo_data) when there are no areas to aim at.
DEFAULT_BBOX = (2.25, 48.81, 2.47, 48.90)


class Command(BaseCommand):
    help = "Create COUNT incidents at RATE per second, at random points within the areas' extent."

    def add_arguments(self, parser):
        parser.add_argument("--rate", type=float, default=1.0, help="incidents per second (0: as fast as possible)")
        parser.add_argument("--count", type=int, default=10, help="how many incidents to create")
        parser.add_argument("--seed", type=int, help="random seed, for repeatable runs")
        parser.add_argument("--bbox", type=float, nargs=4, metavar=("WEST", "SOUTH", "EAST", "NORTH"),
                            help="where to put them (default: the extent of the areas of interest)")

    def handle(self, *args, rate, count, seed, bbox, **options):
        if rate < 0 or count < 0:
            raise CommandError("--rate and --count cannot be negative")
        rng = random.Random(seed)
        west, south, east, north = bbox or self.extent()
        severities = list(Severity.values)
        started = time.monotonic()
        for number in range(count):
            if rate:
                time.sleep(max(0.0, started + number / rate - time.monotonic()))
            Incident.objects.create(
                name=f"Report {number + 1}",
                severity=rng.choice(severities),
                location=point(round(rng.uniform(west, east), 6), round(rng.uniform(south, north), 6)),
            )
        elapsed = time.monotonic() - started
        achieved = count / elapsed if elapsed else 0.0
        self.stdout.write(f"{count} incidents created in {elapsed:.2f} s ({achieved:.1f}/s)")

    @staticmethod
    def extent():
        box = AreaOfInterest.objects.aggregate(Min("min_lon"), Min("min_lat"), Max("max_lon"), Max("max_lat"))
        if box["min_lon__min"] is None:
            return DEFAULT_BBOX
        return box["min_lon__min"], box["min_lat__min"], box["max_lon__max"], box["max_lat__max"]
