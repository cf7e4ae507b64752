"""The admin for incidents, areas of interest and chat lines; incidents and areas are
placed and drawn on the same map widgets as the site's forms."""

from django.contrib import admin

from .forms import AreaForm, IncidentForm
from .models import AreaOfInterest, ChatMessage, Incident


class CreatorAdmin(admin.ModelAdmin):
    readonly_fields = ["created_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Incident)
class IncidentAdmin(CreatorAdmin):
    form = IncidentForm
    list_display = ["name", "severity", "closed", "created", "created_by"]
    list_filter = ["severity", "closed"]
    search_fields = ["name", "description"]


@admin.register(AreaOfInterest)
class AreaOfInterestAdmin(CreatorAdmin):
    form = AreaForm
    list_display = ["name", "severity", "min_lon", "min_lat", "max_lon", "max_lat", "created_by"]
    list_filter = ["severity"]
    search_fields = ["name"]
    readonly_fields = ["min_lon", "min_lat", "max_lon", "max_lat", "created_by"]


@admin.register(ChatMessage)
class ChatMessageAdmin(admin.ModelAdmin):
    list_display = ["created", "room", "username", "text"]
    list_filter = ["room"]
    search_fields = ["room", "username", "text"]
