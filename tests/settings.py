"""Settings of the test suite: the project's in development mode (the development key
and local host names), as `make run` starts it; pytest-django still runs the tests
with DEBUG off. Subprocesses the tests start inherit the mode."""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")

from tracker_project.settings import *  # noqa: E402,F401,F403
