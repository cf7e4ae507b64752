"""Pages of the tracker's incidents and areas: lists, create, edit and delete forms,
the live map, and the GeoJSON FeatureCollections the map loads. Anyone logged in may
create; only the creator or staff may change or delete. The forms also answer the
map's scripts in JSON (``Accept: application/json``)."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.forms.models import model_to_dict
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse, reverse_lazy
from django.views import generic
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from .forms import AreaForm, IncidentForm
from .models import AreaOfInterest, Incident, Severity, feature_collection, may_change


class Kind:
    """What the shared templates and views need to know of a model."""

    def __init__(self, model, form_class, prefix, geometry_fields):
        self.model = model
        self.form_class = form_class
        self.prefix = prefix
        self.name = model._meta.verbose_name
        self.plural = model._meta.verbose_name_plural
        self.geometry_fields = geometry_fields
        self.list_url = reverse_lazy(f"{prefix}-list")
        self.create_url = reverse_lazy(f"{prefix}-create")

    def geometry_data(self, geometry):
        """Form data that sets this kind's geometry to ``geometry``."""
        if self.prefix == "incident":
            lon, lat = geometry["coordinates"][:2]
            return {"lon": lon, "lat": lat}
        return {"polygon": json.dumps(geometry)}


INCIDENTS = Kind(Incident, IncidentForm, "incident", ["lon", "lat"])
AREAS = Kind(AreaOfInterest, AreaForm, "area", ["polygon"])


def wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def form_errors(form):
    """A form's errors as JSON; ``far`` says a confirmation would save it."""
    errors = form.errors.get_json_data()
    far = any(error["code"] == "far" for error in errors.get("__all__", []))
    return JsonResponse({"errors": errors, "far": far}, status=400)


class KindMixin(LoginRequiredMixin):
    kind = None

    def get_context_data(self, **kwargs):
        return super().get_context_data(kind=self.kind, **kwargs)


class ListMixin(KindMixin):
    paginate_by = 50

    def get_queryset(self):
        return super().get_queryset().select_related("created_by")


class IncidentList(ListMixin, generic.ListView):
    kind = INCIDENTS
    model = Incident
    template_name = "tracker/incident_list.html"


class AreaList(ListMixin, generic.ListView):
    kind = AREAS
    model = AreaOfInterest
    template_name = "tracker/area_list.html"


class KindFormMixin(KindMixin):
    template_name = "tracker/object_form.html"
    done = "saved"

    def get_form_class(self):
        return self.kind.form_class

    def get_success_url(self):
        return self.kind.list_url

    def form_valid(self, form):
        response = super().form_valid(form)
        if wants_json(self.request):  # the map shows it at once; no message for a later page
            return JsonResponse({"feature": self.object.as_feature()}, status=201 if self.done == "created" else 200)
        messages.success(self.request, f"{self.kind.name.capitalize()} “{self.object}” {self.done}.")
        return response

    def form_invalid(self, form):
        if wants_json(self.request):
            return form_errors(form)
        return super().form_invalid(form)


class OwnerRequiredMixin:
    """The object, if the user may change it; 403 otherwise."""

    def get_object(self, queryset=None):
        instance = super().get_object(queryset)
        if not may_change(self.request.user, instance):
            raise PermissionDenied(f"Only its creator or staff may change this {self.kind.name}.")
        return instance


class CreateView(KindFormMixin, generic.CreateView):
    done = "created"

    def form_valid(self, form):
        form.instance.created_by = self.request.user
        return super().form_valid(form)


class IncidentCreate(CreateView):
    kind = INCIDENTS

    def get_initial(self):
        return {key: self.request.GET[key] for key in ("lon", "lat") if key in self.request.GET}


class AreaCreate(CreateView):
    kind = AREAS


class EditView(OwnerRequiredMixin, KindFormMixin, generic.UpdateView):
    pass


class IncidentEdit(EditView):
    kind = INCIDENTS
    model = Incident


class AreaEdit(EditView):
    kind = AREAS
    model = AreaOfInterest


class DeleteView(OwnerRequiredMixin, KindMixin, generic.DeleteView):
    template_name = "tracker/object_confirm_delete.html"

    def get_success_url(self):
        return self.kind.list_url

    def form_valid(self, form):
        response = super().form_valid(form)
        if wants_json(self.request):
            return JsonResponse({"deleted": True})
        messages.success(self.request, f"{self.kind.name.capitalize()} “{self.object}” deleted.")
        return response


class IncidentDelete(DeleteView):
    kind = INCIDENTS
    model = Incident


class AreaDelete(DeleteView):
    kind = AREAS
    model = AreaOfInterest


@require_POST
def change_geometry(request, kind, pk):
    """The map moves an incident or reshapes an area: JSON ``{"geometry",
    "confirm_far"?}``, checked by the same form as the edit page."""
    kind = INCIDENTS if kind == "incidents" else AREAS
    if not request.user.is_authenticated:
        return JsonResponse({"error": "login required"}, status=403)
    instance = get_object_or_404(kind.model, pk=pk)
    if not may_change(request.user, instance):
        return JsonResponse({"error": f"only its creator or staff may change this {kind.name}"}, status=403)
    try:
        body = json.loads(request.body)
        data = {**model_to_dict(instance, fields=kind.form_class._meta.fields),
                **kind.geometry_data(body["geometry"]), "confirm_far": bool(body.get("confirm_far"))}
    except (ValueError, KeyError, TypeError, IndexError):
        return JsonResponse({"error": 'send JSON like {"geometry": {"type": "Point", "coordinates": [2.3, 48.8]}}'},
                            status=400)
    form = kind.form_class(data, instance=instance)
    if not form.is_valid():
        return form_errors(form)
    return JsonResponse({"feature": form.save().as_feature()})


@login_required
def live_map(request):
    """The live map; its script gets the user and the URLs it posts to."""
    config = {
        "user": {"id": request.user.pk, "staff": request.user.is_staff},
        "collections": [reverse("areas-geojson"), reverse("incidents-geojson")],
        "alerts": reverse("alerts-json"),
        "alertsSeen": reverse("alerts-seen"),
        "create": {"area": reverse("area-create"), "incident": reverse("incident-create")},
        # "0" stands for the id in these.
        "geometry": {"area": reverse("area-geometry", args=[0]), "incident": reverse("incident-geometry", args=[0])},
    }
    return render(request, "tracker/map.html", {"map_config": config, "severities": Severity.choices})


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
