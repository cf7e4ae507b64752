"""Wire format of the layer: msgpack bodies, and the envelopes that carry them on
process lists (one envelope may address many channels of one process)."""

import base64
import functools
import hashlib
import random

import msgpack

from channels.exceptions import MessageTooLarge

# The types of values a shallow copy of a message shares safely: none can change.
IMMUTABLE_TYPES = frozenset({str, bytes, int, float, bool, type(None)})


def make_crypter(keys):
    """The message encryption of asgi_redis and channels_redis, so the same
    ``symmetric_encryption_keys`` work: Fernet keyed by the SHA-256 of each key; the
    first key encrypts, every key decrypts. None without keys."""
    if not keys:
        return None
    if isinstance(keys, (str, bytes)):
        raise ValueError("symmetric_encryption_keys must be a list of keys, not a single key")
    from cryptography.fernet import Fernet, MultiFernet

    return MultiFernet([
        Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode("utf8") if isinstance(key, str) else key).digest()))
        for key in keys
    ])


def pack_message(channel, message, max_size, crypter=None):
    """Serialise a message dict (bytes and str stay distinct), encrypted if a
    crypter is given."""
    if not isinstance(message, dict):
        raise TypeError(f"Message sent to {channel!r} must be a dict, not {type(message).__name__}")
    body = msgpack.packb(message, use_bin_type=True)
    if crypter is not None:
        body = crypter.encrypt(body)
    if len(body) > max_size:
        raise MessageTooLarge(
            f"Message to {channel!r} is {len(body)} bytes packed, "
            f"over the layer's max_message_size of {max_size} bytes"
        )
    return body


def unpack_message(body, crypter=None):
    if crypter is not None:
        body = crypter.decrypt(body)
    return msgpack.unpackb(body, raw=False)


def unpack_shared(body, crypter=None):
    """For a body that several receivers get: a function returning a message of
    their own on each call. Decrypted and unpacked once, and copied, when the
    message is a dict of values none can change; else unpacked for each."""
    if crypter is not None:
        body = crypter.decrypt(body)
    message = msgpack.unpackb(body, raw=False)
    if isinstance(message, dict) and all(type(value) in IMMUTABLE_TYPES for value in message.values()):
        return functools.partial(dict, message)
    return functools.partial(unpack_message, body)


def new_envelope_id():
    """An id for an envelope, unique among those one process reads (``random`` is
    seeded again in a forked child)."""
    return random.getrandbits(63)


def pack_envelope(sent_ms, channels, body):
    """An envelope for a process list: when it was sent, the target channel name (or
    list of names, for group fan-out), the packed message, and an id by which the
    receiving process knows an envelope it read before (written again by a retried
    send, or left on a promoted replica that missed the pop)."""
    return msgpack.packb((sent_ms, channels, body, new_envelope_id()), use_bin_type=True)


def unpack_envelope(data):
    """Returns (sent_ms, [channel names], body, id); the id is None in an envelope
    written without one."""
    sent_ms, channels, body, *rest = msgpack.unpackb(data, raw=True)
    envelope_id = rest[0] if rest else None
    if isinstance(channels, bytes):
        return sent_ms, [channels.decode()], body, envelope_id
    return sent_ms, [name.decode() for name in channels], body, envelope_id
