"""The connection banner in headless Chromium, with a Redis of the test's own that is
stopped and started again under Daphne and the workers: the map says the connection
is lost, then "reconnected — reloading what you missed", and shows what changed while
it was away. Screenshots of both banners go to artifacts/."""

import pytest

from channels1.redis_server import RedisServer

from .browser import open_page, screenshots, wait_live
from .conftest import System

USER = ("rita", "rita-secret-1")


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


def test_the_map_shows_a_banner_while_redis_is_down_and_reloads_what_it_missed(own_redis, tmp_path, chromium):
    system = System(own_redis.url, tmp_path / "system", handshake_timeout=5)
    try:
        system.start(workers=1)
        system.create_user(*USER)
        page = open_page(chromium, system, *USER, "/map/")
        wait_live(page)
        assert page.is_hidden("#connection-banner")

        own_redis.stop()
        page.wait_for_selector("#connection-banner.down:has-text('Connection lost')", timeout=90_000)
        screenshots(page, "banner-connection-lost")
        # Saved while the map was away: no notification can reach it.
        system.manage("shell", "-c", (
            "from tracker.models import Incident; from tracker.geo import point; "
            "Incident.objects.create(name='Missed', severity='HI', location=point(2.35, 48.85))"))

        own_redis.start()
        page.wait_for_selector("#connection-banner.back", timeout=90_000)
        page.wait_for_selector("path.incident.severity-HI", timeout=30_000)
        page.wait_for_selector("#connection-banner:has-text('up to date')", timeout=30_000)
        wait_live(page)
        screenshots(page, "banner-reconnected")
        page.close()
    finally:
        system.stop()
