"""Pages of the tracker's incidents and areas: lists, create, edit and delete forms,
the live map, and the GeoJSON FeatureCollections the map loads."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.views import generic
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .forms import AreaForm, IncidentForm
from .models import AreaOfInterest, Incident, feature_collection


class Kind:
    """What the shared templates need to know of a model."""

    def __init__(self, model, prefix, plural):
        self.model = model
        self.prefix = prefix
        self.plural = plural
        self.list_url = reverse_lazy(f"{prefix}-list")
        self.create_url = reverse_lazy(f"{prefix}-create")


INCIDENTS = Kind(Incident, "incident", "incidents")
AREAS = Kind(AreaOfInterest, "area", "areas of interest")


class KindMixin(LoginRequiredMixin):
    kind = None

    def get_context_data(self, **kwargs):
        return super().get_context_data(kind=self.kind, **kwargs)


class IncidentList(KindMixin, generic.ListView):
    kind = INCIDENTS
    model = Incident
    paginate_by = 50
    template_name = "tracker/incident_list.html"


class AreaList(KindMixin, generic.ListView):
    kind = AREAS
    model = AreaOfInterest
    paginate_by = 50
    template_name = "tracker/area_list.html"


class KindFormMixin(KindMixin):
    template_name = "tracker/object_form.html"

    def get_success_url(self):
        return self.kind.list_url


class IncidentCreate(KindFormMixin, generic.CreateView):
    kind = INCIDENTS
    form_class = IncidentForm

    def get_initial(self):
        return {key: self.request.GET[key] for key in ("lon", "lat") if key in self.request.GET}


class IncidentEdit(KindFormMixin, generic.UpdateView):
    kind = INCIDENTS
    model = Incident
    form_class = IncidentForm


class IncidentDelete(KindFormMixin, generic.DeleteView):
    kind = INCIDENTS
    model = Incident
    template_name = "tracker/object_confirm_delete.html"


class AreaCreate(KindFormMixin, generic.CreateView):
    kind = AREAS
    form_class = AreaForm


class AreaEdit(KindFormMixin, generic.UpdateView):
    kind = AREAS
    model = AreaOfInterest
    form_class = AreaForm


class AreaDelete(KindFormMixin, generic.DeleteView):
    kind = AREAS
    model = AreaOfInterest
    template_name = "tracker/object_confirm_delete.html"


@login_required
def live_map(request):
    return render(request, "tracker/map.html")


def _may_view(request):
    return request.user.is_authenticated or getattr(settings, "TRACKER_ANONYMOUS_VIEWERS", False)


@never_cache
@require_GET
def incidents_geojson(request):
    """Open incidents as a FeatureCollection (closed ones are off the map); 403 JSON
    for anonymous users, unless TRACKER_ANONYMOUS_VIEWERS."""
    if not _may_view(request):
        return JsonResponse({"error": "login required"}, status=403)
    return JsonResponse(feature_collection(Incident.objects.filter(closed=False)))


@never_cache
@require_GET
def areas_geojson(request):
    """Every area of interest as a FeatureCollection; 403 JSON as incidents_geojson."""
    if not _may_view(request):
        return JsonResponse({"error": "login required"}, status=403)
    return JsonResponse(feature_collection(AreaOfInterest.objects.all()))
