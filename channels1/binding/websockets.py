"""WebSocket bindings: a model's changes go to its groups as ``{"stream", "payload"}``
frames (``{"action", "pk", "data", "model"}``), and a demultiplexed socket creates,
updates and deletes with frames ``{"action", "pk", "data"}`` on the same stream."""

import json

from django.core import serializers
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, router, transaction

from ..exceptions import InvalidFrame
from ..generic.websockets import WebsocketMultiplexer
from ..sessions import enforce_ordering
from .base import CREATE, DELETE, UPDATE, Binding, logger

__all__ = ["CREATE", "DELETE", "UPDATE", "WebsocketBinding", "WebsocketBindingWithMembers"]


class WebsocketBinding(Binding):
    """A Binding over WebSockets on ``stream``: give ``consumer`` to a
    WebsocketDemultiplexer under that stream name. ``strict_ordering`` runs a
    socket's actions in the order it sent them."""

    model = None
    stream = None
    strict_ordering = False

    # Outbound

    @classmethod
    def encode(cls, stream, payload):
        return WebsocketMultiplexer.encode(stream, payload)

    def serialize(self, instance, action):
        return {
            "action": action,
            "pk": instance.pk,
            "data": self.serialize_data(instance),
            "model": self.model_label,
        }

    def serialize_data(self, instance):
        """The instance's allowed fields, as Django's JSON serializer writes them."""
        if self.fields is not None:
            fields = None if _all_fields(self.fields) else list(self.fields)
        else:
            fields = [field.name for field in instance._meta.get_fields() if field.name not in self.exclude]
        return json.loads(serializers.serialize("json", [instance], fields=fields))[0]["fields"]

    # Inbound

    @classmethod
    def get_handler(cls):
        if getattr(cls, "slight_ordering", False):
            raise ValueError("Slight ordering is always on now: remove slight_ordering=True")
        handler = super().get_handler()
        return enforce_ordering(handler) if cls.strict_ordering else handler

    @classmethod
    def trigger_inbound(cls, message, **kwargs):
        """Only frames (websocket.receive) carry actions; connect and disconnect,
        which a demultiplexer passes on too, are ignored."""
        if message.channel.name != "websocket.receive":
            return
        super().trigger_inbound(message, **kwargs)

    def deserialize(self, message):
        """``(action, pk, data)`` from the frame's JSON text."""
        try:
            body = json.loads(message["text"])
        except (KeyError, TypeError, ValueError):
            raise InvalidFrame(f"an action for {self.model_label} must be a JSON text frame") from None
        if not isinstance(body, dict) or "action" not in body:
            raise InvalidFrame(f"an action for {self.model_label} must be a JSON object with an 'action' key")
        return body["action"], body.get("pk"), body.get("data")

    def create(self, data):
        self._save(self._hydrate(None, self._allowed_data(data, CREATE)), CREATE)

    def update(self, pk, data):
        try:
            instance = self.model.objects.get(pk=pk)
        except (self.model.DoesNotExist, ValueError, TypeError, ValidationError):
            raise InvalidFrame(f"cannot update {self.model_label} {pk!r}: there is no such row") from None
        data = self._allowed_data(data, UPDATE)
        hydrated = self._hydrate(pk, data)
        for name in data:
            # By attname: a foreign key is set by its id, without loading the row.
            attname = self.model._meta.get_field(name).attname
            setattr(instance, attname, getattr(hydrated.object, attname))
        self._save(instance, UPDATE)

    def _save(self, instance, action):
        """Save, turning a row the database refuses into a dropped frame."""
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                instance.save()
        except IntegrityError as error:
            raise InvalidFrame(f"the database refused a {action} of {self.model_label}: {error}") from None

    def _allowed_data(self, data, action):
        """The part of ``data`` in the bound fields; other keys are left out, with a
        warning."""
        if not isinstance(data, dict):
            raise InvalidFrame(f"a {action} of {self.model_label} needs 'data' as a JSON object")
        allowed = {name: value for name, value in data.items() if self._allows(name)}
        if len(allowed) < len(data):
            logger.warning("Left out fields %s of a %s of %s: not bound fields",
                           sorted(set(data) - set(allowed)), action, self.model_label)
        return allowed

    def _allows(self, name):
        try:
            field = self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        if field.primary_key or not field.concrete:
            return False
        if self.fields is not None:
            return _all_fields(self.fields) or name in self.fields
        return name not in self.exclude

    def _hydrate(self, pk, data):
        """An unsaved DeserializedObject of our model from ``data``."""
        try:
            return next(serializers.deserialize("python", [{"pk": pk, "model": self.model_label, "fields": data}]))
        except (DeserializationError, ValidationError) as error:
            raise InvalidFrame(f"bad data for {self.model_label}: {error}") from None


def _all_fields(fields):
    return fields == "__all__" or list(fields) == ["__all__"]


class WebsocketBindingWithMembers(WebsocketBinding):
    """A WebsocketBinding whose data also carries ``send_members``: attribute paths
    such as ``"author.username"`` or methods (called), under their names with "."
    written "__"."""

    model = None
    send_members = []
    encoder = DjangoJSONEncoder()

    def serialize_data(self, instance):
        data = super().serialize_data(instance)
        members = {}
        for path in self.send_members:
            member = instance
            for name in path.split("."):
                member = getattr(member, name)
            members[path.replace(".", "__")] = member() if callable(member) else member
        data.update(json.loads(self.encoder.encode(members)))
        return data
