"""Sends that a batch may write again without doubling them: each script call of a
batch carries a token, and the script keeps its result under that token for a
while, so a call written again after its connection died (a failover) returns what
the first one did instead of sending twice."""

import uuid

from ._scripts import _DELIVER, SEND, Script

# How long a token remembers its call: well past a batch's last try.
TOKEN_MS = 60_000

# KEYS[1]: the token's key; then SEND's keys. ARGV: the token's lifetime in ms, then
# SEND's arguments. Returns what SEND returned, the first time or again.
SEND_ONCE = Script(_DELIVER + """
local done = redis.call("GET", KEYS[1])
if done then
    return cjson.decode(done)
end
local now = tonumber(ARGV[2])
local expiry = tonumber(ARGV[3])
local group = ARGV[4]
local result = {}
for i = 2, #KEYS do
    local base = 5 + (i - 2) * 3
    result[i - 1] = deliver(KEYS[i], ARGV[base], tonumber(ARGV[base + 1]), ARGV[base + 2], group, now, expiry)
end
redis.call("SET", KEYS[1], cjson.encode(result), "PX", ARGV[1])
return result
""")


def token_key(key):
    """A new token's key beside ``key`` (``<prefix>:<kind>:{tag}``): in its slot."""
    head, brace, rest = key.partition("{")
    token = uuid.uuid4().hex
    if not brace:
        return f"{key}:once:{token}"
    prefix = head.rstrip(":").rpartition(":")[0] or head.rstrip(":")
    return f"{prefix}:once:{{{rest.partition('}')[0]}}}:{token}"


def send_call(keys, args, once):
    """The EVALSHA of one script call carrying sends to ``keys``; with ``once``, one
    that can be written again without sending twice."""
    if once:
        return ("EVALSHA", SEND_ONCE.sha, len(keys) + 1, token_key(keys[0]), *keys, TOKEN_MS, *args)
    return ("EVALSHA", SEND.sha, len(keys), *keys, *args)
