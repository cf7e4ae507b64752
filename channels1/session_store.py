"""Browser sessions that outlive a Redis outage: Django's cached_db engine whose cache
errors fall back to the database alone (with one WARNING per outage saying what to
start), where Django's would answer every logged-in page with a 500. What changed
meanwhile is dropped from the cache once it answers, so a logout holds."""

import logging
import threading

from django.conf import settings
from django.contrib.sessions.backends import cached_db

from .exceptions import REDIS_UNREACHABLE
from .redis_server import redact

logger = logging.getLogger("channels1.sessions")

_outage = threading.Event()  # set while the cache is known to be unreachable
# Keys whose cache entry may be stale: changed or deleted in the database while the
# cache could not be told. They go from the cache once it answers again.
_stale_keys = set()
_STALE_KEYS_KEPT = 100_000


class _DatabaseWhenUnreachable:
    """A cache that answers "nothing cached" and drops writes while Redis does not
    answer, so that the sessions come from the database."""

    def __init__(self, cache):
        self._cache = cache

    def get(self, key, default=None):
        return self._call(self._cache.get, default, key, default)

    def set(self, key, value, timeout=None):
        self._call(self._cache.set, None, key, value, timeout, stale_on_failure=key)

    def delete(self, key):
        return self._call(self._cache.delete, False, key, stale_on_failure=key)

    def __contains__(self, key):
        return self._call(self._cache.has_key, False, key)

    def _call(self, method, fallback, *args, stale_on_failure=None):
        try:
            if _outage.is_set() and _stale_keys:
                self._cache.delete_many(list(_stale_keys))
                _stale_keys.clear()
            result = method(*args)
        except REDIS_UNREACHABLE as error:
            if stale_on_failure is not None and len(_stale_keys) < _STALE_KEYS_KEPT:
                _stale_keys.add(stale_on_failure)
            if not _outage.is_set():
                _outage.set()
                logger.warning(
                    "Sessions come from the database alone: the cache's Redis at %s does not answer (%s). "
                    "Pages work; live sockets need Redis: start it with `python manage.py runredis`, "
                    "or everything with `make run`.", _location(), error)
            return fallback
        if _outage.is_set():
            _outage.clear()
            logger.info("Sessions use the cache again: its Redis at %s answers", _location())
        return result

    def __getattr__(self, name):
        return getattr(self._cache, name)


def _location():
    location = settings.CACHES[settings.SESSION_CACHE_ALIAS].get("LOCATION", "")
    return redact(location if isinstance(location, str) else location[0])


class SessionStore(cached_db.SessionStore):
    """``SESSION_ENGINE = "channels1.session_store"``: cached_db sessions on a Redis
    cache that keep working from the database while Redis is away."""

    def __init__(self, session_key=None):
        super().__init__(session_key)
        self._cache = _DatabaseWhenUnreachable(self._cache)
