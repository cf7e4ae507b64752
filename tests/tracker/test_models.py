"""Incidents and areas: severities, bounding boxes, point-in-polygon with and without
the SQL prefilter, and an alert check among 10,000 areas."""

import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tracker import geo
from tracker.models import AreaOfInterest, Incident, Severity

from .conftest import L_SHAPE, square

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("severity, alerted", [
    ("UR", ["UR", "HI", "ME", "LO", "IN"]),
    ("HI", ["HI", "ME", "LO", "IN"]),
    ("ME", ["ME", "LO", "IN"]),
    ("LO", ["LO", "IN"]),
    ("IN", ["IN"]),
])
def test_alert_severities(severity, alerted):
    assert Incident(severity=severity).alert_severities == alerted


def test_defaults_and_labels():
    incident = Incident(name="x", location=geo.point(1, 2))
    assert incident.severity == Severity.MEDIUM and not incident.closed
    assert [label for _, label in Severity.choices] == ["urgent", "high", "medium", "low", "info"]


def test_saving_an_area_fills_its_bounding_box():
    area = AreaOfInterest.objects.create(name="L", polygon=L_SHAPE)
    assert (area.min_lon, area.min_lat, area.max_lon, area.max_lat) == (0, 0, 2, 2)
    area.polygon = square(10, 20, 0.5)
    area.save(update_fields=["polygon"])
    area.refresh_from_db()
    assert (area.min_lon, area.min_lat, area.max_lon, area.max_lat) == (10, 20, 10.5, 20.5)


def test_point_in_polygon_without_the_prefilter():
    area = AreaOfInterest(name="L", polygon=L_SHAPE)
    assert area.contains(0.5, 1.5)
    assert area.contains(1, 1.5)  # on the edge
    assert not area.contains(1.5, 1.5)  # inside the bounding box, outside the L
    assert not area.contains(3, 3)


def test_point_in_polygon_with_the_prefilter():
    l_area = AreaOfInterest.objects.create(name="L", polygon=L_SHAPE)
    far = AreaOfInterest.objects.create(name="far", polygon=square(50, 50))
    assert list(AreaOfInterest.objects.around(1.5, 1.5)) == [l_area]  # the bbox holds it...
    assert AreaOfInterest.objects.containing(1.5, 1.5) == []  # ...the polygon does not
    assert AreaOfInterest.objects.containing(0.5, 0.5) == [l_area]
    assert AreaOfInterest.objects.containing(50.5, 50.5) == [far]


def test_multipolygons_work_too():
    polygon = {"type": "MultiPolygon", "coordinates": [square(0, 0)["coordinates"], square(5, 5)["coordinates"]]}
    area = AreaOfInterest.objects.create(name="two", polygon=polygon)
    assert AreaOfInterest.objects.containing(5.5, 5.5) == [area]
    assert AreaOfInterest.objects.containing(3, 3) == []


def test_alerted_areas_follow_severity_and_closed():
    areas = {severity: AreaOfInterest.objects.create(name=severity, severity=severity, polygon=square(0, 0))
             for severity in Severity.values}
    AreaOfInterest.objects.create(name="elsewhere", severity="IN", polygon=square(9, 9))
    incident = Incident(name="i", severity="ME", location=geo.point(0.5, 0.5))
    assert {area.name for area in incident.alerted_areas()} == {"ME", "LO", "IN"}
    incident.severity = "UR"
    assert set(incident.alerted_areas()) == set(areas.values())
    incident.closed = True
    assert incident.alerted_areas() == []


def test_invalid_geometry_is_refused():
    bow_tie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    for polygon in [bow_tie, {"type": "Point", "coordinates": [0, 0]}, {"type": "Polygon"}, "nonsense",
                    square(179.5, 0)]:
        with pytest.raises(ValidationError) as raised:
            AreaOfInterest(name="bad", polygon=polygon).full_clean()
        assert "polygon" in raised.value.message_dict
    for location in [None, {"type": "Point", "coordinates": [200, 0]}, {"type": "Point", "coordinates": ["a"]}]:
        with pytest.raises(ValidationError) as raised:
            Incident(name="bad", location=location).full_clean()
        assert "location" in raised.value.message_dict


def test_alert_check_among_10000_areas_uses_the_bbox_prefilter():
    # A 100 x 100 grid of 0.01-degree squares, every severity.
    severities = Severity.values
    areas = [
        AreaOfInterest(name=f"cell {x},{y}", severity=severities[(x + y) % 5],
                       polygon=square(round(x * 0.01, 4), round(y * 0.01, 4), 0.01)).set_bbox()
        for x in range(100) for y in range(100)
    ]
    AreaOfInterest.objects.bulk_create(areas, batch_size=1000)
    assert AreaOfInterest.objects.count() == 10_000
    incident = Incident(name="i", severity="UR", location=geo.point(0.505, 0.505))

    assert AreaOfInterest.objects.around(incident.lon, incident.lat).count() == 1
    plan = AreaOfInterest.objects.around(incident.lon, incident.lat).explain()
    assert "USING INDEX" in plan, plan  # not a scan of the whole table
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        alerted = incident.alerted_areas()
    elapsed = time.perf_counter() - started
    assert [area.name for area in alerted] == ["cell 50,50"]
    assert len(queries) == 1 and "min_lon" in queries[0]["sql"]
    assert elapsed < 0.25, f"the alert check took {elapsed * 1000:.0f} ms"
