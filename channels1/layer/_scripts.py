"""Lua scripts run by the layer, so that each step of a send, a batched receive,
a redelivery or a visibility extension is one atomic server-side call."""

import hashlib

from redis.exceptions import NoScriptError


class Script:
    """A Lua script called by its SHA-1; loaded again if the server forgot it."""

    def __init__(self, source):
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    def queue(self, pipe, keys, args):
        pipe.execute_command("EVALSHA", self.sha, len(keys), *keys, *args)

    async def load(self, client):
        await client.script_load(self.source)

    async def __call__(self, client, keys, args):
        try:
            return await client.execute_command("EVALSHA", self.sha, len(keys), *keys, *args)
        except NoScriptError:
            await self.load(client)
            return await client.execute_command("EVALSHA", self.sha, len(keys), *keys, *args)

# KEYS: target keys. ARGV: now_ms, expiry_ms, group, then (kind, capacity, data) per
# key. kind "s" is a normal channel's stream, kind "l" is a process's list.
# A stream's capacity counts the messages nobody has taken yet: its length less the
# entries pending with receivers.
# Returns one 1 (sent) or 0 (full) per key.
SEND = Script("""
local now = tonumber(ARGV[1])
local expiry = tonumber(ARGV[2])
local group = ARGV[3]
local minid = tostring(now - expiry)
local result = {}
for i, key in ipairs(KEYS) do
    local base = 4 + (i - 1) * 3
    local kind, capacity, data = ARGV[base], tonumber(ARGV[base + 1]), ARGV[base + 2]
    if kind == "s" then
        redis.call("XTRIM", key, "MINID", minid)
        local waiting = redis.call("XLEN", key)
        if waiting >= capacity then
            local pending = redis.pcall("XPENDING", key, group)
            if type(pending) == "table" and not pending.err then
                waiting = waiting - pending[1]
            end
        end
        if waiting >= capacity then
            result[i] = 0
        else
            redis.call("XADD", key, "*", "m", data)
            result[i] = 1
        end
    else
        if redis.call("LLEN", key) >= capacity then
            result[i] = 0
        else
            redis.call("RPUSH", key, data)
            redis.call("PEXPIRE", key, expiry)
            result[i] = 1
        end
    end
end
return result
""")

# KEYS: streams of normal channels. ARGV: group, consumer, count, min_idle_ms,
# max_deliveries.
# Takes over messages whose holder has been silent for min_idle_ms, dropping those
# delivered max_deliveries times already.
# Returns {taken, dropped}: taken is flat (stream index, id, body, deliveries)*,
# dropped is flat (stream index, id, deliveries)*.
RECLAIM = Script("""
local group, consumer = ARGV[1], ARGV[2]
local count, min_idle, max_deliveries = tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
local taken, dropped = {}, {}
local got = 0
for index, key in ipairs(KEYS) do
    if got >= count then break end
    local pending = redis.call("XPENDING", key, group, "IDLE", min_idle, "-", "+", count - got)
    for _, item in ipairs(pending) do
        local id, times = item[1], item[4]
        if times >= max_deliveries then
            redis.call("XACK", key, group, id)
            redis.call("XDEL", key, id)
            dropped[#dropped + 1] = index
            dropped[#dropped + 1] = id
            dropped[#dropped + 1] = times
        else
            -- An entry trimmed away as expired is not returned, and XCLAIM forgets it.
            for _, entry in ipairs(redis.call("XCLAIM", key, group, consumer, min_idle, id)) do
                taken[#taken + 1] = index
                taken[#taken + 1] = entry[1]
                taken[#taken + 1] = entry[2][2]
                taken[#taken + 1] = times + 1
                got = got + 1
            end
        end
    end
end
return {taken, dropped}
""")

# KEYS[1]: a stream. ARGV: group, consumer, ids...
# Resets the idle time of the messages this consumer still holds, so that nobody
# reclaims a message whose consumer is still running.
EXTEND = Script("""
local key, group, consumer = KEYS[1], ARGV[1], ARGV[2]
local kept = 0
for i = 3, #ARGV do
    local held = redis.call("XPENDING", key, group, ARGV[i], ARGV[i], 1, consumer)
    if held[1] then
        redis.call("XCLAIM", key, group, consumer, 0, ARGV[i], "JUSTID")
        kept = kept + 1
    end
end
return kept
""")

# KEYS: streams. ARGV: group, consumer.
# Forgets this consumer on each stream where it holds nothing any more.
FORGET_CONSUMER = Script("""
for _, key in ipairs(KEYS) do
    local held = redis.pcall("XPENDING", key, ARGV[1], "-", "+", 1, ARGV[2])
    if type(held) == "table" and not held.err and not held[1] then
        redis.call("XGROUP", "DELCONSUMER", key, ARGV[1], ARGV[2])
    end
end
return 1
""")
