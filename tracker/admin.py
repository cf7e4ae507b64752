"""The admin for incidents and areas of interest."""

from django.contrib import admin

from .models import AreaOfInterest, Incident


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["name", "severity", "closed", "created"]
    list_filter = ["severity", "closed"]
    search_fields = ["name", "description"]


@admin.register(AreaOfInterest)
class AreaOfInterestAdmin(admin.ModelAdmin):
    list_display = ["name", "severity", "min_lon", "min_lat", "max_lon", "max_lat"]
    list_filter = ["severity"]
    search_fields = ["name"]
    readonly_fields = ["min_lon", "min_lat", "max_lon", "max_lat"]
