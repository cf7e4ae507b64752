"""Ends a user's open sockets when their login ends: logging out, a password change or
deactivation sends a close with code LOGIN_ENDED (4410) to the user's group
(channels1.auth.user_group_name), which their logged-in sockets join on connect."""

import logging

from django.contrib.auth import get_user_model, user_logged_out
from django.db import transaction
from django.db.models.signals import post_save, pre_save

from .auth import user_group_name
from .channel import Group

logger = logging.getLogger("channels1.user_sockets")

LOGIN_ENDED = 4410
# Fields whose change ends the user's logins: the hash in each session derives from
# the password, and inactive users cannot log in.
LOGIN_FIELDS = frozenset({"password", "is_active"})


def close_user_sockets(user):
    """Close every socket in the user's group with LOGIN_ENDED. A layer failure is
    logged, never raised: the logout or save that called it must go through."""
    group = user_group_name(user)
    try:
        Group(group).send({"close": LOGIN_ENDED}, immediately=True)
    except Exception as error:
        logger.error("Could not close the sockets of group %s after their login ended: %s: %s",
                     group, type(error).__name__, error)


def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        close_user_sockets(user)


def _note_login_change(sender, instance, raw=False, update_fields=None, **kwargs):
    """Before a save: remember whether it changes the password or deactivates the user."""
    instance._channels1_login_ends = False
    if raw or instance.pk is None or (update_fields is not None and not LOGIN_FIELDS & set(update_fields)):
        return
    stored = sender._default_manager.filter(pk=instance.pk).values_list("password", "is_active").first()
    if stored is not None:
        password, was_active = stored
        instance._channels1_login_ends = password != instance.password or (was_active and not instance.is_active)


def _close_after_login_change(sender, instance, **kwargs):
    if getattr(instance, "_channels1_login_ends", False):
        instance._channels1_login_ends = False
        # After the commit, so a page reconnecting at once sees the new state.
        transaction.on_commit(lambda: close_user_sockets(instance))


def connect_signals():
    """Connect the receivers (the engine's AppConfig.ready does)."""
    user_model = get_user_model()
    user_logged_out.connect(_logged_out, dispatch_uid="channels1.user_sockets.logged_out")
    pre_save.connect(_note_login_change, sender=user_model, dispatch_uid="channels1.user_sockets.note")
    post_save.connect(_close_after_login_change, sender=user_model, dispatch_uid="channels1.user_sockets.close")
