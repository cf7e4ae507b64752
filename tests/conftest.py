"""Shared fixtures: one real Redis server for the whole test session.

Set TEST_REDIS_URL to run against an existing server instead of an embedded one.
"""

import itertools
import os
import uuid

import pytest

from channels1.redis_server import RedisServer
from workers import log_files, log_tail_viewers


def pytest_addoption(parser):
    parser.addoption(
        "--layer-redis", choices=("single", "shards", "cluster", "sentinel"), default="single",
        help="what the channel layer's tests run on: one server (the default), three "
        "separate servers as the layer's shards, a Redis Cluster of three primaries, or "
        "the primary that three Sentinels name",
    )


class ExternalRedis:
    """Stands in for RedisServer when TEST_REDIS_URL names a running server."""

    def __init__(self, url):
        self.url = url

    def client(self, **kwargs):
        import redis

        return redis.Redis.from_url(self.url, **kwargs)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    external = os.environ.get("TEST_REDIS_URL")
    if external:
        yield ExternalRedis(external)
        return
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="session")
def redis_url(redis_server):
    return redis_server.url


@pytest.fixture
def layer_prefix():
    """A key prefix of this test's own on the shared test Redis."""
    return f"test{uuid.uuid4().hex[:8]}"


@pytest.fixture
def channel_layer_settings(settings, redis_url, layer_prefix):
    """Points the project's default channel layer at the test Redis, under this
    test's prefix."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels1.layer.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url], "prefix": layer_prefix},
        }
    }
    return settings.CHANNEL_LAYERS["default"]["CONFIG"]


@pytest.fixture
def cache_settings(settings, redis_url, layer_prefix):
    """Points Django's default cache (and so the sessions kept in it) at the test Redis,
    under this test's own key prefix."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"{layer_prefix}-cache",
        }
    }
    return settings.CACHES["default"]


@pytest.fixture
def rq_settings(settings, redis_url, channel_layer_settings):
    """Points the RQ queues, and so the app's own Redis keys (log tail, chat presence),
    at the test Redis, under this test's layer prefix."""
    settings.RQ_QUEUES = {"tailf": {"URL": redis_url}}
    return settings.RQ_QUEUES


_tailf_ids = itertools.count(7001)


@pytest.fixture
def tailf(settings, rq_settings, tmp_path):
    """A configured file of this test's own, on the test Redis; its job and keys go
    again afterwards so no later RQ worker picks the job up."""
    file_id = next(_tailf_ids)
    path = tmp_path / "app.log"
    path.write_text("one\ntwo\n")
    settings.TAILF = {file_id: str(path)}
    settings.TAILF_IDLE_SECONDS = 0.2
    yield file_id
    job = log_tail_viewers.fetch_job(file_id)
    if job is not None:
        job.delete()
    keys = log_files.Keys(file_id)
    log_files.connection().delete(keys.viewers, keys.joining, keys.running, keys.starting, keys.job)
