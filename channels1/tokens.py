"""Single-use socket tokens: a logged-in page fetches one and puts it in the socket URL
(`?token=`), so no session id ends up in URLs and server logs. A token is a signed
random id; Django's cache (Redis) maps it to the session it was issued for until its
first use, at most MAX_AGE seconds."""

import secrets

from django.core import signing
from django.core.cache import cache

SALT = "channels1.socket-token"
MAX_AGE = 60
CACHE_KEY_PREFIX = "channels1.socket-token."


class InvalidToken(Exception):
    """The token is forged, damaged, expired or already used."""


def socket_token(request):
    """A token for the session of the user logged in on ``request``."""
    if not request.user.is_authenticated:
        raise ValueError("Only a logged-in user can have a socket token")
    token_id = secrets.token_urlsafe(18)
    cache.set(CACHE_KEY_PREFIX + token_id, request.session.session_key, MAX_AGE)
    return signing.dumps(token_id, salt=SALT)


def redeem(token, max_age=None):
    """The session key ``token`` was issued for, using the token up: of two sockets
    presenting it at once only one gets the key. InvalidToken if it is no good, used
    or older than ``max_age`` seconds (default MAX_AGE)."""
    try:
        token_id = signing.loads(token, salt=SALT, max_age=MAX_AGE if max_age is None else max_age)
    except signing.SignatureExpired as error:
        raise InvalidToken(f"expired socket token: {error}") from error
    except signing.BadSignature as error:
        raise InvalidToken("forged or damaged socket token") from error
    key = CACHE_KEY_PREFIX + str(token_id)
    session_key = cache.get(key)
    # The delete is the atomic step: only the caller that removed the key may use it.
    if session_key is None or not cache.delete(key):
        raise InvalidToken("socket token already used")
    return session_key
