"""Incidents (points) and areas of interest (polygons), kept as GeoJSON. Areas also
keep their bounding box in indexed columns, so finding the areas around a point is a
SQL range query first and a shapely test on the few candidates after."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from . import _alert_query, geo


class Severity(models.TextChoices):
    URGENT = "UR", "urgent"
    HIGH = "HI", "high"
    MEDIUM = "ME", "medium"
    LOW = "LO", "low"
    INFO = "IN", "info"


# Most severe first.
SEVERITY_ORDER = [Severity.URGENT, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO]


class Incident(models.Model):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    severity = models.CharField(max_length=2, choices=Severity.choices, default=Severity.MEDIUM)
    closed = models.BooleanField(default=False)
    location = models.JSONField(help_text="A GeoJSON Point: {\"type\": \"Point\", \"coordinates\": [lon, lat]}")
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, editable=False,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created", "-pk"]
        # App-wide rather than about incidents; Django keeps permissions on a model.
        permissions = [("view_logs", "Can follow the server's log files live")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("incident-edit", args=[self.pk])

    def clean(self):
        try:
            geo.check_point(self.location)
        except ValidationError as error:
            raise ValidationError({"location": error.messages}) from error

    @property
    def lon(self):
        return float(self.location["coordinates"][0])

    @property
    def lat(self):
        return float(self.location["coordinates"][1])

    @property
    def alert_severities(self):
        """Severities of the areas this incident alerts: its own and every lower one."""
        return SEVERITY_ORDER[SEVERITY_ORDER.index(self.severity):]

    def as_feature(self):
        """This incident as a GeoJSON Feature."""
        return feature(self, "incident", self.location, closed=self.closed)

    def alerted_areas(self):
        """The areas whose severity this incident alerts and that contain it; none if
        it is closed."""
        if self.closed:
            return []
        lon, lat = self.lon, self.lat
        candidates = _alert_query.candidates(AreaOfInterest.objects, lon, lat, self.alert_severities)
        return [area for area in candidates if area.contains(lon, lat)]


class AreaQuerySet(models.QuerySet):
    def around(self, lon, lat):
        """Areas whose bounding box holds the point: the candidates for containing it."""
        return self.filter(min_lon__lte=lon, max_lon__gte=lon, min_lat__lte=lat, max_lat__gte=lat)

    def containing(self, lon, lat):
        """Areas that contain the point (on the edge counts), as a list."""
        return [area for area in self.around(lon, lat) if area.contains(lon, lat)]


class AreaOfInterest(models.Model):
    name = models.CharField(max_length=200)
    severity = models.CharField(max_length=2, choices=Severity.choices, default=Severity.MEDIUM)
    polygon = models.JSONField(help_text="A GeoJSON Polygon or MultiPolygon in lon/lat")
    min_lon = models.FloatField(db_index=True, editable=False)
    min_lat = models.FloatField(db_index=True, editable=False)
    max_lon = models.FloatField(db_index=True, editable=False)
    max_lat = models.FloatField(db_index=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, editable=False,
                                   on_delete=models.SET_NULL, related_name="+")

    objects = AreaQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = "area of interest"
        verbose_name_plural = "areas of interest"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("area-edit", args=[self.pk])

    def clean(self):
        try:
            geo.check_polygon(self.polygon)
        except ValidationError as error:
            raise ValidationError({"polygon": error.messages}) from error

    def set_bbox(self):
        """Fill the bounding box columns from the polygon (save() does it; call it
        yourself before bulk_create)."""
        self.min_lon, self.min_lat, self.max_lon, self.max_lat = geo.bbox(self.polygon)
        return self

    def save(self, *args, **kwargs):
        self.set_bbox()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "polygon" in update_fields:
            kwargs["update_fields"] = {*update_fields, "min_lon", "min_lat", "max_lon", "max_lat"}
        super().save(*args, **kwargs)

    def as_feature(self):
        """This area as a GeoJSON Feature."""
        return feature(self, "area", self.polygon)

    def as_alerted(self):
        """How an alert names this area."""
        return {"id": self.pk, "name": self.name, "severity": self.severity, "url": self.get_absolute_url()}

    def contains(self, lon, lat):
        """True if the point is inside the polygon or on its edge (shapely, no prefilter)."""
        return geo.contains(self.polygon, lon, lat)


def feature(instance, model, geometry, **properties):
    """A GeoJSON Feature of a tracker object; its id names the model too, so incidents
    and areas never clash on a map."""
    return {
        "type": "Feature",
        "id": f"{model}.{instance.pk}",
        "geometry": geometry,
        "properties": {
            "id": instance.pk,
            "model": model,
            "name": instance.name,
            "severity": instance.severity,
            "severity_label": instance.get_severity_display(),
            "created_by": instance.created_by_id,
            **properties,
            "url": instance.get_absolute_url(),
        },
    }


def feature_collection(instances):
    return {"type": "FeatureCollection", "features": [instance.as_feature() for instance in instances]}


def may_change(user, instance):
    """Only the creator of an incident or area, or staff, may change or delete it."""
    return user.is_authenticated and (user.is_staff or (
        instance.created_by_id is not None and instance.created_by_id == user.pk))


def may_view_logs(user):
    """The log tail is for staff and for users given ``tracker.view_logs``."""
    return user.is_authenticated and user.is_active and (user.is_staff or user.has_perm("tracker.view_logs"))


class Alert(models.Model):
    """An alert as the map showed it live, kept so the list survives reloads."""

    payload = models.JSONField()
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-pk"]

    def as_dict(self):
        return {**self.payload, "id": self.pk, "created": self.created.isoformat()}


class AlertsSeen(models.Model):
    """Up to when a user has seen the alerts: later ones count as unread."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    until = models.DateTimeField()


class ChatMessage(models.Model):
    """A line said in a chat room; a socket joining a room gets the last ones."""

    room = models.CharField(max_length=200)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150)
    text = models.TextField()
    created = models.DateTimeField(auto_now_add=True)
    # The id of the message that said it (or its user's nonce for the line), so that a
    # message delivered or written twice is not stored twice.
    message_id = models.CharField(max_length=200, null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["created", "pk"]
        indexes = [models.Index(fields=["room", "-created"])]

    def as_line(self):
        return {"id": self.pk, "user": self.username, "message": self.text, "time": self.created.isoformat()}
