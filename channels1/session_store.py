"""Browser sessions that outlive a Redis outage: Django's cached_db engine whose cache
errors fall back to the database alone (with one WARNING per outage saying what to
start), where Django's would answer every logged-in page with a 500."""

import logging
import threading

from django.conf import settings
from django.contrib.sessions.backends import cached_db

from .exceptions import REDIS_UNREACHABLE
from .redis_server import redact

logger = logging.getLogger("channels1.sessions")

_outage = threading.Event()  # set while the cache is known to be unreachable


class _DatabaseWhenUnreachable:
    """A cache that answers "nothing cached" and drops writes while Redis does not
    answer, so that the sessions come from the database."""

    def __init__(self, cache):
        self._cache = cache

    def get(self, key, default=None):
        return self._call(self._cache.get, default, key, default)

    def set(self, key, value, timeout=None):
        self._call(self._cache.set, None, key, value, timeout)

    def delete(self, key):
        return self._call(self._cache.delete, False, key)

    def __contains__(self, key):
        return self._call(self._cache.has_key, False, key)

    def _call(self, method, fallback, *args):
        try:
            result = method(*args)
        except REDIS_UNREACHABLE as error:
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
