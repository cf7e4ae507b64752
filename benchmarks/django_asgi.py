"""Django's own ASGI application for the project of DJANGO_SETTINGS_MODULE: what
the HTTP benchmark serves "directly by Daphne", beside the same views through workers."""

from django.core.asgi import get_asgi_application

application = get_asgi_application()
