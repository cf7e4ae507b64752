"""The headers of an ASGI 1.0 message as (lowercase bytes name, bytes value) pairs:
from the list of pairs Daphne sends, or the ``{name: value}`` dict of 1.x-era
messages; entries that are not a name and a value are skipped."""


def header_items(message):
    headers = message.get("headers") or ()
    if isinstance(headers, dict):
        headers = headers.items()
    items = []
    for entry in headers:
        try:
            name, value = entry
        except (TypeError, ValueError):
            continue
        name, value = _bytes(name), _bytes(value)
        if name is not None and value is not None:
            items.append((name.lower(), value))
    return items


def _bytes(value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return None
