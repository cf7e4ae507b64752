"""Checking polygons people enter (tracker/geo.py): what is accepted, what is refused
with which message, and the lat/lon swap helpers."""

import json

import pytest
from django.core.exceptions import ValidationError

from tracker import geo

from .conftest import square

SQUARE = square(2, 48)


@pytest.mark.parametrize("value", [
    SQUARE,
    json.dumps(SQUARE),
    {"type": "Feature", "properties": {"name": "x"}, "geometry": SQUARE},
    json.dumps({"type": "Feature", "properties": None, "geometry": SQUARE}),
    {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"], square(4, 48)["coordinates"]]},
])
def test_polygons_multipolygons_and_features_of_them_are_accepted(value):
    geometry = geo.polygon_from_input(value)
    assert geometry["type"] in ("Polygon", "MultiPolygon")


@pytest.mark.parametrize("value, message", [
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}, "not closed"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}, "at least 4 positions"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}, "Self-intersection"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [200, 1], [0, 0]]]}, "out of range"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 95], [0, 0]]]}, "out of range"),
    ({"type": "Polygon", "coordinates": [[[0, 0], ["a", 0], [1, 1], [0, 0]]]}, "not a [longitude, latitude]"),
    ({"type": "Feature", "geometry": {"type": "Point", "coordinates": [0, 0]}}, "Polygon or MultiPolygon"),
    ({"type": "Polygon"}, "list of coordinates"),
    ("null", "Polygon or MultiPolygon"),
    ("{not json", "not valid JSON"),
])
def test_bad_polygons_are_refused_saying_why(value, message):
    with pytest.raises(ValidationError) as refused:
        geo.polygon_from_input(value)
    assert message in " ".join(refused.value.messages)


def test_swapped_exchanges_every_positions_lon_and_lat():
    assert geo.swapped(square(2, 48, 1)) == {"type": "Polygon", "coordinates": [
        [[48, 2], [48, 3], [49, 3], [49, 2], [48, 2]]]}


def test_far_from_all_needs_others_and_distance():
    paris = square(2.29, 48.85, 0.01)
    assert not geo.far_from_all(geo.swapped(paris), [])
    assert geo.far_from_all(geo.swapped(paris), [paris, geo.point(2.35, 48.85)])
    assert not geo.far_from_all(square(2.5, 48.5, 0.1), [paris])
