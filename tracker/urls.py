"""URLs of the tracker's pages, sockets' helpers and GeoJSON."""

from django.urls import include, path

from . import geoviews, views

urlpatterns = [
    path("", views.home, name="home"),
    path("ws-token/", views.ws_token, name="ws-token"),
    path("chat/", views.chat_index, name="chat-index"),
    path("chat/<path:room>/", views.chat_room, name="chat-room"),
    path("alerts/", views.alert_list, name="alert-list"),
    path("alerts.json", views.alerts_json, name="alerts-json"),
    path("alerts/seen/", views.alerts_seen, name="alerts-seen"),
    path("tailf/", views.tailf, name="tailf"),
    path("django-rq/", include("django_rq.urls")),
    path("map/", geoviews.live_map, name="map"),
    path("incidents.geojson", geoviews.incidents_geojson, name="incidents-geojson"),
    path("areas.geojson", geoviews.areas_geojson, name="areas-geojson"),
    path("incidents/", geoviews.IncidentList.as_view(), name="incident-list"),
    path("incidents/new/", geoviews.IncidentCreate.as_view(), name="incident-create"),
    path("incidents/<int:pk>/edit/", geoviews.IncidentEdit.as_view(), name="incident-edit"),
    path("incidents/<int:pk>/delete/", geoviews.IncidentDelete.as_view(), name="incident-delete"),
    path("areas/", geoviews.AreaList.as_view(), name="area-list"),
    path("areas/new/", geoviews.AreaCreate.as_view(), name="area-create"),
    path("areas/<int:pk>/edit/", geoviews.AreaEdit.as_view(), name="area-edit"),
    path("areas/<int:pk>/delete/", geoviews.AreaDelete.as_view(), name="area-delete"),
    path("incidents/<int:pk>/geometry/", geoviews.change_geometry, {"kind": "incidents"}, name="incident-geometry"),
    path("areas/<int:pk>/geometry/", geoviews.change_geometry, {"kind": "areas"}, name="area-geometry"),
]
