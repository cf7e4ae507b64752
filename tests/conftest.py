"""Shared fixtures: one real Redis server for the whole test session.

Set TEST_REDIS_URL to run against an existing server instead of an embedded one.
"""

import os

import pytest

from channels1.redis_server import RedisServer


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
