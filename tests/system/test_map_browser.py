"""The live map in headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright): an incident created by another client appears as a marker with its
alert within 2 s, and goes away when deleted or closed; on a phone its alert toast
leaves the legend readable; after a reconnect the map loads again what changed while
it was offline. A screenshot goes to artifacts/."""

import re
import subprocess
import sys
import time

import pytest

from .accounts import Browser
from .browser import ARTIFACTS
from .test_tracker import SQUARE, post_form

PASSWORD = "dora-secret-1"


@pytest.fixture(scope="module")
def reporter(system):
    """Another client, changing incidents through the site's forms."""
    system.create_user("dora", PASSWORD)
    reporter = Browser(system).login_as_new_user("reporter", "reporter-secret-1")
    system.manage("shell", "-c", (
        "from tracker.models import AreaOfInterest; "
        f"AreaOfInterest.objects.create(name='Old town', severity='LO', polygon={SQUARE!r})"
    ))
    return reporter


@pytest.fixture
def map_page(system, chromium, reporter):
    """The map, open for dora and live; it must raise no JavaScript error."""
    page = chromium.new_page(viewport={"width": 1200, "height": 900})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{system.http_url}/accounts/login/?next=/map/")
    page.fill("input[name=username]", "dora")
    page.fill("input[name=password]", PASSWORD)
    page.click("form [type=submit]")
    page.wait_for_url("**/map/")
    wait_until_live(page)
    yield page
    page.close()
    assert errors == []


def wait_until_live(page, timeout=10_000):
    page.wait_for_function("document.getElementById('status').textContent === 'live'", timeout=timeout)


def incident_id(page, name):
    """The id of the incident named ``name`` in the alerts."""
    link = page.get_attribute(f"#alerts li.alert:has-text({name!r}) a", "href")
    return int(re.search(r"/incidents/(\d+)/", link).group(1))


def test_an_incident_from_another_client_appears_live_on_the_map(system, reporter, map_page):
    page = map_page
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


def test_a_closed_incident_leaves_the_map(reporter, map_page):
    page = map_page
    fields = {"name": "Fallen tree", "severity": "ME", "lon": "2.4", "lat": "48.6"}
    post_form(reporter, "/incidents/new/", fields)
    page.wait_for_selector("#alerts li.alert:has-text('Fallen tree')", timeout=10_000)
    marker = f"path.incident-{incident_id(page, 'Fallen tree')}"
    page.wait_for_selector(marker, timeout=10_000)
    post_form(reporter, f"/incidents/{incident_id(page, 'Fallen tree')}/edit/", {**fields, "closed": "on"})
    page.wait_for_selector(marker, state="detached", timeout=10_000)
    assert page.text_content("#status") == "live"


OVERLAP = """([first, second]) => {
  const [a, b] = [document.querySelector(first), document.querySelector(second)].map((e) => e.getBoundingClientRect());
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}"""


def test_on_a_phone_an_alert_toast_leaves_the_map_legend_readable(reporter, map_page):
    page = map_page
    page.set_viewport_size({"width": 390, "height": 844})
    post_form(reporter, "/incidents/new/", {"name": "Loose cable", "severity": "HI", "lon": "2.7", "lat": "48.3"})
    page.wait_for_selector(".toast:has-text('Loose cable')", timeout=10_000)
    for map_edge in ("start", "end"):  # the map's top, then its bottom, at the screen's edge
        page.evaluate(f"document.getElementById('map').scrollIntoView({{block: {map_edge!r}}})")
        assert page.locator(".toast").is_visible() and page.locator(".legend").is_visible()
        assert not page.evaluate(OVERLAP, [".toast", ".legend"]), f"the toast covers the legend ({map_edge})"
    post_form(reporter, f"/incidents/{incident_id(page, 'Loose cable')}/delete/", {})


# Run by a shell started in advance, so that the page stays offline only briefly.
CREATE_ON_REQUEST = """
import sys
from tracker import geo
from tracker.models import Incident
print("ready", flush=True)
sys.stdin.readline()
print(Incident.objects.create(name="Gas leak", severity="UR", location=geo.point(2.6, 48.4)).pk, flush=True)
"""


@pytest.fixture
def create_incident(system):
    """``create_incident()``: an incident made at once by a shell that started
    beforehand; its id."""
    shell = subprocess.Popen([sys.executable, "manage.py", "shell", "-c", CREATE_ON_REQUEST], cwd=system.root,
                             env=system.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def create():
        while shell.stdout.readline().strip() != "ready":
            assert shell.poll() is None, "the shell ended before it was ready"
        shell.stdin.write("create\n")
        shell.stdin.flush()
        return int(shell.stdout.readline())

    yield create
    shell.kill()
    shell.communicate()


def test_after_a_reconnect_the_map_shows_what_changed_while_it_was_offline(system, create_incident, map_page):
    page = map_page
    system.daphne.terminate()
    system.daphne.wait(timeout=10)
    page.wait_for_function("document.getElementById('status').textContent !== 'live'", timeout=10_000)
    # Created while the page has no socket: only loading the map again can show it.
    incident = create_incident()
    system.start_daphne()
    wait_until_live(page, timeout=30_000)
    page.wait_for_selector(f"path.incident-{incident}.severity-UR", timeout=10_000)
