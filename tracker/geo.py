"""GeoJSON helpers with shapely: checking geometries entered by people, their bounding
boxes, and point-in-polygon tests. No GDAL, GEOS system library or PostGIS needed."""

from django.core.exceptions import ValidationError
from shapely.geometry import Point, shape

POLYGON_TYPES = ("Polygon", "MultiPolygon")


def point(lon, lat):
    """A GeoJSON Point."""
    return {"type": "Point", "coordinates": [float(lon), float(lat)]}


def check_lon_lat(lon, lat):
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError(f"({lon}, {lat}) is not a longitude/latitude pair")


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


def check_polygon(geometry):
    """ValidationError unless ``geometry`` is a valid GeoJSON Polygon or MultiPolygon."""
    if not isinstance(geometry, dict) or geometry.get("type") not in POLYGON_TYPES:
        raise ValidationError("expected a GeoJSON Polygon or MultiPolygon")
    try:
        shaped = shape(geometry)
    except Exception as error:  # shapely raises several kinds for malformed input
        raise ValidationError(f"not a valid GeoJSON polygon: {error}") from error
    if shaped.is_empty or not shaped.is_valid:
        raise ValidationError("the polygon is empty or crosses itself")
    min_lon, min_lat, max_lon, max_lat = shaped.bounds
    check_lon_lat(min_lon, min_lat)
    check_lon_lat(max_lon, max_lat)


def bbox(geometry):
    """(min_lon, min_lat, max_lon, max_lat) of a GeoJSON geometry."""
    return shape(geometry).bounds


def contains(geometry, lon, lat):
    """True if the point lies inside the polygon or on its edge."""
    return shape(geometry).intersects(Point(lon, lat))
