"""The alert lookup compiled once: later lookups run the same SQL with their own
point, severities and database state, in the areas' ordering, with one query each."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tracker import _alert_query, geo
from tracker.models import AreaOfInterest, Incident

from .conftest import square

pytestmark = pytest.mark.django_db


def alerted_names(severity, lon, lat):
    return [area.name for area in Incident(name="i", severity=severity, location=geo.point(lon, lat)).alerted_areas()]


def test_each_lookup_uses_its_own_point_after_the_first_compiled_the_query():
    AreaOfInterest.objects.create(name="west", severity="IN", polygon=square(0, 0))
    AreaOfInterest.objects.create(name="east", severity="IN", polygon=square(10, 0))
    assert alerted_names("IN", 0.5, 0.5) == ["west"]
    assert alerted_names("IN", 10.5, 0.5) == ["east"]
    assert alerted_names("IN", 5, 0.5) == []


def test_areas_saved_after_a_lookup_are_found_by_the_next_one():
    assert alerted_names("HI", 0.5, 0.5) == []
    AreaOfInterest.objects.create(name="new", severity="LO", polygon=square(0, 0))
    assert alerted_names("HI", 0.5, 0.5) == ["new"]


def test_each_severity_keeps_its_own_query():
    for severity in ("UR", "ME", "IN"):
        AreaOfInterest.objects.create(name=severity, severity=severity, polygon=square(0, 0))
    assert alerted_names("IN", 0.5, 0.5) == ["IN"]
    assert alerted_names("UR", 0.5, 0.5) == ["IN", "ME", "UR"]  # the areas' ordering: by name
    assert alerted_names("ME", 0.5, 0.5) == ["IN", "ME"]


def test_a_compiled_lookup_is_one_query_and_gives_areas_with_their_polygon():
    AreaOfInterest.objects.create(name="L", severity="ME", polygon=square(0, 0))
    alerted_names("ME", 0.5, 0.5)
    with CaptureQueriesContext(connection) as queries:
        (area,) = _alert_query.candidates(AreaOfInterest.objects, 0.25, 0.75, ["ME", "LO", "IN"])
    assert len(queries) == 1
    assert area.polygon == square(0, 0) and area.contains(0.25, 0.75)
