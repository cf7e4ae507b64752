"""Headless Chromium for system tests (Debian's /usr/bin/chromium driven by Playwright):
pages logged in through the real login form, waiting for a live socket, and
screenshots at desktop and phone widths saved under artifacts/."""

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
WIDTHS = (1280, 390)
LIVE_TIMEOUT = 15_000  # ms


def launch_chromium():
    """A context manager yielding the browser, or a skip (printed) without Chromium."""
    if not os.path.exists(CHROMIUM):
        reason = f"{CHROMIUM} is missing (apt-get install chromium)"
        print(f"skipping the browser test: {reason}")
        pytest.skip(reason)
    sync_api = pytest.importorskip("playwright.sync_api")
    return _Chromium(sync_api)


class _Chromium:
    def __init__(self, sync_api):
        self.sync_api = sync_api

    def __enter__(self):
        self.playwright = self.sync_api.sync_playwright().start()
        return self.playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)

    def __exit__(self, *exc_info):
        self.playwright.stop()


def open_page(chromium, system, username, password, path, width=WIDTHS[0]):
    """A page of its own (own cookies) logged in as ``username`` and showing ``path``;
    page errors are collected in ``page.errors``."""
    page = chromium.new_page(viewport={"width": width, "height": 900})
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(f"{system.http_url}/accounts/login/?next={path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form [type=submit]")
    page.wait_for_url(f"**{path}")
    return page


def wait_live(page, timeout=LIVE_TIMEOUT):
    page.wait_for_function("document.getElementById('status').textContent === 'live'", timeout=timeout)


def screenshots(page, name):
    """Full-page screenshots at each of WIDTHS, as artifacts/<name>-<width>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    height = page.viewport_size["height"]
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": height if width > 600 else 844})
        page.wait_for_timeout(300)  # let maps and layouts settle at the new size
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": WIDTHS[0], "height": height})
