"""``Binding``: the outbound half (each save and delete of the model goes to the
groups ``group_names`` picks, as create, update or delete) and the inbound half
(actions from a consumer, run only if ``has_permission`` allows them)."""

import logging

from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from ..auth import channel_session_user
from ..channel import Group
from ..exceptions import InvalidFrame
from ..sessions import channel_session

__all__ = ["CREATE", "DELETE", "UPDATE", "Binding", "BindingMetaclass"]

logger = logging.getLogger("channels1.binding")

CREATE = "create"
UPDATE = "update"
DELETE = "delete"
ACTIONS = (CREATE, UPDATE, DELETE)


class BindingMetaclass(type):
    """Records every Binding subclass, so that the app can connect them to their
    model's signals when it is ready; one defined after that is connected at once."""

    binding_classes = []
    registering = False  # True once the app is ready

    def __new__(mcs, name, bases, body):
        binding_class = super().__new__(mcs, name, bases, body)
        if bases:
            mcs.binding_classes.append(binding_class)
            if mcs.registering:
                binding_class.register()
        return binding_class

    @classmethod
    def register_all(mcs):
        """Connect every binding defined so far, and those defined later as they are."""
        mcs.registering = True
        for binding_class in mcs.binding_classes:
            binding_class.register()


class Binding(metaclass=BindingMetaclass):
    """Binds ``model`` (a class or ``"app_label.ModelName"``) to a stream. Set
    ``fields`` (``["__all__"]`` for all) or ``exclude``, and override
    ``group_names(instance)`` (who hears of an instance), ``serialize``/``encode``
    (what they get), ``deserialize`` and ``create``/``update`` (inbound), and
    ``has_permission`` (which allows nothing unless overridden). A class that sets
    ``model = None`` itself is abstract."""

    model = None
    stream = None
    fields = None
    exclude = None
    channel_session_user = True
    channel_session = False

    # Outbound

    @classmethod
    def register(cls):
        """Connect this binding to its model's pre/post save and delete signals
        (done for every binding when the app is ready; calling it again is harmless)."""
        if cls.model is None:
            if "model" in cls.__dict__:
                return
            raise ValueError(f"Set the model attribute on the binding {cls.__qualname__} (or model = None if abstract)")
        if cls.fields is None and cls.exclude is None:
            raise ValueError(f"Set fields (['__all__'] for all) or exclude on the binding {cls.__qualname__}")
        if isinstance(cls.model, str):
            cls.model = apps.get_model(cls.model)
        cls.model_label = f"{cls.model._meta.app_label.lower()}.{cls.model._meta.object_name.lower()}"
        uid = f"channels1.binding:{cls.__module__}.{cls.__qualname__}#{id(cls)}"
        for model in cls.get_registered_models():
            pre_save.connect(cls.pre_save_receiver, sender=model, dispatch_uid=uid)
            post_save.connect(cls.post_save_receiver, sender=model, dispatch_uid=uid)
            pre_delete.connect(cls.pre_delete_receiver, sender=model, dispatch_uid=uid)
            post_delete.connect(cls.post_delete_receiver, sender=model, dispatch_uid=uid)

    @classmethod
    def get_registered_models(cls):
        """The models whose signals this binding follows."""
        return [cls.model]

    @classmethod
    def encode(cls, stream, payload):
        """The message that carries ``payload`` on ``stream`` to a group."""
        raise NotImplementedError(f"{cls.__qualname__} must define encode(stream, payload)")

    @classmethod
    def pre_save_receiver(cls, instance, **kwargs):
        cls.pre_change_receiver(instance, CREATE if instance._state.adding else UPDATE)

    @classmethod
    def post_save_receiver(cls, instance, created, **kwargs):
        cls.post_change_receiver(instance, CREATE if created else UPDATE, **kwargs)

    @classmethod
    def pre_delete_receiver(cls, instance, **kwargs):
        cls.pre_change_receiver(instance, DELETE)

    @classmethod
    def post_delete_receiver(cls, instance, **kwargs):
        cls.post_change_receiver(instance, DELETE, **kwargs)

    @classmethod
    def pre_change_receiver(cls, instance, action):
        """Before a change: remember the groups that followed the instance (none
        for a new one)."""
        group_names = set() if action == CREATE else set(cls.group_names(instance))
        if not hasattr(instance, "_binding_group_names"):
            instance._binding_group_names = {}
        instance._binding_group_names[cls] = group_names

    @classmethod
    def post_change_receiver(cls, instance, action, **kwargs):
        """After a change: groups that stopped following the instance get a delete,
        those that still follow it an update, and those that started a create."""
        old_group_names = getattr(instance, "_binding_group_names", {}).pop(cls, set())
        new_group_names = set() if action == DELETE else set(cls.group_names(instance))
        self = cls()
        self.instance = instance
        self.send_messages(instance, old_group_names - new_group_names, DELETE, **kwargs)
        self.send_messages(instance, old_group_names & new_group_names, UPDATE, **kwargs)
        self.send_messages(instance, new_group_names - old_group_names, CREATE, **kwargs)

    def send_messages(self, instance, group_names, action, **kwargs):
        """Send ``action`` on ``instance`` to the groups (held until a consumer
        returns, at once elsewhere); nothing if there are no groups or ``serialize``
        returns {}. ``self.signal_kwargs`` holds the signal's arguments."""
        if not group_names:
            return
        self.signal_kwargs = kwargs
        payload = self.serialize(instance, action)
        if payload == {}:
            return
        message = self.encode(self.stream, payload)
        for group_name in group_names:
            Group(group_name).send(message)

    @classmethod
    def group_names(cls, instance):
        """The groups that hear of changes to ``instance``."""
        raise NotImplementedError(f"{cls.__qualname__} must define group_names(instance)")

    def serialize(self, instance, action):
        """The payload sent for ``action`` on ``instance`` ({} sends nothing)."""
        raise NotImplementedError(f"{type(self).__qualname__} must define serialize(instance, action)")

    # Inbound

    @classmethod
    def consumer(cls, message, **kwargs):
        """The consumer to route (or give a demultiplexer) for inbound actions."""
        cls.get_handler()(message, **kwargs)

    @classmethod
    def get_handler(cls):
        """``trigger_inbound`` with channel_session_user (default) or channel_session."""
        handler = cls.trigger_inbound
        if cls.channel_session_user:
            return channel_session_user(handler)
        if cls.channel_session:
            return channel_session(handler)
        return handler

    @classmethod
    def trigger_inbound(cls, message, **kwargs):
        """Read the action of ``message`` and run it as ``message.user``."""
        self = cls()
        self.message = message
        self.kwargs = kwargs
        self.action, self.pk, self.data = self.deserialize(message)
        self.user = getattr(message, "user", None) or AnonymousUser()
        self.run_action(self.action, self.pk, self.data)

    def deserialize(self, message):
        """``(action, pk, data)`` from an inbound message."""
        raise NotImplementedError(f"{type(self).__qualname__} must define deserialize(message)")

    def run_action(self, action, pk, data):
        """Run create, update or delete, if ``has_permission`` allows it."""
        if action not in ACTIONS:
            raise InvalidFrame(f"unknown action {action!r} for {self.model_label} (one of {', '.join(ACTIONS)})")
        if not self.has_permission(self.user, action, pk):
            self._log_denied(action, pk)
            return
        if action == CREATE:
            self.create(data)
        elif action == UPDATE:
            self.update(pk, data)
        else:
            self.delete(pk)

    def has_permission(self, user, action, pk):
        """Whether ``user`` may run ``action`` (on ``pk``). Allows nothing: a binding
        that takes inbound actions says whom it lets do what."""
        return False

    def _log_denied(self, action, pk):
        message = getattr(self, "message", None)
        hint = "" if type(self).has_permission is not Binding.has_permission else \
            " (the binding does not define has_permission, so nothing is allowed)"
        logger.warning(
            "Denied %s of %s %r to %s on %s (path %r)%s", action, self.model_label, pk, self.user,
            message.channel.name if message else None, message.get("path") if message else None, hint,
        )

    def create(self, data):
        raise NotImplementedError(f"{type(self).__qualname__} must define create(data)")

    def update(self, pk, data):
        raise NotImplementedError(f"{type(self).__qualname__} must define update(pk, data)")

    def delete(self, pk):
        try:
            rows = self.model.objects.filter(pk=pk)
        except (ValueError, TypeError, ValidationError):
            raise InvalidFrame(f"cannot delete {self.model_label} {pk!r}: not a primary key") from None
        rows.delete()
