"""Lua scripts run by the layer, so that each step of a send, a batched receive,
a redelivery, a visibility extension or a move of due delayed messages is one
atomic server-side call."""

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

    def call_now(self, client, keys, args):
        """``__call__`` for sync code, with a blocking ``client``."""
        try:
            return client.execute_command("EVALSHA", self.sha, len(keys), *keys, *args)
        except NoScriptError:
            client.script_load(self.source)
            return client.execute_command("EVALSHA", self.sha, len(keys), *keys, *args)

# Puts data on a channel's key unless it is at capacity: 0 if full, else the entry id
# of the message (a stream) or 1 (a list). kind "s" is a normal channel's stream, kind
# "l" is a process's list. A stream's capacity counts the messages nobody has taken
# yet: its length less the entries pending with receivers.
_DELIVER = """
local function deliver(key, kind, capacity, data, group, now, expiry)
    if kind == "s" then
        redis.call("XTRIM", key, "MINID", tostring(now - expiry))
        local waiting = redis.call("XLEN", key)
        if waiting >= capacity then
            local pending = redis.pcall("XPENDING", key, group)
            if type(pending) == "table" and not pending.err then
                waiting = waiting - pending[1]
            end
        end
        if waiting >= capacity then
            return 0
        end
        return redis.call("XADD", key, "*", "m", data)
    end
    if redis.call("LLEN", key) >= capacity then
        return 0
    end
    redis.call("RPUSH", key, data)
    redis.call("PEXPIRE", key, expiry)
    return 1
end
"""

# KEYS: target keys. ARGV: now_ms, expiry_ms, group, then (kind, capacity, data) per
# key. Returns per key 0 (full), or the entry id of the message (a stream) or 1 (a list).
SEND = Script(_DELIVER + """
local now = tonumber(ARGV[1])
local expiry = tonumber(ARGV[2])
local group = ARGV[3]
local result = {}
for i, key in ipairs(KEYS) do
    local base = 4 + (i - 1) * 3
    result[i] = deliver(key, ARGV[base], tonumber(ARGV[base + 1]), ARGV[base + 2], group, now, expiry)
end
return result
""")

# KEYS[1]: the sorted set of delayed messages, scored by when they are due.
# ARGV: expiry_ms, group, limit, retry_ms.
# Each member is "kind\ncapacity\nkey\nchannel\nid\n" then the packed message
# (an envelope is made here for a process's list, so it counts as sent now; its id
# is the delayed message's).
# Moves up to limit due messages onto their channels in one atomic step, so that
# several delay processes never deliver one twice; a message whose channel is full
# is due again retry_ms later. Due is read on the server's clock, as stream ids
# are. Returns {sent, full, ms until the next is due (-1: none left)}.
MOVE_DUE = Script(_DELIVER + """
local time = redis.call("TIME")
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local expiry = tonumber(ARGV[1])
local group = ARGV[2]
local sent, full = 0, 0
local due = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", now, "LIMIT", 0, tonumber(ARGV[3]))
for _, member in ipairs(due) do
    local fields, position = {}, 1
    for i = 1, 5 do
        local newline = string.find(member, "\\n", position, true)
        fields[i] = string.sub(member, position, newline - 1)
        position = newline + 1
    end
    local kind, capacity, key, channel = fields[1], tonumber(fields[2]), fields[3], fields[4]
    local data = string.sub(member, position)
    if kind == "l" then
        data = cmsgpack.pack({now, channel, data, "delayed:" .. fields[5]})
    end
    if deliver(key, kind, capacity, data, group, now, expiry) ~= 0 then
        redis.call("ZREM", KEYS[1], member)
        sent = sent + 1
    else
        redis.call("ZADD", KEYS[1], now + tonumber(ARGV[4]), member)
        full = full + 1
    end
end
local next = redis.call("ZRANGE", KEYS[1], 0, 0, "WITHSCORES")
local wait = -1
if next[2] then
    wait = math.max(0, tonumber(next[2]) - now)
end
return {sent, full, wait}
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
                -- The body is field m; false (nil) for a malformed entry, set aside by the reader.
                local body = false
                for f = 1, #entry[2], 2 do
                    if entry[2][f] == "m" then body = entry[2][f + 1] end
                end
                taken[#taken + 1] = index
                taken[#taken + 1] = entry[1]
                taken[#taken + 1] = body
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

# KEYS: streams. ARGV: group, min_idle_ms.
# Forgets the consumers that hold nothing and have not read for min_idle_ms: processes
# that died, once their messages were taken over. A live one reading again comes back.
# Returns the names forgotten, flat (stream index, name)*.
FORGET_IDLE_CONSUMERS = Script("""
local forgotten = {}
for index, key in ipairs(KEYS) do
    local consumers = redis.pcall("XINFO", "CONSUMERS", key, ARGV[1])
    if type(consumers) == "table" and not consumers.err then
        for _, fields in ipairs(consumers) do
            local info = {}
            for f = 1, #fields, 2 do info[fields[f]] = fields[f + 1] end
            if info["pending"] == 0 and info["idle"] >= tonumber(ARGV[2]) then
                redis.call("XGROUP", "DELCONSUMER", key, ARGV[1], info["name"])
                forgotten[#forgotten + 1] = index
                forgotten[#forgotten + 1] = info["name"]
            end
        end
    end
end
return forgotten
""")

# KEYS: a stream. ARGV: group, consumer, count, "1" for a read without pending entries
# (at-most-once) else "0", then ids to acknowledge and delete. Returns what a read that
# does not block returns: the new entries, up to count, or nil.
READ_AFTER_ACKS = Script("""
local group, consumer, count = ARGV[1], ARGV[2], ARGV[3]
if #ARGV > 4 then
    local ids = {unpack(ARGV, 5)}
    redis.call("XACK", KEYS[1], group, unpack(ids))
    redis.call("XDEL", KEYS[1], unpack(ids))
end
if ARGV[4] == "1" then
    return redis.call("XREADGROUP", "GROUP", group, consumer, "COUNT", count, "NOACK", "STREAMS", KEYS[1], ">")
end
return redis.call("XREADGROUP", "GROUP", group, consumer, "COUNT", count, "STREAMS", KEYS[1], ">")
""")
