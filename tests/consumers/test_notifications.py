"""The notifications socket's consumers: who may connect, the groups joined and
left, and keepalives of old clients."""

import asyncio

import pytest

from channels1 import Group, Message
from channels1.auth import SocketAuthError, user_group_name
from channels1.layer import RedisChannelLayer
from consumers import notifications
from tracker.notifications import GROUP

pytestmark = pytest.mark.django_db


@pytest.fixture
def layer(channel_layer_settings, cache_settings):
    """One layer for the test, used on a loop of its own by each helper: a
    process-specific channel is read only by the layer that made it."""
    return RedisChannelLayer(**channel_layer_settings)


def run(layer, work):
    async def go():
        try:
            return await work(layer)
        finally:
            await layer.close()

    return asyncio.run(go())


def new_channel(layer):
    return run(layer, lambda layer: layer.new_channel())


def receive(layer, channel, count=None):
    """The next message on the channel, or a list of the next ``count``."""
    async def take(layer):
        got = [await asyncio.wait_for(layer.receive(channel), 5) for _ in range(count or 1)]
        return got if count else got[0]

    return run(layer, take)


def nothing_for(layer, channel, seconds=0.3):
    async def check(layer):
        try:
            await asyncio.wait_for(layer.receive(channel), seconds)
        except TimeoutError:
            return True
        return False

    return run(layer, check)


def message(channel_name, reply_channel, headers=()):
    content = {"reply_channel": reply_channel, "path": "/ws/notifications/", "order": 0, "query_string": b"",
               "headers": [[b"host", b"localhost:8000"], [b"origin", b"http://localhost:8000"], *headers]}
    return Message(content, channel_name, None)


def session_cookie(client, settings):
    return [b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()]


def test_anonymous_sockets_are_ended_with_4403(layer):
    with pytest.raises(SocketAuthError) as raised:
        notifications.connect(message("websocket.connect", new_channel(layer)))
    assert raised.value.code == 4403


def test_anonymous_viewers_when_the_setting_allows_them(layer, settings):
    settings.TRACKER_ANONYMOUS_VIEWERS = True
    reply = new_channel(layer)
    notifications.connect(message("websocket.connect", reply))
    assert receive(layer, reply) == {"accept": True}
    Group(GROUP).send({"text": "hi"})
    assert receive(layer, reply) == {"text": "hi"}


def test_a_user_joins_both_groups_and_leaves_them_on_disconnect(layer, settings, client, django_user_model):
    user = django_user_model.objects.create_user("viewer", password="viewer-pass-1")
    client.force_login(user)
    reply = new_channel(layer)
    notifications.connect(message("websocket.connect", reply, [session_cookie(client, settings)]))
    assert receive(layer, reply) == {"accept": True}
    Group(GROUP).send({"text": "all"})
    Group(user_group_name(user)).send({"text": "mine"})
    assert receive(layer, reply, 2) == [{"text": "all"}, {"text": "mine"}]
    notifications.disconnect(message("websocket.disconnect", reply))
    Group(GROUP).send({"text": "all"})
    Group(user_group_name(user)).send({"text": "mine"})
    assert nothing_for(layer, reply)


def test_keepalive_puts_the_socket_back_in_the_group(layer):
    reply = new_channel(layer)
    notifications.keepalive(message("websocket.keepalive", reply))
    Group(GROUP).send({"text": "still here"})
    assert receive(layer, reply) == {"text": "still here"}
