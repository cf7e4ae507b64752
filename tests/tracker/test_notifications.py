"""Model changes become notifications after the commit: post_save (with the feature),
alerts for open incidents in areas they alert, post_delete; rollbacks send nothing."""

import asyncio
import json

import pytest
from django.db import transaction

from channels1 import Group
from channels1.layer import RedisChannelLayer
from tracker import geo, notifications
from tracker.models import Alert, AreaOfInterest, Incident

from .conftest import square


class Rollback(Exception):
    pass


@pytest.fixture
def area(db):
    return AreaOfInterest.objects.create(name="Centre", severity="ME", polygon=square(0, 0))


def create_incident(**fields):
    return Incident.objects.create(**{"name": "Fire", "severity": "HI", "location": geo.point(0.5, 0.5), **fields})


@pytest.mark.django_db
def test_a_created_incident_in_an_area_sends_post_save_then_alert(sent, area, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incident = create_incident()
        assert sent == []  # nothing before the commit
    post_save, alert = sent
    feature = {
        "type": "Feature",
        "id": f"incident.{incident.pk}",
        "geometry": {"type": "Point", "coordinates": [0.5, 0.5]},
        "properties": {"id": incident.pk, "model": "incident", "name": "Fire", "severity": "HI",
                       "severity_label": "high", "created_by": None, "closed": False,
                       "url": f"/incidents/{incident.pk}/edit/"},
    }
    assert post_save == {"type": "post_save", "created": True, "feature": feature}
    stored = Alert.objects.get()
    assert alert == {"type": "alert", "feature": feature, "areas_of_interest": [
        {"id": area.pk, "name": "Centre", "severity": "ME", "url": f"/areas/{area.pk}/edit/"}],
        "id": stored.pk, "created": stored.created.isoformat()}


@pytest.mark.django_db
def test_no_alert_outside_areas_or_below_their_severity(sent, area, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        create_incident(location=geo.point(5, 5))
        create_incident(severity="LO")
    assert [payload["type"] for payload in sent] == ["post_save", "post_save"]


@pytest.mark.django_db
def test_areas_notify_their_saves_and_deletes(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        area = AreaOfInterest.objects.create(name="Zone", severity="UR", polygon=square(1, 1))
        pk = area.pk
        area.name = "Zone 2"
        area.save()
        area.delete()
    created, updated, deleted = sent
    assert created["created"] is True and updated["created"] is False
    assert created["feature"]["properties"] == {"id": pk, "model": "area", "name": "Zone", "severity": "UR",
                                                "severity_label": "urgent", "created_by": None,
                                                "url": f"/areas/{pk}/edit/"}
    assert created["feature"]["geometry"] == square(1, 1)
    assert updated["feature"]["properties"]["name"] == "Zone 2"
    assert deleted == {"type": "post_delete", "feature": {**updated["feature"]}}


@pytest.mark.django_db
def test_deleting_and_closing_take_the_incident_off_the_map(
        sent, area, client, django_user_model, cache_settings, django_capture_on_commit_callbacks):
    client.force_login(django_user_model.objects.create_user("viewer"))
    closing, deleting = create_incident(name="to close"), create_incident(name="to delete")
    with django_capture_on_commit_callbacks(execute=True):
        closing.closed = True
        closing.save()
        deleting.delete()
    closed, deleted = sent  # a closed incident alerts nobody
    assert closed["type"] == "post_save" and closed["feature"]["properties"]["closed"] is True
    assert deleted["type"] == "post_delete" and deleted["feature"]["id"].startswith("incident.")
    assert client.get("/incidents.geojson").json()["features"] == []


@pytest.mark.django_db
def test_a_rolled_back_savepoint_notifies_nobody(sent, area, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Rollback), transaction.atomic():
            create_incident()
            raise Rollback
    assert callbacks == [] and sent == []
    assert not Incident.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_notifies_nobody_and_a_committed_one_does(sent):
    AreaOfInterest.objects.create(name="Centre", severity="IN", polygon=square(0, 0))
    sent.clear()
    with pytest.raises(Rollback), transaction.atomic():
        create_incident()
        AreaOfInterest.objects.create(name="Other", polygon=square(3, 3))
        raise Rollback
    assert sent == []
    with transaction.atomic():
        create_incident()
        assert sent == []
    assert [payload["type"] for payload in sent] == ["post_save", "alert"]


@pytest.mark.django_db
def test_fixtures_loaded_raw_send_nothing(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notifications.saved(Incident, Incident(name="x", location=geo.point(0, 0)), True, "default", raw=True)
    assert sent == []


@pytest.mark.django_db
def test_notifications_reach_the_group_on_the_layer(channel_layer_settings, area, django_capture_on_commit_callbacks):
    layer = RedisChannelLayer(**channel_layer_settings)
    member = asyncio.run(layer.new_channel())
    Group(notifications.GROUP).add(member)
    with django_capture_on_commit_callbacks(execute=True):
        incident = create_incident()

    async def take(count):
        try:
            return [await asyncio.wait_for(layer.receive(member), 5) for _ in range(count)]
        finally:
            await layer.close()

    messages = [json.loads(message["text"]) for message in asyncio.run(take(2))]
    assert [message["type"] for message in messages] == ["post_save", "alert"]
    assert messages[1]["feature"]["properties"]["id"] == incident.pk
