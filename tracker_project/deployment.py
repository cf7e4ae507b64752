"""Development or production, from the environment: production unless DJANGO_DEBUG=1,
and a production start with the development key, no host names or a proxy without
HTTPS is refused with a message saying what to set."""

import os

from django.core.exceptions import ImproperlyConfigured

DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"
DEV_ALLOWED_HOSTS = "localhost,127.0.0.1,[::1]"
NEW_KEY_COMMAND = ("python -c 'from django.core.management.utils import get_random_secret_key; "
                   "print(get_random_secret_key())'")


def env_flag(name, default=False, environ=os.environ):
    """True for 1/true/yes/on, False for anything else; ``default`` when unset."""
    value = environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def env_list(name, default="", environ=os.environ):
    """A comma-separated variable as a list, blanks dropped."""
    return [item.strip() for item in environ.get(name, default).split(",") if item.strip()]


def production_problems(secret_key, allowed_hosts, https, behind_proxy):
    """What stops a production start, each with the variable to set; empty if none."""
    problems = []
    if not secret_key:
        problems.append(f"DJANGO_SECRET_KEY is not set: set it to a long random value ({NEW_KEY_COMMAND})")
    elif secret_key == DEV_SECRET_KEY:
        problems.append(f"DJANGO_SECRET_KEY is the development key: set a long random value ({NEW_KEY_COMMAND})")
    if not allowed_hosts:
        problems.append("DJANGO_ALLOWED_HOSTS is empty: set the site's host names, comma-separated "
                        "(e.g. tracker.example.com)")
    if behind_proxy and not https:
        problems.append("DJANGO_BEHIND_PROXY=1 declares TLS at a proxy but DJANGO_HTTPS=0 turns HTTPS off: "
                        "unset DJANGO_HTTPS (secure cookies, HTTPS redirect and HSTS)")
    return problems


def refuse_unsafe_production(problems):
    """Raise ImproperlyConfigured listing ``problems``, if any."""
    if problems:
        lines = "\n".join(f"- {problem}" for problem in problems)
        raise ImproperlyConfigured(
            f"Refusing to start in production (DJANGO_DEBUG is not 1):\n{lines}\n"
            "For development, set DJANGO_DEBUG=1 (make run does)."
        )
