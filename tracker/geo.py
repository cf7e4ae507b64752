"""GeoJSON helpers with shapely: checking geometries entered by people, their bounding
boxes, and point-in-polygon tests. No GDAL, GEOS system library or PostGIS needed."""

import json
import math

from django.core.exceptions import ValidationError
from shapely.geometry import Point, shape
from shapely.validation import explain_validity

POLYGON_TYPES = ("Polygon", "MultiPolygon")
# A new shape farther than this (in degrees) from every other one is probably a
# lat/lon swap, so the forms ask before saving it.
FAR_DEGREES = 10.0


def point(lon, lat):
    """A GeoJSON Point."""
    return {"type": "Point", "coordinates": [float(lon), float(lat)]}


def check_lon_lat(lon, lat):
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError(
            f"({lon}, {lat}) is out of range: longitude must be within -180..180 and latitude within -90..90")


def check_point(geometry):
    """ValidationError unless ``geometry`` is a GeoJSON Point with valid lon/lat."""
    try:
        if geometry["type"] != "Point":
            raise ValidationError(f"expected a GeoJSON Point, got {geometry['type']!r}")
        lon, lat = (float(value) for value in geometry["coordinates"])
    except (TypeError, KeyError, ValueError) as error:
        raise ValidationError("expected a GeoJSON Point like {\"type\": \"Point\", \"coordinates\": [lon, lat]}") \
            from error
    check_lon_lat(lon, lat)


def polygon_from_input(value):
    """The Polygon or MultiPolygon in ``value``: a dict or JSON text of the geometry or
    of a Feature holding one. ValidationError, saying what is wrong, otherwise."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as error:
            raise ValidationError(f"not valid JSON: {error}") from error
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    check_polygon(value)
    return value


def _rings(geometry):
    coordinates = geometry.get("coordinates")
    polygons = coordinates if geometry["type"] == "MultiPolygon" else [coordinates]
    if not isinstance(polygons, list) or not polygons or not isinstance(coordinates, list):
        raise ValidationError(f"a {geometry['type']} needs a list of coordinates")
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise ValidationError("a polygon needs at least one ring of positions")
        yield from polygon


def _check_ring(ring):
    if not isinstance(ring, list) or len(ring) < 4:
        raise ValidationError("a ring needs at least 4 positions (a triangle, closed by repeating the first)")
    for position in ring:
        if (not isinstance(position, list) or len(position) < 2
                or not all(isinstance(value, (int, float)) and math.isfinite(value) for value in position[:2])):
            raise ValidationError(f"{position!r} is not a [longitude, latitude] position")
        check_lon_lat(*position[:2])
    if ring[0][:2] != ring[-1][:2]:
        raise ValidationError(f"the ring is not closed: it starts at {ring[0]} and ends at {ring[-1]}")


def check_polygon(geometry):
    """ValidationError unless ``geometry`` is a valid GeoJSON Polygon or MultiPolygon:
    closed rings of at least 4 positions in range, not crossing themselves."""
    if not isinstance(geometry, dict) or geometry.get("type") not in POLYGON_TYPES:
        raise ValidationError("expected a GeoJSON Polygon or MultiPolygon, or a Feature of one")
    for ring in _rings(geometry):
        _check_ring(ring)
    try:
        shaped = shape(geometry)
    except Exception as error:  # shapely raises several kinds for malformed input
        raise ValidationError(f"not a valid GeoJSON polygon: {error}") from error
    if shaped.is_empty:
        raise ValidationError("the polygon is empty")
    if not shaped.is_valid:
        raise ValidationError(f"the polygon is not valid: {explain_validity(shaped)}")


def swapped(geometry):
    """The geometry with each position's longitude and latitude exchanged."""
    def swap(coordinates):
        if coordinates and isinstance(coordinates[0], (int, float)):
            return [coordinates[1], coordinates[0], *coordinates[2:]]
        return [swap(inner) for inner in coordinates]

    return {"type": geometry["type"], "coordinates": swap(geometry["coordinates"])}


def far_from_all(geometry, others):
    """True if ``geometry`` lies more than FAR_DEGREES from each of ``others`` (and
    there are others): the likely sign of latitude and longitude entered swapped."""
    others = list(others)
    if not others:
        return False
    shaped = shape(geometry)
    return all(shaped.distance(shape(other)) > FAR_DEGREES for other in others)


def center(geometry):
    """(lon, lat) of the geometry's centroid."""
    centroid = shape(geometry).centroid
    return centroid.x, centroid.y


def bbox(geometry):
    """(min_lon, min_lat, max_lon, max_lat) of a GeoJSON geometry."""
    return shape(geometry).bounds


def contains(geometry, lon, lat):
    """True if the point lies inside the polygon or on its edge."""
    return shape(geometry).intersects(Point(lon, lat))
