"""Wire format of the layer: msgpack bodies, and the envelopes that carry them on
process lists (one envelope may address many channels of one process)."""

import msgpack

from channels.exceptions import MessageTooLarge


def pack_message(channel, message, max_size):
    """Serialise a message dict; bytes and str stay distinct."""
    if not isinstance(message, dict):
        raise TypeError(f"Message sent to {channel!r} must be a dict, not {type(message).__name__}")
    body = msgpack.packb(message, use_bin_type=True)
    if len(body) > max_size:
        raise MessageTooLarge(
            f"Message to {channel!r} is {len(body)} bytes packed, "
            f"over the layer's max_message_size of {max_size} bytes"
        )
    return body


def unpack_message(body):
    return msgpack.unpackb(body, raw=False)


def pack_envelope(sent_ms, channels, body):
    """An envelope for a process list: when it was sent, the target channel name (or
    list of names, for group fan-out) and the packed message."""
    return msgpack.packb((sent_ms, channels, body), use_bin_type=True)


def unpack_envelope(data):
    """Returns (sent_ms, [channel names], body)."""
    sent_ms, channels, body = msgpack.unpackb(data, raw=True)
    if isinstance(channels, bytes):
        return sent_ms, [channels.decode()], body
    return sent_ms, [name.decode() for name in channels], body
