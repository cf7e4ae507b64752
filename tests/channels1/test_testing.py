"""LiveSystem's environment: the layer, database and settings of the system it starts,
with the caller's overrides applied last."""

from channels1.testing import LiveSystem


def test_env_points_the_processes_at_the_system(tmp_path):
    system = LiveSystem("redis://example:6379/0", tmp_path / "sys", settings="tests.system.settings",
                        prefix="unit", env={"DJANGO_DEBUG": "0", "PYTHONUNBUFFERED": "0"})
    assert system.env["REDIS_URL"] == "redis://example:6379/0"
    assert system.env["DJANGO_SETTINGS_MODULE"] == "tests.system.settings"
    assert system.env["DATABASE_PATH"] == str(tmp_path / "sys" / "db.sqlite3")
    assert system.env["CHANNEL_LAYER_PREFIX"] == system.prefix
    assert system.prefix.startswith("unit") and len(system.prefix) == len("unit") + 8
    assert system.env["DJANGO_DEBUG"] == "0"
    assert system.env["PYTHONUNBUFFERED"] == "0"
    assert system.directory.is_dir()


def test_urls_use_the_free_port(tmp_path):
    system = LiveSystem("redis://example:6379/0", tmp_path)
    assert system.ws_url("/ws/echo/") == f"ws://127.0.0.1:{system.port}/ws/echo/"
    assert system.http_url == f"http://127.0.0.1:{system.port}"
