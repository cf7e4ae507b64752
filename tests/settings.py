"""Settings for the test run: the project's, with the database and the demo log in a
temporary directory, so running the tests leaves a developer's var/ as it was. The
processes system tests start inherit these paths unless they are given their own."""

import atexit
import os
import shutil
import tempfile

_directory = tempfile.mkdtemp(prefix="tracker-tests-")
atexit.register(shutil.rmtree, _directory, ignore_errors=True)
os.environ.setdefault("DATABASE_PATH", os.path.join(_directory, "db.sqlite3"))
os.environ.setdefault("DEMO_LOG_PATH", os.path.join(_directory, "log", "demo.log"))

from tracker_project.settings import *  # noqa: E402,F401,F403
