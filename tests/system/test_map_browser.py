"""The live map in headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright): an incident created by another client appears as a marker with its
alert within 2 s, and goes away when deleted. A screenshot goes to artifacts/."""

import re
import time

from .accounts import Browser
from .browser import ARTIFACTS
from .test_tracker import SQUARE, post_form

PASSWORD = "dora-secret-1"


def test_an_incident_from_another_client_appears_live_on_the_map(system, chromium):
    system.create_user("dora", PASSWORD)
    reporter = Browser(system).login_as_new_user("reporter", "reporter-secret-1")
    system.manage("shell", "-c", (
        "from tracker.models import AreaOfInterest; "
        f"AreaOfInterest.objects.create(name='Old town', severity='LO', polygon={SQUARE!r})"
    ))
    page = chromium.new_page(viewport={"width": 1200, "height": 900})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{system.http_url}/accounts/login/?next=/map/")
    page.fill("input[name=username]", "dora")
    page.fill("input[name=password]", PASSWORD)
    page.click("form [type=submit]")
    page.wait_for_url("**/map/")
    page.wait_for_function("document.getElementById('status').textContent === 'live'", timeout=10_000)
    assert page.locator("path.area").count() == 1  # loaded from /areas.geojson

    post_form(reporter, "/incidents/new/", {"name": "Burst pipe", "severity": "HI", "lon": "2.5", "lat": "48.5"})
    created = time.monotonic()
    page.wait_for_selector("path.incident.severity-HI", timeout=2_000)
    page.wait_for_selector("#alerts li.alert:has-text('Burst pipe'):has-text('Old town')", timeout=2_000)
    assert time.monotonic() - created < 2.0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "tracker-map.png"), full_page=True)

    classes = page.get_attribute("path.incident", "class")
    incident_id = re.search(r"incident-(\d+)", classes).group(1)
    post_form(reporter, f"/incidents/{incident_id}/delete/", {})
    page.wait_for_selector("path.incident", state="detached", timeout=2_000)
    assert page.text_content("#status") == "live"
    assert errors == []
    page.close()
