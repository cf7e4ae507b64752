"""Alerts kept for reloads: each one the map shows live is stored once, and each user
has a mark up to which they have seen them; later ones are their unread alerts."""

from django.utils import timezone

from .models import Alert, AlertsSeen

RECENT = 50


def record(payload):
    """Store an alert payload as sent to the map; its stored form (with id and time)."""
    return Alert.objects.create(payload=payload).as_dict()


def _seen_until(user):
    return AlertsSeen.objects.filter(user=user).values_list("until", flat=True).first()


def unread_count(user):
    seen = _seen_until(user)
    alerts = Alert.objects.all()
    return (alerts.filter(created__gt=seen) if seen else alerts).count()


def recent(user, limit=RECENT):
    """The latest alerts as dicts, newest first, each with ``unread``."""
    seen = _seen_until(user)
    return [{**alert.as_dict(), "unread": seen is None or alert.created > seen}
            for alert in Alert.objects.all()[:limit]]


def mark_seen(user):
    AlertsSeen.objects.update_or_create(user=user, defaults={"until": timezone.now()})
