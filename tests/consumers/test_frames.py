"""JSON frames of the project's sockets: only a JSON object reads as one."""

import pytest

from channels1 import Message
from consumers.frames import json_object


def frame(text):
    return Message({"text": text, "path": "/ws/chat/x/"}, "websocket.receive", None)


def test_a_json_object_reads_as_a_dict():
    assert json_object(frame('{"message": "hi"}')) == {"message": "hi"}


@pytest.mark.parametrize("text", ["", "not json", "[1, 2]", '"a string"', "{", "[" * 100_000 + "]" * 100_000,
                                  '{"a":' * 50_000 + "1" + "}" * 50_000])
def test_anything_else_reads_as_none(text):
    assert json_object(frame(text)) is None


def test_a_binary_frame_reads_as_none():
    assert json_object(Message({"bytes": b"{}", "path": "/"}, "websocket.receive", None)) is None
