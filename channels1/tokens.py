"""Short-lived signed socket tokens: a logged-in page fetches one and puts it in the
socket URL (`?token=`), so no session id ends up in URLs and server logs. A token
names the user and their session auth hash; it does not reveal the session."""

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core import signing

SALT = "channels1.socket-token"
MAX_AGE = 60


class InvalidToken(Exception):
    """The token is forged, damaged or expired."""


def socket_token(request):
    """A token for the user logged in on ``request``."""
    user = request.user
    if not user.is_authenticated:
        raise ValueError("Only a logged-in user can have a socket token")
    return signing.dumps(
        {
            "id": request.session[SESSION_KEY],
            "backend": request.session[BACKEND_SESSION_KEY],
            "hash": user.get_session_auth_hash(),
        },
        salt=SALT,
        compress=True,
    )


def auth_data(token, max_age=None):
    """The session auth keys (user id, backend, hash) a token carries, as Django's
    login() stores them in a session; InvalidToken if it is no good or older than
    ``max_age`` seconds (default MAX_AGE)."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE if max_age is None else max_age)
    except signing.SignatureExpired as error:
        raise InvalidToken(f"expired socket token: {error}") from error
    except signing.BadSignature as error:
        raise InvalidToken("forged or damaged socket token") from error
    return {SESSION_KEY: data["id"], BACKEND_SESSION_KEY: data["backend"], HASH_SESSION_KEY: data["hash"]}
