"""Model changes as notifications to the ``notifications`` group: post_save and
post_delete of incidents and areas, and alerts (also stored, tracker/alerts.py) when
an open incident lands in areas whose severity it alerts. Messages are built at signal
time and sent once the transaction commits, so a rolled-back change notifies nobody."""

import json
import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from channels1 import Group

from . import alerts
from .models import AreaOfInterest, Incident

GROUP = "notifications"
MODELS = (Incident, AreaOfInterest)

logger = logging.getLogger(__name__)


def broadcast(payload):
    """Send a payload (a dict) to every socket in the notifications group, as text."""
    Group(GROUP).send({"text": json.dumps(payload)})


def _on_commit(payloads, using):
    def send():
        for payload in payloads:
            broadcast(payload)

    # robust: the change is committed; a layer outage must not fail the request too.
    transaction.on_commit(send, using=using, robust=True)


def saved(sender, instance, created, using, raw=False, **kwargs):
    if raw:
        return
    feature = instance.as_feature()
    payloads = [{"type": "post_save", "created": created, "feature": feature}]
    if isinstance(instance, Incident):
        areas = instance.alerted_areas()
        if areas:
            payloads.append(alerts.record({
                "type": "alert",
                "feature": feature,
                "areas_of_interest": [area.as_alerted() for area in areas],
            }))
    _on_commit(payloads, using)


def deleted(sender, instance, using, **kwargs):
    _on_commit([{"type": "post_delete", "feature": instance.as_feature()}], using)


def connect_receivers():
    """Connect the receivers (AppConfig.ready); connecting twice is harmless."""
    for model in MODELS:
        post_save.connect(saved, sender=model, dispatch_uid=f"tracker.notifications.saved.{model.__name__}")
        post_delete.connect(deleted, sender=model, dispatch_uid=f"tracker.notifications.deleted.{model.__name__}")
