"""``asgi_redis.RedisChannelLayer``: the layer with asgi_redis 1.4's CONFIG keys,
defaults and message encryption."""

import base64
import hashlib

import msgpack
import pytest
from cryptography.fernet import Fernet

from asgi_redis import RedisChannelLayer, RedisLocalChannelLayer


def asgi_redis_fernet(key):
    """How asgi_redis 1.4 turned a symmetric_encryption_keys entry into a Fernet."""
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode("utf8")).digest()))


def test_defaults_are_asgi_redis_ones():
    layer = RedisChannelLayer()
    assert layer.hosts == ["redis://localhost:6379/0"]
    assert (layer.prefix, layer.expiry, layer.group_expiry, layer.capacity) == ("asgi", 60, 86400, 100)
    assert layer.stats_prefix == "asgi-meta:"
    assert RedisLocalChannelLayer is RedisChannelLayer


def test_hosts_are_tuples_or_urls_and_never_a_bare_string():
    assert RedisChannelLayer(hosts=[("redis.example", 6380)]).hosts == ["redis://redis.example:6380/0"]
    assert RedisChannelLayer(hosts=["redis://redis.example:6381/2"]).hosts == ["redis://redis.example:6381/2"]
    with pytest.raises(ValueError, match="single string"):
        RedisChannelLayer(hosts="redis://redis.example")


def test_channel_capacity_takes_globs_first_match_wins():
    layer = RedisChannelLayer(capacity=10, channel_capacity={"http.request": 200, "websocket.*": 20})
    assert layer.get_capacity("http.request") == 200
    assert layer.get_capacity("websocket.receive") == 20
    assert layer.get_capacity("other") == 10


async def test_messages_are_stored_encrypted_as_asgi_redis_did(layer_hosts, layer_redis, layer_prefix):
    layer = RedisChannelLayer(hosts=layer_hosts, prefix=f"{layer_prefix}:", symmetric_encryption_keys=["s3cret"])
    try:
        await layer.send("secret.channel", {"text": "classified"})
        key = f"{layer_prefix}:c:{{secret.channel}}"
        (entry_id, fields), = layer_redis.of(key).xrange(key)
        stored = next(value for value in fields.values() if value.startswith(b"gAAAA"))
        assert b"classified" not in stored
        assert msgpack.unpackb(asgi_redis_fernet("s3cret").decrypt(stored)) == {"text": "classified"}
        assert await layer.receive("secret.channel") == {"text": "classified"}
    finally:
        await layer.close()


async def test_every_key_decrypts_and_the_first_encrypts(layer_hosts, layer_prefix, caplog):
    old = RedisChannelLayer(hosts=layer_hosts, prefix=layer_prefix, symmetric_encryption_keys=["old"])
    rotated = RedisChannelLayer(hosts=layer_hosts, prefix=layer_prefix, symmetric_encryption_keys=["new", "old"])
    try:
        await old.send("rotating", {"n": 1})
        assert await rotated.receive("rotating") == {"n": 1}
        await rotated.group_add("g", "rotating")
        await rotated.group_send("g", {"n": 2})
        # Sent under "new", which the old layer lacks: dropped with an error naming the channel.
        assert await old.receive_batch(["rotating"], block=False) == []
        assert "undecodable message" in caplog.text and "rotating" in caplog.text
    finally:
        await old.close()
        await rotated.close()


async def test_connection_kwargs_reach_the_redis_client(layer_hosts, layer_prefix):
    layer = RedisChannelLayer(hosts=layer_hosts, prefix=layer_prefix, connection_kwargs={"client_name": "legacy-app"})
    try:
        await layer.send("named", {"n": 1})
        runtime = next(iter(layer._runtimes.values()))
        for client in runtime.shards.clients:
            assert await client.client_getname() == "legacy-app"
    finally:
        await layer.close()
