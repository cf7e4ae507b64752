"""Form widgets that draw on a Leaflet map (with leaflet-geoman) over the offline base
layer: a polygon kept as GeoJSON in a text box, and a point kept in longitude and
latitude boxes. The boxes stay usable by keyboard; the map is an aid beside them."""

from django import forms

MAP_MEDIA = forms.Media(
    css={"all": ["tracker/vendor/leaflet/leaflet.css", "tracker/vendor/leaflet-geoman/leaflet-geoman.css",
                 "tracker/map.css"]},
    js=["tracker/vendor/leaflet/leaflet.js", "tracker/vendor/leaflet-geoman/leaflet-geoman.min.js",
        "tracker/vendor/topojson-client/topojson-client.min.js", "tracker/basemap.js", "tracker/map-widget.js"],
)


class PolygonMapWidget(forms.Textarea):
    template_name = "tracker/widgets/map_polygon.html"
    media = MAP_MEDIA

    def __init__(self, attrs=None):
        super().__init__({"rows": 4, "spellcheck": "false", **(attrs or {})})


class PointMapWidget(forms.NumberInput):
    """The latitude box, with the map under it; ``lon_input`` is the id of the
    longitude box."""

    template_name = "tracker/widgets/map_point.html"
    media = MAP_MEDIA

    def __init__(self, lon_input, attrs=None):
        super().__init__({"step": "any", **(attrs or {})})
        self.lon_input = lon_input

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["lon_input"] = self.lon_input
        return context
