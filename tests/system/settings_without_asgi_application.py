"""The system tests' settings without ASGI_APPLICATION, as a Channels 1.x project has
them: runserver then serves HTTP to Django and sockets to the bridge itself."""

from tests.system.settings import *  # noqa: F401,F403

del ASGI_APPLICATION  # noqa: F821
