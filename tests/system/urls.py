"""The project's URLs plus the page the websocketbridge.js browser test loads."""

from django.urls import path
from django.views.generic import TemplateView

from tracker_project.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("test/websocketbridge/", TemplateView.as_view(template_name="websocketbridge.html")),
    *project_urlpatterns,
]
