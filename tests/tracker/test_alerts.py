"""Stored alerts (tracker/alerts.py): every alert the map shows is kept, each user has
an unread count until they look at the list, and the map reloads them as JSON."""

import pytest

from tracker import geo
from tracker.models import AreaOfInterest, Incident

from .conftest import square

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def redis_sessions(cache_settings):
    """Sessions in the test Redis."""


def alert(name):
    Incident.objects.create(name=name, severity="UR", location=geo.point(2.5, 48.5))


def test_alerts_are_stored_and_counted_unread_per_user_until_seen(client, django_user_model):
    AreaOfInterest.objects.create(name="Zone", severity="IN", polygon=square(2, 48))
    ada, bea = (django_user_model.objects.create_user(name) for name in ("ada", "bea"))
    alert("First")
    alert("Second")
    client.force_login(ada)
    assert client.get("/alerts.json").json()["unread"] == 2
    page = client.get("/alerts/").content.decode()
    assert "First" in page and "Second" in page and "Zone" in page
    stored = client.get("/alerts.json").json()
    assert stored["unread"] == 0 and [a["feature"]["properties"]["name"] for a in stored["alerts"]] == [
        "Second", "First"]
    assert not any(a["unread"] for a in stored["alerts"])
    alert("Third")
    assert client.get("/alerts.json").json()["unread"] == 1
    assert 'id="unread-alerts" aria-label="1 unread">1<' in client.get("/").content.decode()
    client.force_login(bea)
    assert client.get("/alerts.json").json()["unread"] == 3
    assert client.post("/alerts/seen/").json() == {"unread": 0}
    assert client.get("/alerts.json").json()["unread"] == 0


def test_alerts_need_a_login(client):
    assert client.get("/alerts.json").status_code == 403
    assert client.post("/alerts/seen/").status_code == 403
    assert client.get("/alerts/").status_code == 302
