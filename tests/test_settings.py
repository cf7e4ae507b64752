"""The test run keeps out of a developer's var/: the database and the demo log that
tests (and the processes they start) write live in a temporary directory."""

from pathlib import Path

from django.conf import settings


def test_tests_write_neither_the_development_database_nor_the_demo_log():
    var = Path(settings.BASE_DIR) / "var"
    for path in (Path(settings.DATABASES["default"]["NAME"]), Path(settings.DEMO_LOG_PATH),
                 *map(Path, settings.TAILF.values())):
        assert var not in path.resolve().parents, path
