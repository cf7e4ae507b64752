"""Reading the JSON frames of the project's sockets: a frame that is not a JSON
object, however malformed or deeply nested, reads as None instead of raising in
the worker."""

import json


def json_object(message):
    """The frame's text as a dict, or None."""
    try:
        value = json.loads(message.get("text") or "")
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None
