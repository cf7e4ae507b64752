"""Who may do what: incidents and areas record their creator, and only the creator or
staff may change or delete them (pages, the map's geometry view and the lists); the
log tail needs ``tracker.view_logs`` or staff; sign-up can be closed."""

import json

import pytest
from django.contrib.auth.models import Permission

from tracker import geo
from tracker.models import AreaOfInterest, Incident

from .conftest import square

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def redis_sessions(cache_settings):
    """Sessions in the test Redis."""


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user("owner")


@pytest.fixture
def other(client, django_user_model):
    return django_user_model.objects.create_user("other")


@pytest.fixture
def objects(owner):
    return {
        "incidents": Incident.objects.create(name="Leak", location=geo.point(2.35, 48.85), created_by=owner),
        "areas": AreaOfInterest.objects.create(name="Zone", polygon=square(2, 48), created_by=owner),
    }


def test_creating_through_the_forms_records_the_creator(client, owner):
    client.force_login(owner)
    client.post("/incidents/new/", {"name": "Mine", "severity": "ME", "lon": "2.3", "lat": "48.8"})
    client.post("/areas/new/", {"name": "Mine too", "severity": "ME", "polygon": json.dumps(square(2, 48))})
    assert Incident.objects.get(name="Mine").created_by == owner
    assert AreaOfInterest.objects.get(name="Mine too").created_by == owner


@pytest.mark.parametrize("kind", ["incidents", "areas"])
@pytest.mark.parametrize("action", ["edit", "delete"])
def test_others_may_not_edit_or_delete(client, other, objects, kind, action):
    instance = objects[kind]
    client.force_login(other)
    assert client.get(f"/{kind}/{instance.pk}/{action}/").status_code == 403
    assert client.post(f"/{kind}/{instance.pk}/{action}/", {"name": "taken", "severity": "IN"}).status_code == 403
    instance.refresh_from_db()
    assert instance.name in ("Leak", "Zone")


@pytest.mark.parametrize("kind", ["incidents", "areas"])
def test_others_may_not_move_or_reshape_on_the_map(client, other, objects, kind):
    instance = objects[kind]
    client.force_login(other)
    response = client.post(f"/{kind}/{instance.pk}/geometry/", json.dumps({"geometry": geo.point(0, 0)}),
                           content_type="application/json")
    assert response.status_code == 403 and "creator or staff" in response.json()["error"]


def test_the_creator_moves_an_incident_on_the_map_through_the_form_checks(client, owner, objects):
    incident = objects["incidents"]
    client.force_login(owner)
    url = f"/incidents/{incident.pk}/geometry/"
    moved = client.post(url, json.dumps({"geometry": geo.point(2.36, 48.86)}), content_type="application/json")
    assert moved.status_code == 200 and moved.json()["feature"]["geometry"] == geo.point(2.36, 48.86)
    refused = client.post(url, json.dumps({"geometry": geo.point(200, 0)}), content_type="application/json")
    assert refused.status_code == 400 and "lon" in refused.json()["errors"]
    far = client.post(url, json.dumps({"geometry": geo.point(48.86, 2.36)}), content_type="application/json")
    assert far.status_code == 400 and far.json()["far"] is True
    confirmed = client.post(url, json.dumps({"geometry": geo.point(48.86, 2.36), "confirm_far": True}),
                            content_type="application/json")
    assert confirmed.status_code == 200


def test_staff_may_change_anything(client, django_user_model, objects):
    client.force_login(django_user_model.objects.create_user("boss", is_staff=True))
    area = objects["areas"]
    response = client.post(f"/areas/{area.pk}/edit/", {"name": "Renamed", "severity": "HI",
                                                        "polygon": json.dumps(area.polygon)})
    assert response.status_code == 302
    assert client.post(f"/incidents/{objects['incidents'].pk}/delete/").status_code == 302
    assert not Incident.objects.exists()


def test_lists_offer_edit_and_delete_only_to_who_may(client, owner, other, objects):
    area = objects["areas"]
    client.force_login(owner)
    assert f"/areas/{area.pk}/delete/" in client.get("/areas/").content.decode()
    client.force_login(other)
    assert f"/areas/{area.pk}/delete/" not in client.get("/areas/").content.decode()


def test_the_log_tail_needs_the_permission_or_staff(client, other, settings, tmp_path):
    settings.TAILF = {1: str(tmp_path / "app.log")}
    client.force_login(other)
    assert client.get("/tailf/").status_code == 403
    assert "/tailf/" not in client.get("/").content.decode()
    other.user_permissions.add(Permission.objects.get(codename="view_logs"))
    client.force_login(other)
    assert client.get("/tailf/").status_code == 200
    other.user_permissions.clear()
    other.is_staff = True
    other.save()
    client.force_login(other)
    assert client.get("/tailf/").status_code == 200


def test_sign_up_can_be_closed(client, settings):
    settings.TRACKER_SIGNUP_OPEN = False
    assert client.get("/accounts/signup/").status_code == 404
    response = client.post("/accounts/signup/", {"username": "x", "password1": "pw-3829-long", "password2": "pw-3829-long"})
    assert response.status_code == 404
    assert "/accounts/signup/" not in client.get("/accounts/login/").content.decode()
    settings.TRACKER_SIGNUP_OPEN = True
    assert client.get("/accounts/signup/").status_code == 200
