"""The 1.x project's own tests (tests/legacy/*/tests.py, written with `channels.test`
as 1.x apps wrote theirs) pass with `manage.py test`, on the in-memory layer: no Redis."""

import os
import subprocess
import sys

from channels1.testing import PROJECT_ROOT

LEGACY = PROJECT_ROOT / "tests" / "legacy"


def test_the_1x_projects_own_tests_pass_without_redis(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env.update(REDIS_URL="redis://127.0.0.1:1", DATABASE_PATH=str(tmp_path / "db.sqlite3"))  # nothing listens there
    done = subprocess.run([sys.executable, "manage.py", "test", "chat", "-v", "2"], cwd=LEGACY, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Ran 4 tests" in done.stderr and "OK" in done.stderr
