"""Drawing on the maps in headless Chromium, with real Daphne and workers: an area drawn
and an incident placed on the live map reach another user's map live (with the alert
as a toast and an unread count); the incident dragged moves there too; the other user
may not change them; the forms' map widgets draw and place, and ask before saving a
shape that looks like a lat/lon swap. Screenshots at 1280 and 390 px go to artifacts/."""

import json

import pytest

from .browser import open_page, screenshots, wait_live

ANN, BEN = ("ann", "ann-secret-1"), ("ben", "ben-secret-1")


@pytest.fixture(scope="module")
def users(system):
    for username, password in (ANN, BEN):
        system.create_user(username, password)


def click_map(page, selector, *fractions):
    """Click points of the element, each given as (x, y) fractions of its box."""
    box = page.locator(selector).bounding_box()
    for fx, fy in fractions:
        page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
        page.wait_for_timeout(150)  # geoman takes each vertex on its own event turn


def draw_polygon(page, selector):
    page.wait_for_selector(f"{selector}[data-ready]" if selector != "#map" else selector)
    page.click(f"{selector} .leaflet-pm-icon-polygon")
    corners = [(0.35, 0.35), (0.65, 0.35), (0.65, 0.65), (0.35, 0.65)]
    click_map(page, selector, *corners, corners[0])  # clicking the first corner closes it


def shell(system, code):
    return system.manage("shell", "-c", code).strip().splitlines()[-1]


def test_an_area_drawn_and_an_incident_placed_on_the_map_reach_another_user_live(system, users, chromium):
    drawer = open_page(chromium, system, *ANN, "/map/")
    viewer = open_page(chromium, system, *BEN, "/map/")
    wait_live(drawer)
    wait_live(viewer)

    draw_polygon(drawer, "#map")
    drawer.wait_for_selector("#new-feature[open]")
    drawer.fill("#new-name", "Harbour")
    drawer.select_option("#new-severity", "LO")
    drawer.click("#new-save")
    drawer.wait_for_selector("#new-feature", state="hidden")
    viewer.wait_for_selector("path.area.severity-LO", timeout=10_000)

    drawer.click("#map .leaflet-pm-icon-marker")
    click_map(drawer, "#map", (0.5, 0.5))
    drawer.wait_for_selector("#new-feature[open]")
    drawer.fill("#new-name", "Burst pipe")
    drawer.select_option("#new-severity", "HI")
    drawer.fill("#new-description", "water on the quay")
    drawer.click("#new-save")
    viewer.wait_for_selector("path.incident.severity-HI", timeout=10_000)
    viewer.wait_for_selector(".toast:has-text('Burst pipe'):has-text('Harbour')", timeout=10_000)
    viewer.wait_for_selector("#alerts li.alert:has-text('Burst pipe')")
    assert viewer.text_content("#unread-alerts") == "1"

    stored = json.loads(shell(system, (
        "import json; from tracker.models import AreaOfInterest, Incident; "
        "area = AreaOfInterest.objects.get(name='Harbour'); incident = Incident.objects.get(name='Burst pipe'); "
        "print(json.dumps({'area': [area.pk, area.created_by.username, area.polygon['type']], "
        "'incident': [incident.pk, incident.created_by.username, incident.description], "
        "'inside': area.contains(incident.lon, incident.lat), 'location': incident.location['coordinates']}))"
    )))
    area_id, incident_id = stored["area"][0], stored["incident"][0]
    assert stored["area"][1:] == ["ann", "Polygon"]
    assert stored["incident"][1:] == ["ann", "water on the quay"]
    assert stored["inside"] is True
    screenshots(viewer, "map-live")

    # Dragging the incident saves its new place, and the other map follows.
    before = viewer.get_attribute(f"path.incident-{incident_id}", "d")
    drawer.click("#map .leaflet-pm-icon-drag")
    marker = drawer.locator(f"path.incident-{incident_id}").bounding_box()
    start = (marker["x"] + marker["width"] / 2, marker["y"] + marker["height"] / 2)
    drawer.mouse.move(*start)
    drawer.mouse.down()
    for step in range(1, 11):
        drawer.mouse.move(start[0] + 6 * step, start[1] + 3 * step)
    drawer.mouse.up()
    viewer.wait_for_function(
        f"document.querySelector('path.incident-{incident_id}')?.getAttribute('d') !== {json.dumps(before)}",
        timeout=10_000)
    moved = json.loads(shell(system, (
        f"import json; from tracker.models import Incident; print(json.dumps(Incident.objects.get(pk={incident_id})"
        ".location['coordinates']))")))
    assert moved != stored["location"]

    # The other user may look but not change: no edit page, no geometry change.
    response = viewer.goto(f"{system.http_url}/areas/{area_id}/edit/")
    assert response.status == 403
    response = viewer.request.post(f"{system.http_url}/incidents/{incident_id}/geometry/", data=json.dumps(
        {"geometry": {"type": "Point", "coordinates": [0, 0]}}), headers={
        "X-CSRFToken": next(c["value"] for c in viewer.context.cookies() if c["name"] == "csrftoken"),
        "Content-Type": "application/json", "Referer": system.http_url + "/map/"})
    assert response.status == 403
    assert drawer.errors == [] and viewer.errors == []
    drawer.close()
    viewer.close()


def test_the_area_form_draws_on_its_map_and_asks_before_saving_a_swapped_shape(system, users, chromium):
    page = open_page(chromium, system, *ANN, "/areas/new/")
    page.fill("#id_name", "Drawn in the form")
    draw_polygon(page, ".map-widget")
    drawn = json.loads(page.input_value("#id_polygon"))
    assert drawn["type"] == "Polygon" and len(drawn["coordinates"][0]) == 5
    page.click("main form button[type=submit]")
    page.wait_for_selector(".messages .message:has-text('Area of interest “Drawn in the form” created.')")
    screenshots(page, "area-created-message")

    # Paris with latitude and longitude swapped lands off Somalia: the form asks first.
    page.goto(f"{system.http_url}/areas/new/")
    page.fill("#id_name", "Swapped")
    page.click(".geojson-box summary")
    swapped = {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [
        [[48.85, 2.29], [48.86, 2.29], [48.86, 2.30], [48.85, 2.30], [48.85, 2.29]]]}}
    page.fill("#id_polygon", json.dumps(swapped))
    page.click("main form button[type=submit]")
    page.wait_for_selector(".errorlist.nonfield:has-text('latitude and longitude swapped')")
    screenshots(page, "area-form-swap-question")
    page.check("#id_confirm_far")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".messages .message:has-text('Area of interest “Swapped” created.')")
    assert page.errors == []
    page.close()


def test_the_incident_form_places_the_incident_by_clicking_its_map(system, users, chromium):
    page = open_page(chromium, system, *BEN, "/incidents/new/")
    page.fill("#id_name", "Placed by click")
    page.fill("#id_lon", "2.35")
    page.fill("#id_lat", "48.85")
    page.wait_for_selector(".map-widget[data-ready]")
    page.dispatch_event("#id_lat", "change")  # the map centres on the typed place
    page.wait_for_selector(".map-widget .leaflet-marker-icon")
    click_map(page, ".map-widget", (0.75, 0.5))  # east of it, in the same street
    lon, lat = float(page.input_value("#id_lon")), float(page.input_value("#id_lat"))
    assert 2.35 < lon < 2.5 and abs(lat - 48.85) < 0.01
    screenshots(page, "incident-form")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".messages .message:has-text('Incident “Placed by click” created.')")
    page.wait_for_selector("td:has-text('Placed by click')")
    assert page.errors == []
    page.close()

