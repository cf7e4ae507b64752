"""Forms for incidents (a longitude and a latitude) and areas (GeoJSON text)."""

from django import forms

from . import geo
from .models import AreaOfInterest, Incident


class IncidentForm(forms.ModelForm):
    lon = forms.FloatField(label="Longitude", min_value=-180, max_value=180)
    lat = forms.FloatField(label="Latitude", min_value=-90, max_value=90)

    class Meta:
        model = Incident
        fields = ["name", "description", "severity", "closed"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.location:
            self.initial.setdefault("lon", self.instance.lon)
            self.initial.setdefault("lat", self.instance.lat)

    def _post_clean(self):
        lon, lat = self.cleaned_data.get("lon"), self.cleaned_data.get("lat")
        if lon is None or lat is None:
            return  # the form has errors already; there is no location to check
        self.instance.location = geo.point(lon, lat)
        super()._post_clean()


class AreaForm(forms.ModelForm):
    class Meta:
        model = AreaOfInterest
        fields = ["name", "severity", "polygon"]
        widgets = {"polygon": forms.Textarea(attrs={"rows": 8, "cols": 60})}
