"""Starts the real system for tests: the test Redis, Daphne serving the project's ASGI
application and `manage.py runworker` processes, each with its output kept; and a
headless Chromium for the browser tests."""

import json
from pathlib import Path

import pytest

from channels1.testing import LiveSystem

from .browser import launch_chromium


class System(LiveSystem):
    """Daphne and workers on the test settings and a layer prefix of their own;
    ``ws_url(path)`` for clients."""

    def __init__(self, redis_url, directory, layer_config=None, handshake_timeout=5, env=None):
        super().__init__(redis_url, directory, settings="tests.system.settings", prefix="sys", env={
            "TEST_LAYER_CONFIG": json.dumps(layer_config or {}),
            "TEST_HANDSHAKE_TIMEOUT": str(handshake_timeout),
            "DEMO_LOG_PATH": str(Path(directory) / "demo.log"),
            **(env or {}),
        }, daphne_options=(
            # Daphne's own limit comes after the bridge's, which answers 403 or 503.
            "--websocket_connect_timeout", str(handshake_timeout + 10),
        ))


@pytest.fixture(scope="module")
def system(redis_url, tmp_path_factory):
    """Daphne and two workers, shared by the tests of a module."""
    running = System(redis_url, tmp_path_factory.mktemp("system"), handshake_timeout=1)
    try:
        yield running.start()
    finally:
        running.stop()


@pytest.fixture
def make_system(redis_url, tmp_path):
    """Starts a system of the test's own, for tests that stop or kill its parts."""
    made = []

    def make(**options):
        running = System(redis_url, tmp_path / f"system{len(made)}", **options)
        made.append(running)
        return running

    yield make
    for running in made:
        running.stop()


@pytest.fixture(scope="module")
def chromium():
    """Headless Chromium, shared by the tests of a module; skipped (with the reason
    printed) where it is not installed."""
    with launch_chromium() as browser:
        yield browser
