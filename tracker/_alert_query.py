"""The SQL that finds the areas an incident may alert, compiled by the ORM once per
database and incident severity and then only run with each incident's point: saving
an incident skips building and compiling a queryset."""

# Stand-ins for the point while compiling: outside any valid longitude or latitude, so
# they never equal a real parameter of the query.
_LON, _LAT = -1000.25, -1000.75

_compiled = {}


def candidates(manager, lon, lat, severities):
    """The areas of ``manager`` whose bounding box holds (lon, lat) and whose severity
    is one of ``severities``, in the model's ordering, as model instances."""
    using = manager.db
    key = (using, tuple(severities))
    compiled = _compiled.get(key)
    if compiled is None:
        queryset = manager.around(_LON, _LAT).filter(severity__in=severities)
        compiled = _compiled[key] = queryset.query.get_compiler(using).as_sql()
    sql, params = compiled
    point = {_LON: lon, _LAT: lat}
    return manager.raw(sql, [point.get(param, param) for param in params], using=using)
