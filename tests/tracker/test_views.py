"""The tracker's pages: login, lists, create, edit and delete forms, the map page,
the GeoJSON endpoints, the admin, and the management commands."""

import json

import pytest
from django.core.management import call_command

from tracker import geo
from tracker.models import AreaOfInterest, Incident

from .conftest import square

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def redis_sessions(cache_settings):
    """Sessions in the test Redis."""


@pytest.fixture
def logged_in(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("editor"))
    return client


@pytest.mark.parametrize("path", ["/map/", "/incidents/", "/incidents/new/", "/areas/", "/areas/new/"])
def test_pages_need_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("path", ["/incidents.geojson", "/areas.geojson"])
def test_geojson_needs_a_login_unless_anonymous_viewers(client, settings, path):
    assert client.get(path).status_code == 403
    settings.TRACKER_ANONYMOUS_VIEWERS = True
    assert client.get(path).json() == {"type": "FeatureCollection", "features": []}


def test_the_map_page_loads_leaflet_and_opens_the_notifications_socket(logged_in):
    page = logged_in.get("/map/").content.decode()
    for needle in ["/static/tracker/vendor/leaflet/leaflet.js", "/static/tracker/vendor/leaflet/leaflet.css",
                   "/static/tracker/live-map.js", "/ws-token/", "/incidents.geojson", "/areas.geojson", 'id="status"']:
        assert needle in page


def test_create_edit_and_delete_an_incident(logged_in):
    response = logged_in.post("/incidents/new/", {"name": "Leak", "description": "", "severity": "UR",
                                                  "lon": "2.35", "lat": "48.85"})
    assert response.status_code == 302 and response["Location"] == "/incidents/"
    incident = Incident.objects.get()
    assert (incident.name, incident.severity, incident.location) == ("Leak", "UR", geo.point(2.35, 48.85))
    page = logged_in.get(f"/incidents/{incident.pk}/edit/").content.decode()
    assert 'value="2.35"' in page and 'value="48.85"' in page
    logged_in.post(f"/incidents/{incident.pk}/edit/", {"name": "Leak", "severity": "LO", "closed": "on",
                                                       "lon": "2.4", "lat": "48.9"})
    incident.refresh_from_db()
    assert incident.closed and incident.severity == "LO" and incident.location == geo.point(2.4, 48.9)
    assert "Leak" in logged_in.get("/incidents/").content.decode()
    assert logged_in.get(f"/incidents/{incident.pk}/delete/").status_code == 200
    assert logged_in.post(f"/incidents/{incident.pk}/delete/").status_code == 302
    assert not Incident.objects.exists()


def test_incident_form_checks_coordinates(logged_in):
    response = logged_in.post("/incidents/new/", {"name": "x", "severity": "ME", "lon": "200", "lat": ""})
    assert response.status_code == 200 and not Incident.objects.exists()
    assert set(response.context["form"].errors) == {"lon", "lat"}


def test_create_and_edit_an_area_from_geojson_text(logged_in):
    response = logged_in.post("/areas/new/", {"name": "Zone", "severity": "HI", "polygon": json.dumps(square(1, 2))})
    assert response.status_code == 302
    area = AreaOfInterest.objects.get()
    assert (area.min_lon, area.min_lat, area.max_lon, area.max_lat) == (1, 2, 2, 3)
    logged_in.post(f"/areas/{area.pk}/edit/", {"name": "Zone", "severity": "HI", "polygon": json.dumps(square(5, 5))})
    area.refresh_from_db()
    assert area.min_lon == 5
    assert "Zone" in logged_in.get("/areas/").content.decode()
    logged_in.post(f"/areas/{area.pk}/delete/")
    assert not AreaOfInterest.objects.exists()


@pytest.mark.parametrize("text", ["not json", '{"type": "Point", "coordinates": [0, 0]}',
                                  '{"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}'])
def test_area_form_refuses_bad_geometry(logged_in, text):
    response = logged_in.post("/areas/new/", {"name": "bad", "severity": "ME", "polygon": text})
    assert response.status_code == 200 and "polygon" in response.context["form"].errors
    assert not AreaOfInterest.objects.exists()


def test_geojson_collections(logged_in):
    area = AreaOfInterest.objects.create(name="Zone", polygon=square(0, 0))
    open_one = Incident.objects.create(name="open", location=geo.point(0.5, 0.5))
    Incident.objects.create(name="closed", closed=True, location=geo.point(0.5, 0.5))
    incidents = logged_in.get("/incidents.geojson").json()
    assert incidents["type"] == "FeatureCollection"
    assert [feature["id"] for feature in incidents["features"]] == [f"incident.{open_one.pk}"]
    areas = logged_in.get("/areas.geojson").json()["features"]
    assert areas == [area.as_feature()]


def test_admin_lists_both_models(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="root-pass-1"))
    AreaOfInterest.objects.create(name="Zone", polygon=square(0, 0))
    Incident.objects.create(name="Leak", location=geo.point(0.5, 0.5))
    assert "Zone" in client.get("/admin/tracker/areaofinterest/").content.decode()
    assert "Leak" in client.get("/admin/tracker/incident/").content.decode()
    assert client.get("/admin/tracker/incident/add/").status_code == 200


def test_the_admin_draws_and_places_on_the_same_map_widgets(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="root-pass-1")
    client.force_login(root)
    assert 'data-map-widget="polygon"' in client.get("/admin/tracker/areaofinterest/add/").content.decode()
    page = client.get("/admin/tracker/incident/add/").content.decode()
    assert 'data-map-widget="point"' in page and "tracker/vendor/leaflet-geoman/leaflet-geoman.min.js" in page
    feature = {"type": "Feature", "properties": {}, "geometry": square(1, 1)}
    response = client.post("/admin/tracker/areaofinterest/add/", {"name": "From the admin", "severity": "ME",
                                                                  "polygon": json.dumps(feature)})
    assert response.status_code == 302
    area = AreaOfInterest.objects.get(name="From the admin")
    assert area.polygon == square(1, 1) and area.created_by == root


def test_load_demo_data_is_repeatable(capsys):
    call_command("load_demo_data")
    call_command("load_demo_data")
    assert AreaOfInterest.objects.count() == 5
    assert Incident.objects.count() == 12
    assert any(incident.alerted_areas() for incident in Incident.objects.all())
    call_command("load_demo_data", "--flush")
    assert Incident.objects.count() == 6


def test_report_incidents_creates_them_within_the_areas(capsys):
    AreaOfInterest.objects.create(name="Zone", polygon=square(10, 10))
    call_command("report_incidents", "--rate", "0", "--count", "5", "--seed", "1")
    incidents = list(Incident.objects.all())
    assert len(incidents) == 5
    assert all(10 <= incident.lon <= 11 and 10 <= incident.lat <= 11 for incident in incidents)
    assert "5 incidents created" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_rq_dashboard_is_for_staff_only(tailf, cache_settings, client, django_user_model):
    user = django_user_model.objects.create_user("dave", password="dave-secret-1")
    client.force_login(user)
    assert client.get("/django-rq/").status_code == 302
    user.is_staff = True
    user.save()
    client.force_login(user)
    assert "/django-rq/" in client.get("/tailf/").content.decode()
    dashboard = client.get("/django-rq/")
    assert dashboard.status_code == 200 and "tailf" in dashboard.content.decode()


def test_the_new_area_form_starts_empty_and_offers_the_map(logged_in):
    page = logged_in.get("/areas/new/").content.decode()
    assert 'data-map-widget="polygon"' in page
    assert ">null</textarea>" not in page and '\n</textarea>' in page


def test_create_edit_and_delete_say_so_with_a_message(logged_in):
    created = logged_in.post("/incidents/new/", {"name": "Leak", "severity": "ME", "lon": "2.3", "lat": "48.8"},
                             follow=True)
    assert "Incident “Leak” created." in created.content.decode()
    incident = Incident.objects.get()
    edited = logged_in.post(f"/incidents/{incident.pk}/edit/", {"name": "Leak 2", "severity": "ME", "lon": "2.3",
                                                               "lat": "48.8"}, follow=True)
    assert "Incident “Leak 2” saved." in edited.content.decode()
    deleted = logged_in.post(f"/incidents/{incident.pk}/delete/", follow=True)
    assert "Incident “Leak 2” deleted." in deleted.content.decode()


def test_the_map_creates_through_the_form_and_gets_json_back(logged_in):
    response = logged_in.post("/areas/new/", {"name": "Drawn", "severity": "LO", "polygon": json.dumps(square(2, 48))},
                              HTTP_ACCEPT="application/json")
    assert response.status_code == 201 and response.json()["feature"]["properties"]["name"] == "Drawn"
    refused = logged_in.post("/areas/new/", {"name": "Open", "severity": "LO", "polygon": json.dumps(
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]})}, HTTP_ACCEPT="application/json")
    assert refused.status_code == 400 and "not closed" in refused.json()["errors"]["polygon"][0]["message"]
    far = logged_in.post("/areas/new/", {"name": "Swapped", "severity": "LO", "polygon": json.dumps(
        square(48, 2))}, HTTP_ACCEPT="application/json")
    assert far.status_code == 400 and far.json()["far"] is True
    assert "swapped" in far.json()["errors"]["__all__"][0]["message"]
