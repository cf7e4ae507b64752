"""Settings of the tracker project; deployment values come from the environment.

Defaults suit development: SQLite and the embedded Redis under var/.
"""

import json
import os
from pathlib import Path

from channels1.redis_server import default_socket_path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def env_list(name, default):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-secret-key-change-me")
DEBUG = os.environ.get("DJANGO_DEBUG", "1").lower() in ("1", "true", "yes", "on")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # channels1 first: its runworker replaces the channels 4 command of that name.
    "channels1",
    "channels",
    "tracker",
    "django_rq",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tracker_project.urls"
ASGI_APPLICATION = "asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tracker.context_processors.navigation",
            ],
        },
    },
]

DATABASE_PATH = Path(os.environ.get("DATABASE_PATH") or VAR_DIR / "db.sqlite3")
DATABASE_PATH.parent.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATABASE_PATH,
    }
}

REDIS_URL = os.environ.get("REDIS_URL") or f"unix://{default_socket_path(BASE_DIR)}"
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels1.layer.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": os.environ.get("CHANNEL_LAYER_PREFIX", "asgi")},
    },
}

# Django's cache on the same Redis, so Daphne and every worker see the same sessions.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "tracker",
    },
}
# RQ queues (django-rq) on the same Redis; the live log tail's jobs run on "tailf".
RQ_QUEUES = {"tailf": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": -1}}

# Live log tail (/tailf/): the files viewers may follow, by id; clients only send an id.
# TAILF_FILES (JSON, e.g. '{"1": "/var/log/app/error.log"}') overrides the demo file.
# The "tracker.demo" logger (socket and tail-job events) writes the demo file.
DEMO_LOG_PATH = Path(os.environ.get("DEMO_LOG_PATH") or VAR_DIR / "log" / "demo.log")
DEMO_LOG_PATH.parent.mkdir(parents=True, exist_ok=True)
TAILF = {int(key): str(value) for key, value in json.loads(
    os.environ.get("TAILF_FILES") or json.dumps({1: str(DEMO_LOG_PATH)})
).items()}
TAILF_INITIAL_LINES = int(os.environ.get("TAILF_INITIAL_LINES", "100"))

# Browser sessions are written through to the database, so logins survive a Redis
# restart; per-socket sessions (channel_session) live only as long as their socket,
# so Redis alone keeps them and the database never fills with dead ones.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
CHANNEL_SESSION_ENGINE = "django.contrib.sessions.backends.cache"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# True lets anonymous sockets follow /ws/notifications/ and read the GeoJSON endpoints
# (the map page itself still needs a login).
TRACKER_ANONYMOUS_VIEWERS = os.environ.get("TRACKER_ANONYMOUS_VIEWERS", "").lower() in ("1", "true", "yes", "on")

# False closes /accounts/signup/: accounts are then made by staff (admin, createsuperuser).
TRACKER_SIGNUP_OPEN = os.environ.get("TRACKER_SIGNUP_OPEN", "1").lower() in ("1", "true", "yes", "on")
# Seconds a chat socket stays listed as present without a ping (the pages ping every 30 s).
CHAT_PRESENCE_TIMEOUT = float(os.environ.get("CHAT_PRESENCE_TIMEOUT", "75"))

# The Channels 1.x routing that runworker serves. 1.x named it in
# CHANNEL_LAYERS["default"]["ROUTING"], which channels 4 refuses, so it lives here.
CHANNEL_ROUTING = "routing.channel_routing"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "demo_log": {"class": "logging.handlers.WatchedFileHandler", "filename": DEMO_LOG_PATH,
                     "formatter": "plain", "delay": True},
    },
    "loggers": {
        "channels1": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "tracker.demo": {"handlers": ["console", "demo_log"], "level": "INFO", "propagate": False},
    },
}
