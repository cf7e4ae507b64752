"""Binding: connected to its model's signals when the app is ready (or at once when
defined later), it sends create, update and delete to the groups following an
instance, by the group-change rules; inbound actions need has_permission."""

import json
from unittest import mock

import pytest
from django.apps import AppConfig
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import Group as Team
from django.db.models.signals import post_delete, pre_save
from django.test import override_settings

from channels1 import route
from channels1.binding.base import CREATE, DELETE, UPDATE, Binding, BindingMetaclass
from channels1.exceptions import InvalidFrame
from channels1.test import ChannelTestCase, WSClient, apply_routes

from ..test_test import WITHOUT_REDIS


class TeamBinding(Binding):
    """Teams named "team-<colour>-<name>" are followed by the groups "teams" and
    "teams.<colour>"; other auth groups by nobody. A name ending in "-quiet" sends
    nothing."""

    model = "auth.Group"
    stream = "teams"
    fields = ["name"]

    @classmethod
    def group_names(cls, instance):
        # The stored name: before a save the row still has the old one (the
        # instance already has the new one).
        name = Team.objects.filter(pk=instance.pk).values_list("name", flat=True).first() or instance.name
        if not name.startswith("team-"):
            return []
        return ["teams", "teams." + name.split("-")[1]]

    @classmethod
    def encode(cls, stream, payload):
        return {"text": json.dumps({"stream": stream, "payload": payload})}

    def serialize(self, instance, action):
        if instance.name.endswith("-quiet"):
            return {}
        return {"action": action, "name": instance.name, "using": self.signal_kwargs.get("using")}


def watch(group):
    client = WSClient()
    client.join_group(group)
    return client


def received(client):
    """Every frame the client got so far, as (action, name)."""
    frames = []
    while (frame := client.receive()) is not None:
        frames.append((frame["payload"]["action"], frame["payload"]["name"]))
    return frames


@override_settings(**WITHOUT_REDIS)
class OutboundTests(ChannelTestCase):
    def test_create_update_and_delete_reach_the_groups_following_the_instance(self):
        teams, red, blue = watch("teams"), watch("teams.red"), watch("teams.blue")
        team = Team.objects.create(name="team-red-ants")
        team.name = "team-red-bees"
        team.save()
        team.delete()
        expected = [(CREATE, "team-red-ants"), (UPDATE, "team-red-bees"), (DELETE, "team-red-bees")]
        self.assertEqual(received(teams), expected)
        self.assertEqual(received(red), expected)
        self.assertEqual(received(blue), [])

    def test_groups_that_stop_or_start_following_get_delete_and_create(self):
        team = Team.objects.create(name="team-red-ants")
        teams, red, blue = watch("teams"), watch("teams.red"), watch("teams.blue")
        team.name = "team-blue-ants"
        team.save()
        self.assertEqual(received(red), [(DELETE, "team-blue-ants")])
        self.assertEqual(received(teams), [(UPDATE, "team-blue-ants")])
        self.assertEqual(received(blue), [(CREATE, "team-blue-ants")])

    def test_the_signal_arguments_are_in_signal_kwargs(self):
        teams = watch("teams")
        Team.objects.create(name="team-red-ants")
        self.assertEqual(json.loads(teams.get_next_message(teams.reply_channel)["text"])["payload"]["using"], "default")

    def test_nothing_is_sent_without_groups_or_when_serialize_gives_nothing(self):
        teams = watch("teams")
        Team.objects.create(name="editors")
        Team.objects.create(name="team-red-quiet")
        self.assertEqual(received(teams), [])

    def test_sends_from_a_consumer_wait_until_it_has_returned(self):
        teams = watch("teams")
        seen_inside = []

        def create_team(message):
            Team.objects.create(name="team-red-ants")
            seen_inside.append(teams.receive())

        with apply_routes([route("make-team", create_team)]):
            WSClient().send_and_consume("make-team")
        self.assertEqual(seen_inside, [None])
        self.assertEqual(received(teams), [(CREATE, "team-red-ants")])


@pytest.fixture
def pending_bindings():
    """As before the app is ready: bindings are recorded, not connected."""
    with mock.patch.object(BindingMetaclass, "binding_classes", []), \
            mock.patch.object(BindingMetaclass, "registering", False):
        yield BindingMetaclass.binding_classes


def quiet_binding(**attrs):
    return type("QuietTeamBinding", (TeamBinding,), {"group_names": classmethod(lambda cls, i: []), **attrs})


@pytest.mark.parametrize("app", ["channels", "channels1"])
def test_bindings_defined_before_the_app_is_ready_are_connected_by_it(app, pending_bindings):
    binding = quiet_binding()
    with mock.patch.object(binding, "pre_change_receiver") as pre_change:
        team = Team(name="unsaved")
        pre_save.send(sender=Team, instance=team)
        pre_change.assert_not_called()
        assert pending_bindings == [binding]
        AppConfig.create(app).ready()
        pre_save.send(sender=Team, instance=team)
        pre_change.assert_called_once_with(team, CREATE)


def test_a_binding_defined_after_the_app_is_ready_is_connected_at_once():
    assert BindingMetaclass.registering
    binding = quiet_binding()
    assert binding in BindingMetaclass.binding_classes
    with mock.patch.object(binding, "post_change_receiver") as post_change:
        post_delete.send(sender=Team, instance=Team(name="gone"))
    post_change.assert_called_once()
    binding.register()  # again: still connected once
    with mock.patch.object(binding, "post_change_receiver") as post_change:
        post_delete.send(sender=Team, instance=Team(name="gone"))
    post_change.assert_called_once()


def test_the_model_may_be_named_by_its_label():
    assert TeamBinding.model is Team and TeamBinding.model_label == "auth.group"


def test_abstract_bindings_connect_nothing_and_incomplete_ones_say_what_is_missing(pending_bindings):
    abstract = type("AbstractBinding", (Binding,), {"model": None})
    abstract.register()
    with pytest.raises(ValueError, match="Set the model attribute on the binding NoModel"):
        type("NoModel", (abstract,), {"fields": ["name"]}).register()
    with pytest.raises(ValueError, match=r"Set fields \(\['__all__'\] for all\) or exclude on the binding NoFields"):
        type("NoFields", (Binding,), {"model": Team}).register()


class Recording(TeamBinding):
    """Records the inbound actions it runs instead of running them (a binding too,
    as every subclass of a concrete one is, but followed by no group)."""

    @classmethod
    def group_names(cls, instance):
        return []

    def __init__(self):
        self.user = AnonymousUser()
        self.ran = []

    def create(self, data):
        self.ran.append((CREATE, None, data))

    def update(self, pk, data):
        self.ran.append((UPDATE, pk, data))

    def delete(self, pk):
        self.ran.append((DELETE, pk, None))


@pytest.mark.parametrize("action", [CREATE, UPDATE, DELETE])
def test_by_default_has_permission_allows_no_action(action, caplog):
    binding = Recording()
    binding.run_action(action, 3, {"name": "x"})
    assert binding.ran == []
    assert f"Denied {action} of auth.group 3 to AnonymousUser" in caplog.text
    assert "does not define has_permission, so nothing is allowed" in caplog.text


@pytest.mark.parametrize("action", [CREATE, UPDATE, DELETE])
def test_allowed_actions_run(action):
    binding = type("Allowing", (Recording,), {"has_permission": lambda self, user, action, pk: True})()
    binding.run_action(action, 3, {"name": "x"})
    assert [step[0] for step in binding.ran] == [action]


def test_an_unknown_action_is_an_invalid_frame_even_when_allowed():
    binding = type("Allowing", (Recording,), {"has_permission": lambda self, user, action, pk: True})()
    with pytest.raises(InvalidFrame, match="unknown action 'archive' for auth.group"):
        binding.run_action("archive", 3, {})
    assert binding.ran == []
