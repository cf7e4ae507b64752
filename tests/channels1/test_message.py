"""Message: content access, channels, copy; and holding a consumer's sends."""

import pytest

from channels1 import Channel, Group, Message
from channels1._held_sends import hold, holding_sends


def test_message_gives_dict_access_to_its_content():
    message = Message({"text": "hi", "order": 1}, "websocket.receive", channel_layer=None)
    assert message["text"] == "hi"
    assert "order" in message and "bytes" not in message
    message["extra"] = 1
    assert message.content["extra"] == 1
    assert sorted(message.keys()) == ["extra", "order", "text"]
    assert ("text", "hi") in message.items()
    assert message.get("missing", "default") == "default"


def test_message_knows_its_channel_and_reply_channel():
    message = Message({"reply_channel": "daphne.response.a!b"}, "websocket.connect", channel_layer=None)
    assert message.channel == Channel("websocket.connect")
    assert message.reply_channel.name == "daphne.response.a!b"


def test_message_without_reply_channel_has_none():
    assert Message({}, "thumbnails", None).reply_channel is None
    assert Message({"reply_channel": ""}, "thumbnails", None).reply_channel is None


def test_copy_is_deep_and_leaves_decorator_attributes_behind():
    message = Message({"nested": {"a": [1]}}, "chan", None)
    message.channel_session = {"x": 1}
    copied = message.copy()
    copied["nested"]["a"].append(2)
    assert message["nested"] == {"a": [1]}
    assert copied.channel.name == "chan"
    assert not hasattr(copied, "channel_session")


def test_sends_are_held_only_inside_a_consumer():
    assert hold(Channel("x"), {}) is False
    with holding_sends() as held:
        assert hold(Channel("x"), {"n": 1}) is True
        Channel("y").send({"n": 2})
        Group("room").send({"n": 3})
    assert [(target.name, content) for target, content in held] == [("x", {"n": 1}), ("y", {"n": 2}), ("room", {"n": 3})]
    assert hold(Channel("x"), {}) is False


def test_channel_send_needs_a_dict_and_group_send_too():
    with pytest.raises(TypeError):
        Channel("x").send("text")
    with pytest.raises(ValueError):
        Group("room").send(["list"])


async def test_a_task_left_running_by_a_consumer_sends_at_once(monkeypatch):
    import asyncio

    sent = []

    async def deliver(self, content):
        sent.append(content)

    monkeypatch.setattr(Channel, "_deliver", deliver)
    with holding_sends() as held:
        async def later():
            await asyncio.sleep(0.01)
            await Channel("x").asend({"late": True})

        task = asyncio.ensure_future(later())
        await Channel("x").asend({"held": True})
    await task
    assert [content for _, content in held] == [{"held": True}]
    assert sent == [{"late": True}]
