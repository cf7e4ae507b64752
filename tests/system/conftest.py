"""Starts the real system for tests: the test Redis, Daphne serving the project's ASGI
application and `manage.py runworker` processes, each with its output kept."""

import json
from pathlib import Path

import pytest

from channels1.testing import LiveSystem

from .browser import launch_chromium


class System(LiveSystem):
    """Daphne and workers on the test settings and a layer prefix of their own;
    ``ws_url(path)`` for clients."""

    def __init__(self, redis_url, directory, layer_config=None, handshake_timeout=5):
        super().__init__(redis_url, directory, settings="tests.system.settings", prefix="sys", env={
            "TEST_LAYER_CONFIG": json.dumps(layer_config or {}),
            "TEST_HANDSHAKE_TIMEOUT": str(handshake_timeout),
            "DEMO_LOG_PATH": str(Path(directory) / "demo.log"),
        })

    def create_user(self, username, password, staff=False, permissions=()):
        """Create a user in this system's database, with ``permissions`` ("app.codename");
        their primary key."""
        out = self.manage("shell", "-c", (
            "from django.contrib.auth.models import Permission, User; "
            f"user = User.objects.create_user({username!r}, password={password!r}, is_staff={staff!r}); "
            f"[user.user_permissions.add(Permission.objects.get(content_type__app_label=name.split('.')[0], "
            f"codename=name.split('.')[1])) for name in {list(permissions)!r}]; "
            "print(user.pk)"
        ))
        return int(out.split()[-1])


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
