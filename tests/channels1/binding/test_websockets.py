"""WebsocketBinding behind a WebsocketDemultiplexer, on the in-memory layer: changes
reach the sockets as stream frames; sockets create, update and delete only with
permission, within the bound fields; bad actions are logged and change nothing."""

import json

from django.contrib.auth.models import Group as Crew
from django.contrib.auth.models import User
from django.test import override_settings

from channels1 import route_class
from channels1.binding.websockets import WebsocketBinding, WebsocketBindingWithMembers
from channels1.generic.websockets import WebsocketDemultiplexer
from channels1.test import ChannelTestCase, WSClient, apply_routes

from ..test_test import WITHOUT_REDIS


class CrewBinding(WebsocketBinding):
    """Auth groups named "crew-..." on the stream "crews": staff may do anything,
    other users may only create, anonymous ones nothing."""

    model = Crew
    stream = "crews"
    fields = ["name"]

    @classmethod
    def group_names(cls, instance):
        return ["crews"] if instance.name.startswith("crew-") else []

    def has_permission(self, user, action, pk):
        return user.is_staff or (user.is_authenticated and action == "create")


class CrewBindingWithMembers(WebsocketBindingWithMembers):
    model = Crew
    stream = "crew-members"
    fields = ["__all__"]
    send_members = ["name.upper", "_meta.model_name"]

    @classmethod
    def group_names(cls, instance):
        return ["crew-members"] if instance.name.startswith("crew-") else []


class Crews(WebsocketDemultiplexer):
    http_user = True
    groups = ["crews"]
    consumers = {"crews": CrewBinding.consumer}


def action(**payload):
    return json.dumps({"stream": "crews", "payload": payload})


def change(action_name, crew):
    return {"stream": "crews", "payload": {
        "action": action_name, "pk": crew.pk, "data": {"name": crew.name}, "model": "auth.group",
    }}


@override_settings(**WITHOUT_REDIS)
class WebsocketBindingTests(ChannelTestCase):
    def socket(self, user=None):
        client = WSClient()
        if user is not None:
            client.force_login(user)
        client.send_and_consume("websocket.connect", path="/crews/", check_accept=False)
        self.assertEqual(client.receive(), {"accept": True})
        return client

    def send(self, client, **payload):
        client.send_and_consume("websocket.receive", text=action(**payload), path="/crews/")

    def test_changes_reach_the_sockets_as_stream_frames(self):
        with apply_routes([route_class(Crews)]):
            socket = self.socket()
            crew = Crew.objects.create(name="crew-one")
            self.assertEqual(socket.receive(), change("create", crew))
            crew.name = "crew-two"
            crew.save()
            self.assertEqual(socket.receive(), change("update", crew))
            pk = crew.pk
            crew.delete()
            self.assertEqual(socket.receive(), change("delete", Crew(pk=pk, name="crew-two")))

    def test_a_permitted_socket_creates_updates_and_deletes(self):
        with apply_routes([route_class(Crews)]):
            staff = self.socket(User.objects.create_user("sam", is_staff=True))
            watcher = self.socket()
            self.send(staff, action="create", data={"name": "crew-new"})
            crew = Crew.objects.get(name="crew-new")
            self.send(staff, action="update", pk=crew.pk, data={"name": "crew-renamed"})
            self.assertEqual(Crew.objects.get(pk=crew.pk).name, "crew-renamed")
            self.send(staff, action="delete", pk=crew.pk)
            self.assertFalse(Crew.objects.filter(pk=crew.pk).exists())
            renamed = Crew(pk=crew.pk, name="crew-renamed")
            expected = [change("create", crew), change("update", renamed), change("delete", renamed)]
            for socket in (staff, watcher):
                self.assertEqual([socket.receive() for _ in expected], expected)

    def test_a_socket_without_permission_can_neither_create_update_nor_delete(self):
        crew = Crew.objects.create(name="crew-kept")
        attempts = {
            "create": {"data": {"name": "crew-intruder"}},
            "update": {"pk": crew.pk, "data": {"name": "crew-renamed"}},
            "delete": {"pk": crew.pk},
        }
        with apply_routes([route_class(Crews)]):
            anonymous, member = self.socket(), self.socket(User.objects.create_user("mo"))
            for client, who, denied in [(anonymous, "AnonymousUser", attempts), (member, "mo", ["update", "delete"])]:
                for name in denied:
                    with self.subTest(user=who, action=name), self.assertLogs("channels1.binding", "WARNING") as logs:
                        self.send(client, action=name, **attempts[name])
                    self.assertIn(f"Denied {name} of auth.group", logs.output[0])
                    self.assertIn(f"to {who} on websocket.receive (path '/crews/')", logs.output[0])
            self.assertEqual(list(Crew.objects.values_list("name", flat=True)), ["crew-kept"])
            self.assertIsNone(anonymous.receive())
            self.assertIsNone(member.receive())

    def test_only_bound_fields_are_written(self):
        with apply_routes([route_class(Crews)]):
            staff = self.socket(User.objects.create_user("sam", is_staff=True))
            with self.assertLogs("channels1.binding", "WARNING") as logs:
                self.send(staff, action="create", data={"name": "crew-x", "id": 999, "nonsense": 1})
            self.assertIn("Left out fields ['id', 'nonsense'] of a create of auth.group", logs.output[0])
            crew = Crew.objects.get(name="crew-x")
            self.assertNotEqual(crew.pk, 999)

    def test_bad_actions_are_logged_and_change_nothing(self):
        crew = Crew.objects.create(name="crew-kept")
        bad = {
            "nothing to do": ({"pk": crew.pk}, "must be a JSON object with an 'action' key"),
            "unknown action": ({"action": "archive", "pk": crew.pk}, "unknown action 'archive' for auth.group"),
            "no such row": ({"action": "update", "pk": 12345, "data": {"name": "x"}}, "cannot update auth.group 12345"),
            "data not an object": ({"action": "create", "data": ["x"]}, "needs 'data' as a JSON object"),
            "bad pk": ({"action": "delete", "pk": {"a": 1}}, "cannot delete auth.group {'a': 1}"),
            "refused row": ({"action": "create", "data": {"name": None}}, "the database refused a create of auth.group"),
        }
        with apply_routes([route_class(Crews)]):
            staff = self.socket(User.objects.create_user("sam", is_staff=True))
            for case, (payload, reason) in bad.items():
                with self.subTest(case), self.assertLogs("channels1.generic", "WARNING") as logs:
                    self.send(staff, **payload)
                self.assertIn("Dropped a frame on websocket.receive (path '/crews/'", logs.output[0])
                self.assertIn(reason, logs.output[0])
            self.assertEqual(list(Crew.objects.values_list("name", flat=True)), ["crew-kept"])
            self.assertIsNone(staff.receive())


class CrewBindingExcluding(WebsocketBinding):
    model = Crew
    stream = "crews-excluding"
    exclude = ["permissions"]

    @classmethod
    def group_names(cls, instance):
        return []


@override_settings(**WITHOUT_REDIS)
class WithMembersTests(ChannelTestCase):
    def test_exclude_leaves_fields_out_of_the_data_and_the_writes(self):
        crew = Crew.objects.create(name="crew-quiet")
        self.assertEqual(CrewBindingExcluding().serialize_data(crew), {"name": "crew-quiet"})
        self.assertEqual(CrewBinding().serialize_data(crew), {"name": "crew-quiet"})
        self.assertFalse(CrewBindingExcluding()._allows("permissions"))
        self.assertTrue(CrewBindingExcluding()._allows("name"))

    def test_members_are_sent_beside_the_fields(self):
        watcher = WSClient()
        watcher.join_group("crew-members")
        crew = Crew.objects.create(name="crew-loud")
        payload = watcher.receive()["payload"]
        self.assertEqual(payload["data"], {
            "name": "crew-loud", "permissions": [], "name__upper": "CREW-LOUD", "_meta__model_name": "group",
        })
        self.assertEqual((payload["pk"], payload["model"]), (crew.pk, "auth.group"))


def test_the_1x_import_paths_are_these_modules():
    import channels.binding
    import channels.binding.base
    import channels.binding.websockets

    import channels1.binding.base
    import channels1.binding.websockets

    assert channels.binding.websockets is channels1.binding.websockets
    assert channels.binding.Binding is channels1.binding.base.Binding
    assert channels.binding.websockets.UPDATE == "update"
