"""The tracker end to end: model changes made in other processes reach logged-in
sockets on /ws/notifications/ through Daphne and the workers, as post_save, alert
and post_delete notifications; Daphne serves the map's static files."""

import asyncio
import json
import re
import urllib.parse
import urllib.request

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from .accounts import Browser

SQUARE = {"type": "Polygon", "coordinates": [[[2.0, 48.0], [3.0, 48.0], [3.0, 49.0], [2.0, 49.0], [2.0, 48.0]]]}


@pytest.fixture(scope="module")
def cleo(system):
    return Browser(system).login_as_new_user("cleo", "cleo-secret-1")


def post_form(browser, path, fields):
    """Submit a form of the site as a browser would (CSRF token from the page)."""
    page = browser.get(path)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    request = urllib.request.Request(
        browser.system.http_url + path, data=urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": csrf}).encode(),
        headers={"Referer": browser.system.http_url + path},
    )
    with browser.opener.open(request, timeout=10) as response:
        return response.geturl()


async def shell(system, code):
    """Run Python in a manage.py shell: another process than Daphne and the workers."""
    return await asyncio.to_thread(system.manage, "shell", "-c", code)


async def next_notification(socket, timeout=10):
    return json.loads(await asyncio.wait_for(socket.recv(), timeout))


async def test_changes_from_another_process_reach_the_socket(system, cleo):
    url = system.ws_url("/ws/notifications/")
    async with connect(url, additional_headers=cleo.headers()) as socket:
        area_id = int((await shell(system, (
            "from tracker.models import AreaOfInterest; "
            f"print(AreaOfInterest.objects.create(name='Zone', severity='ME', polygon={SQUARE!r}).pk)"
        ))).split()[-1])
        saved = await next_notification(socket)
        assert saved["type"] == "post_save" and saved["created"] is True
        assert saved["feature"]["id"] == f"area.{area_id}"

        incident_id = int((await shell(system, (
            "from tracker.models import Incident; from tracker.geo import point; "
            "print(Incident.objects.create(name='Leak', severity='HI', location=point(2.5, 48.5)).pk)"
        ))).split()[-1])
        saved, alert = await next_notification(socket), await next_notification(socket)
        assert saved["type"] == "post_save" and saved["feature"]["properties"]["id"] == incident_id
        assert saved["feature"]["geometry"] == {"type": "Point", "coordinates": [2.5, 48.5]}
        assert alert["type"] == "alert" and alert["feature"] == saved["feature"]
        assert alert["areas_of_interest"] == [
            {"id": area_id, "name": "Zone", "severity": "ME", "url": f"/areas/{area_id}/edit/"}]

        await shell(system, f"from tracker.models import Incident; Incident.objects.get(pk={incident_id}).delete()")
        deleted = await next_notification(socket)
        assert deleted == {"type": "post_delete", "feature": saved["feature"]}

        await shell(system, (
            "from django.db import transaction; from tracker.models import Incident; from tracker.geo import point\n"
            "try:\n"
            "    with transaction.atomic():\n"
            "        Incident.objects.create(name='never', severity='UR', location=point(2.5, 48.5))\n"
            "        raise ValueError\n"
            "except ValueError:\n"
            "    pass\n"
        ))
        with pytest.raises(TimeoutError):
            await next_notification(socket, timeout=1)


async def test_a_form_post_reaches_every_socket_with_a_token(system, cleo):
    url = system.ws_url("/ws/notifications/")
    first = await connect(f"{url}?token={cleo.token()}", additional_headers={"Origin": system.http_url})
    second = await connect(f"{url}?token={cleo.token()}", additional_headers={"Origin": system.http_url})
    try:
        landed = await asyncio.to_thread(post_form, cleo, "/incidents/new/", {
            "name": "From the form", "severity": "IN", "lon": "2.6", "lat": "48.6"})
        assert landed.endswith("/incidents/")
        for socket in (first, second):
            saved = await next_notification(socket)
            assert saved["type"] == "post_save" and saved["feature"]["properties"]["name"] == "From the form"
    finally:
        await first.close()
        await second.close()


async def test_the_notifications_socket_answers_pings_so_pages_see_it_is_served(system, cleo):
    url = f"{system.ws_url('/ws/notifications/')}?token={cleo.token()}"
    async with connect(url, additional_headers={"Origin": system.http_url}) as socket:
        await socket.send(json.dumps({"action": "ping"}))
        assert await next_notification(socket) == {"pong": True}
        await socket.send("nonsense")
        assert "error" in await next_notification(socket)


async def test_anonymous_sockets_are_ended_with_4403(system):
    async with connect(system.ws_url("/ws/notifications/"), additional_headers={"Origin": system.http_url}) as socket:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 5)
    assert closed.value.rcvd.code == 4403


def test_daphne_serves_the_vendored_leaflet(system, cleo):
    assert "Leaflet" in cleo.get("/static/tracker/vendor/leaflet/leaflet.js")[:2000]
    assert ".leaflet-container" in cleo.get("/static/tracker/vendor/leaflet/leaflet.css")
    assert '"FeatureCollection"' in cleo.get("/incidents.geojson")
