"""A user's sockets close with 4410 when their login ends: logout, a password change,
deactivation; through their group on the test Redis. Other saves leave them open."""

import asyncio

import pytest

from channels1 import Group
from channels1.auth import user_group_name
from channels1.layer import RedisChannelLayer
from channels1.user_sockets import LOGIN_ENDED

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(django_user_model):
    return django_user_model.objects.create_user("ann", password="secret-pass-1")


@pytest.fixture
def socket_of(channel_layer_settings, cache_settings):
    """A reply channel in a user's group, and a way to read what reaches it (with the
    layer instance that made it: only that one receives on its channels)."""
    layer = RedisChannelLayer(**channel_layer_settings)

    def join(user):
        member = asyncio.run(layer.new_channel("daphne.response"))
        Group(user_group_name(user)).add(member)
        return member

    def first_message(member):
        async def take():
            try:
                return await asyncio.wait_for(layer.receive(member), 5)
            finally:
                await layer.close()

        return asyncio.run(take())

    join.first_message = first_message
    return join


def test_logging_out_closes_the_users_sockets(socket_of, client, ann):
    member = socket_of(ann)
    client.force_login(ann)
    assert client.post("/accounts/logout/").status_code == 302
    assert socket_of.first_message(member) == {"close": LOGIN_ENDED}


def test_a_password_change_closes_them_after_the_commit(socket_of, ann, django_capture_on_commit_callbacks):
    member = socket_of(ann)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ann.set_password("another-pass-2")
        ann.save()
    assert len(callbacks) == 1
    assert socket_of.first_message(member) == {"close": LOGIN_ENDED}


def test_deactivating_the_user_closes_them(socket_of, ann, django_capture_on_commit_callbacks):
    member = socket_of(ann)
    with django_capture_on_commit_callbacks(execute=True):
        ann.is_active = False
        ann.save(update_fields=["is_active"])
    assert socket_of.first_message(member) == {"close": LOGIN_ENDED}


def test_other_saves_leave_the_sockets_open(socket_of, ann, django_capture_on_commit_callbacks):
    member = socket_of(ann)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ann.first_name = "Ann"
        ann.save()
        ann.save(update_fields=["last_login"])
    assert callbacks == []
    Group(user_group_name(ann)).send({"text": "still open"})
    assert socket_of.first_message(member) == {"text": "still open"}


def test_a_layer_failure_is_logged_and_the_logout_goes_through(settings, cache_settings, client, ann, caplog):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels1.layer.RedisChannelLayer",
                                           "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}}
    client.force_login(ann)
    assert client.post("/accounts/logout/").status_code == 302
    assert f"Could not close the sockets of group user.{ann.pk}" in caplog.text
