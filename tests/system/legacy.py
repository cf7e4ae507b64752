"""The 1.x example project of tests/legacy/ run for real: Daphne serving its
``legacyproject.asgi:channel_layer`` and its ``manage.py runworker`` processes."""

from pathlib import Path

from channels1.testing import LiveSystem

LEGACY_ROOT = Path(__file__).resolve().parents[1] / "legacy"
SECRET_KEY = "legacy-project-not-so-secret"  # its settings' SECRET_KEY, which encrypts its layer


def legacy_system(redis_url, directory, **options):
    """A LiveSystem of the legacy project (not started)."""
    return LiveSystem(
        redis_url, directory, settings="legacyproject.settings", prefix="legacy",
        application="legacyproject.asgi:channel_layer", worker_options=("-v", "2"), root=LEGACY_ROOT, **options,
    )


def legacy_layer(system, redis_url, **config):
    """A layer object on the same Redis keys as the system's processes."""
    from channels1.layer.asgi_redis import RedisChannelLayer

    return RedisChannelLayer(hosts=[redis_url], prefix=system.prefix, symmetric_encryption_keys=[SECRET_KEY], **config)
