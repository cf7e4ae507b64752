"""Forms for incidents (a point placed on a map, or its longitude and latitude) and
areas (a polygon drawn on a map, or pasted as GeoJSON); the pages and the admin share
them. A shape far from every other one needs a confirmation: it is usually a lat/lon
swap."""

from django import forms

from . import geo
from .models import AreaOfInterest, Incident
from .widgets import PointMapWidget, PolygonMapWidget


class FarShapeMixin:
    """Adds ``confirm_far``: hidden until the shape being saved lies far from every
    other area and incident, then a checkbox the user must tick to save it anyway."""

    far_question = ("{what} is more than {degrees:g}° away from every other area and incident. Were latitude "
                    "and longitude swapped? Swapped, it would be at longitude {lon:.4f}, latitude {lat:.4f}. "
                    "Tick “Save it here anyway” to keep it where it is.")

    def add_confirm_field(self):
        self.fields["confirm_far"] = forms.BooleanField(
            required=False, label="Save it here anyway", widget=forms.HiddenInput)

    def check_far(self, geometry, what):
        if self.cleaned_data.get("confirm_far") or not _far_from_everything(geometry, self.instance):
            return
        self.fields["confirm_far"].widget = forms.CheckboxInput()
        lon, lat = geo.center(geo.swapped(geometry))
        self.add_error(None, forms.ValidationError(
            self.far_question.format(what=what, degrees=geo.FAR_DEGREES, lon=lon, lat=lat), code="far"))


def _far_from_everything(geometry, instance):
    """True if there are other areas or incidents and none lies near ``geometry``."""
    areas = AreaOfInterest.objects.all()
    incidents = Incident.objects.all()
    if isinstance(instance, AreaOfInterest) and instance.pk:
        areas = areas.exclude(pk=instance.pk)
    if isinstance(instance, Incident) and instance.pk:
        incidents = incidents.exclude(pk=instance.pk)
    min_lon, min_lat, max_lon, max_lat = geo.bbox(geometry)
    margin = geo.FAR_DEGREES
    if areas.filter(min_lon__lte=max_lon + margin, max_lon__gte=min_lon - margin,
                    min_lat__lte=max_lat + margin, max_lat__gte=min_lat - margin).exists():
        return False
    # Incidents keep no indexed coordinates; the latest ones say where people work.
    recent = list(incidents.values_list("location", flat=True)[:500])
    if not recent:
        return areas.exists()  # areas there are, and none near
    return geo.far_from_all(geometry, recent)


class IncidentForm(FarShapeMixin, forms.ModelForm):
    lon = forms.FloatField(label="Longitude", min_value=-180, max_value=180,
                           widget=forms.NumberInput(attrs={"step": "any"}))
    lat = forms.FloatField(label="Latitude", min_value=-90, max_value=90, widget=PointMapWidget(lon_input="id_lon"),
                           help_text="Click the map to place the incident, drag its marker, or type the numbers.")

    class Meta:
        model = Incident
        fields = ["name", "description", "severity", "closed"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_confirm_field()
        if self.instance.location:
            self.initial.setdefault("lon", self.instance.lon)
            self.initial.setdefault("lat", self.instance.lat)

    def clean(self):
        cleaned = super().clean()
        lon, lat = cleaned.get("lon"), cleaned.get("lat")
        if lon is not None and lat is not None and not cleaned.get("closed"):
            self.check_far(geo.point(lon, lat), "This incident")
        return cleaned

    def _post_clean(self):
        lon, lat = self.cleaned_data.get("lon"), self.cleaned_data.get("lat")
        if lon is None or lat is None:
            return  # the form has errors already; there is no location to check
        self.instance.location = geo.point(lon, lat)
        super()._post_clean()


class PolygonField(forms.JSONField):
    """A Polygon or MultiPolygon, also given as a Feature of one; keeps the geometry."""

    default_error_messages = {"required": "Draw the area on the map, or paste its GeoJSON."}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return geo.polygon_from_input(value)

    def prepare_value(self, value):
        return "" if value is None else super().prepare_value(value)


class AreaForm(FarShapeMixin, forms.ModelForm):
    polygon = PolygonField(
        widget=PolygonMapWidget,
        help_text="Draw the area with the polygon tool and reshape it by dragging its corners; or paste a GeoJSON "
                  "Polygon, MultiPolygon or Feature in longitude/latitude.")

    class Meta:
        model = AreaOfInterest
        fields = ["name", "severity", "polygon"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_confirm_field()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("polygon"):
            self.check_far(cleaned["polygon"], "This area")
        return cleaned

