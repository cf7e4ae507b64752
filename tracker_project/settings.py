"""Settings of the tracker project; deployment values come from the environment.

Production unless DJANGO_DEBUG=1 (see deployment.py); SQLite and the embedded Redis
under var/ unless DATABASE_PATH and REDIS_URL say otherwise.
"""

import json
import os
from pathlib import Path

from channels1.redis_server import socket_path_in
from tracker_project.deployment import (
    DEV_ALLOWED_HOSTS,
    DEV_SECRET_KEY,
    env_flag,
    env_list,
    production_problems,
    refuse_unsafe_production,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR") or BASE_DIR / "var")

DEBUG = env_flag("DJANGO_DEBUG")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or (DEV_SECRET_KEY if DEBUG else "")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", DEV_ALLOWED_HOSTS if DEBUG else "")

# HTTPS (on by default in production): secure cookies, redirects to https:// and HSTS.
# DJANGO_BEHIND_PROXY=1: TLS ends at a proxy that sets X-Forwarded-Proto for Daphne.
HTTPS = env_flag("DJANGO_HTTPS", default=not DEBUG)
BEHIND_PROXY = env_flag("DJANGO_BEHIND_PROXY")
if not DEBUG:
    refuse_unsafe_production(production_problems(SECRET_KEY, ALLOWED_HOSTS, HTTPS, BEHIND_PROXY))
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if HTTPS:
    SECURE_SSL_REDIRECT = True
    # Load balancers probe the health check over plain HTTP on the private side.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Other sites whose pages may post forms and open sockets here ("https://app.example.com",
# "https://*.example.com"); a page of the site itself always may.
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_TRUSTED_ORIGINS")
CHANNELS1_TRUSTED_ORIGINS = CSRF_TRUSTED_ORIGINS

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # This engine's app: its runworker also runs channels 4's `runworker CHANNEL...`
    # form. (1.x projects list "channels", which names the same app.)
    "channels1",
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
        # A write-ahead log: readers (Daphne, the workers) never wait for a writer, and a
        # commit appends to the log instead of syncing the database file each time; a
        # crashed process loses nothing, a power cut at most the last commits.
        # Transactions take the write lock at their start, so that two writers wait for
        # each other instead of one failing with "database is locked".
        "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
                    "transaction_mode": "IMMEDIATE"},
    }
}

REDIS_URL = os.environ.get("REDIS_URL") or f"unix://{socket_path_in(VAR_DIR)}"
# The channel layer may spread over several servers; the cache and RQ stay on REDIS_URL.
CHANNEL_LAYER_URLS = env_list("CHANNEL_LAYER_URLS") or [REDIS_URL]
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels1.layer.RedisChannelLayer",
        "CONFIG": {"hosts": CHANNEL_LAYER_URLS, "prefix": os.environ.get("CHANNEL_LAYER_PREFIX", "asgi"),
                   "replica_acks": int(os.environ.get("CHANNEL_LAYER_REPLICA_ACKS", "0"))},
    },
}
if env_list("CHANNEL_LAYER_SENTINELS"):
    CHANNEL_LAYERS["default"]["CONFIG"].update(
        sentinels=[sentinel.rsplit(":", 1) for sentinel in env_list("CHANNEL_LAYER_SENTINELS")],
        master_name=os.environ.get("CHANNEL_LAYER_MASTER_NAME"),
    )

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
# restart, and pages keep working from the database while Redis is away;
# per-socket sessions (channel_session) live only as long as their socket,
# so Redis alone keeps them and the database never fills with dead ones.
SESSION_ENGINE = "channels1.session_store"
CHANNEL_SESSION_ENGINE = "django.contrib.sessions.backends.cache"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# True lets anonymous sockets follow /ws/notifications/ and read the GeoJSON endpoints
# (the map page itself still needs a login).
TRACKER_ANONYMOUS_VIEWERS = env_flag("TRACKER_ANONYMOUS_VIEWERS")

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
