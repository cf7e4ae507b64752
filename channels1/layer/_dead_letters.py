"""What a reader cannot use — an entry without its body, one that does not decode or
is not a dict, a key of the wrong type — is set aside instead of stopping the reader:
logged with its key, recorded in the dead-letter list that `channels_status` shows,
counted, and (a whole key) renamed out of the way, kept for a week."""

import json
import logging
import time

from ._batcher import _log_failure
from .keys import DEAD_LETTERS_KEPT, dead_letters_key

logger = logging.getLogger("channels1.layer")

SHOWN_BYTES = 200
ASIDE_SECONDS = 7 * 86400


def is_wrong_type(error):
    return str(error).startswith("WRONGTYPE")


def set_aside(layer, shards, key, reason, id=None, data=None, counted_as=None):
    """Record one unusable entry of ``key`` (its ``id`` in a stream, if any, and what
    it held); the caller acknowledges or drops it."""
    for command in _set_aside_commands(layer, key, reason, id, data, counted_as):
        shards.batcher(command[1]).command(*command).add_done_callback(_log_failure)


def set_aside_now(layer, hosts, key, reason, data=None):
    """``set_aside()`` for sync code, recorded at once through blocking ``hosts``."""
    hosts.execute(_set_aside_commands(layer, key, reason, None, data, None))


async def move_aside(layer, shards, key, reason):
    """Rename a whole key the layer cannot use (of the wrong type) out of the way, so
    that the channel or group starts afresh; recorded like an entry. The new name keeps
    the key's hash tag, so the key stays where it is."""
    await shards.execute(_move_aside_commands(layer, key, reason), raise_on_error=False)  # gone already: nothing left to move


def move_aside_now(layer, hosts, key, reason):
    """``move_aside()`` for sync code, through blocking ``hosts``."""
    hosts.execute(_move_aside_commands(layer, key, reason), raise_on_error=False)


def _set_aside_commands(layer, key, reason, id, data, counted_as):
    what = f"entry {id.decode() if isinstance(id, bytes) else id}" if id is not None else "an entry"
    logger.error("Set aside %s of %s: %s", what, key, reason)
    layer.stats.count("set_aside", counted_as or key)
    return _record(layer, key, reason, id, data)


def _move_aside_commands(layer, key, reason):
    aside = f"{layer.prefix}:aside:{key}"
    logger.error("Moved %s aside to %s: %s", key, aside, reason)
    layer.stats.count("set_aside", key)
    return [("RENAME", key, aside), ("EXPIRE", aside, ASIDE_SECONDS),
            *_record(layer, key, f"{reason}; moved to {aside}", None, None)]


def _record(layer, key, reason, id, data):
    entry = json.dumps({
        "key": key, "id": id.decode() if isinstance(id, bytes) else id, "reason": reason,
        "data": None if data is None else repr(data)[:SHOWN_BYTES], "at": time.time(),
    })
    dead = dead_letters_key(layer.prefix)
    return [("LPUSH", dead, entry), ("LTRIM", dead, 0, DEAD_LETTERS_KEPT - 1)]
