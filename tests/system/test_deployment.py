"""The project's settings as processes start with them: production unless
DJANGO_DEBUG=1, refusing to start without what production needs, `check --deploy`
clean once the environment gives it, and working pages, never a debug page, for visitors
when Redis is down."""

import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from channels1.testing import PROJECT_ROOT, free_port
from tracker_project.deployment import DEV_SECRET_KEY

from .accounts import Browser
from .conftest import System

PRODUCTION = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "tracker.example.com",
    "DJANGO_BEHIND_PROXY": "1",
}


def run(args, env, tmp_path, timeout=120):
    """Run ``python *args`` in the project with only ``env`` on top of a clean
    environment (no DJANGO_* variables); its exit code and output."""
    base = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    done = subprocess.run(
        [sys.executable, *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout,
        env={**base, "DJANGO_SETTINGS_MODULE": "tracker_project.settings",
             "DATABASE_PATH": str(tmp_path / "db.sqlite3"), **env},
    )
    return done.returncode, done.stdout + done.stderr


def test_check_deploy_is_clean_in_the_production_configuration(tmp_path):
    code, output = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION, tmp_path)
    assert code == 0, output
    assert "no issues" in output


def test_debug_is_off_unless_development_is_asked_for(tmp_path):
    show = ["manage.py", "shell", "-c", "from django.conf import settings; print(settings.DEBUG)"]
    assert run(show, PRODUCTION, tmp_path)[1].split()[-1] == "False"
    assert run(show, {"DJANGO_DEBUG": "1"}, tmp_path)[1].split()[-1] == "True"


def test_daphne_refuses_a_production_start_with_the_development_key(tmp_path):
    env = {**PRODUCTION, "DJANGO_SECRET_KEY": DEV_SECRET_KEY}
    code, output = run(["-m", "daphne", "-b", "127.0.0.1", "-p", str(free_port()), "asgi:application"],
                       env, tmp_path)
    assert code != 0
    assert "Refusing to start in production" in output
    assert "DJANGO_SECRET_KEY is the development key" in output


@pytest.mark.parametrize("change, named", [
    ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY is not set"),
    ({"DJANGO_ALLOWED_HOSTS": ""}, "DJANGO_ALLOWED_HOSTS is empty"),
    ({"DJANGO_HTTPS": "0"}, "DJANGO_BEHIND_PROXY=1 declares TLS at a proxy but DJANGO_HTTPS=0"),
])
def test_a_worker_refuses_a_production_start_that_misses_a_setting(tmp_path, change, named):
    code, output = run(["manage.py", "runworker"], {**PRODUCTION, **change}, tmp_path)
    assert code != 0
    assert named in output


def test_in_production_a_redis_outage_shows_visitors_working_pages_and_no_debug_page(tmp_path):
    env = {**PRODUCTION, "DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "DJANGO_BEHIND_PROXY": "0",
           "DJANGO_HTTPS": "0"}
    system = System(f"redis://127.0.0.1:{free_port()}/0", tmp_path, env=env)  # nothing listens there
    try:
        system.prepare()
        system.start_daphne()
        visitor = Browser(system).login_as_new_user("vic", "vic-secret-1")  # sessions fall back to the database
        assert "Incidents" in visitor.get("/incidents/")
        with pytest.raises(urllib.error.HTTPError) as failed:
            visitor.get("/no/such/page/")
        page = failed.value.read().decode()
    finally:
        system.stop()
    assert failed.value.code == 404
    assert "Traceback" not in page and "SECRET_KEY" not in page and "URLconf" not in page
