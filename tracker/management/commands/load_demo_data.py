"""Demo data for the live map: a few areas of interest around Paris, of different
severities, and some open incidents in and around them."""

from django.core.management.base import BaseCommand
from django.db import transaction

from tracker.geo import point
from tracker.models import AreaOfInterest, Incident, Severity


def rectangle(west, south, east, north):
    return {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north],
                                                [west, south]]]}


AREAS = [
    ("Île de la Cité", Severity.URGENT, rectangle(2.3380, 48.8520, 2.3550, 48.8575)),
    ("Louvre", Severity.HIGH, rectangle(2.3300, 48.8590, 2.3400, 48.8640)),
    ("Montmartre", Severity.MEDIUM, rectangle(2.3330, 48.8830, 2.3480, 48.8900)),
    ("Bois de Vincennes", Severity.LOW, rectangle(2.4150, 48.8250, 2.4700, 48.8450)),
    ("Périphérique sud", Severity.INFO, {"type": "Polygon", "coordinates": [[
        [2.2550, 48.8300], [2.3200, 48.8180], [2.4000, 48.8250], [2.4100, 48.8330],
        [2.3200, 48.8260], [2.2600, 48.8380], [2.2550, 48.8300]]]}),
]

INCIDENTS = [
    ("Water main burst", "Flooding near the cathedral", Severity.HIGH, 2.3499, 48.8530),
    ("Crowd at the pyramid", "", Severity.MEDIUM, 2.3360, 48.8610),
    ("Power cut", "Streetlights out", Severity.LOW, 2.3410, 48.8860),
    ("Fallen tree", "Blocking a path", Severity.INFO, 2.4400, 48.8350),
    ("Traffic accident", "Two cars, no injuries", Severity.URGENT, 2.3000, 48.8230),
    ("Noise complaint", "", Severity.INFO, 2.3700, 48.8700),
]


class Command(BaseCommand):
    help = "Create demo areas of interest (replaced by name) and demo incidents."

    def add_arguments(self, parser):
        parser.add_argument("--flush", action="store_true", help="delete every incident and area first")

    def handle(self, *args, flush=False, **options):
        with transaction.atomic():
            if flush:
                Incident.objects.all().delete()
                AreaOfInterest.objects.all().delete()
            for name, severity, polygon in AREAS:
                area = AreaOfInterest.objects.filter(name=name).first() or AreaOfInterest(name=name)
                area.severity, area.polygon = severity, polygon
                area.full_clean()
                area.save()
            for name, description, severity, lon, lat in INCIDENTS:
                incident = Incident(name=name, description=description, severity=severity, location=point(lon, lat))
                incident.full_clean()
                incident.save()
        self.stdout.write(f"{len(AREAS)} areas of interest and {len(INCIDENTS)} incidents created")
