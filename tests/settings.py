"""Settings of the test suite: the project's in development mode (the development key
and local host names), as `make run` starts it (pytest-django still runs the tests
with DEBUG off), with the database and the demo log in a temporary directory, so
running the tests leaves a developer's var/ as it was. Subprocesses the tests start
inherit the mode and these paths unless they are given their own."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("DJANGO_DEBUG", "1")
_directory = tempfile.mkdtemp(prefix="tracker-tests-")
atexit.register(shutil.rmtree, _directory, ignore_errors=True)
os.environ.setdefault("DATABASE_PATH", os.path.join(_directory, "db.sqlite3"))
os.environ.setdefault("DEMO_LOG_PATH", os.path.join(_directory, "log", "demo.log"))

from tracker_project.settings import *  # noqa: E402,F401,F403
