"""A group send in one round trip where it can: one script drops the expired members,
reads the others and writes to those whose stream or process list lives beside the
group; the members it hands back are written as any send is. Async and sync sends share it."""

from ._batcher import GROUP
from ._codec import new_envelope_id
from ._scripts import _DELIVER, Script

# Groups whose targets beside them are remembered; past this, all are forgotten.
GROUPS_KEPT = 10_000
# Why a target key a group send met is moved aside.
WRONG_TYPE = "not a stream or list a group send can write to"
# Longer member names are not channel names.
NAME_LENGTH = 100

# KEYS[1]: a group's sorted set of members. ARGV: now_ms, expiry_ms, consumer group,
# members older than this ms are dropped, the packed message, the id of its envelopes
# (one per process, each in another process's list), then (name, key,
# capacity) for each target the script may write to: those known to live beside the
# group, named by a normal channel's name or a process's "<name>!". One write per normal channel (the message) and one per process (an
# envelope naming its members), as the layer's own sends make them.
# Returns {writes, handed back}: a write is {status, key, members, first member} when
# sent (status 1), {status, key, members, every member...} when full (0) or when the
# key is of the wrong type (-1); the members handed back are those of other targets,
# names the script cannot vouch for, and those of a write that failed otherwise.
GROUP_SEND = Script(_DELIVER + """
local now, expiry, group, body, envelope_id = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[5], ARGV[6]
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", tonumber(ARGV[4]))
local members = redis.call("ZRANGE", KEYS[1], 0, -1)
local targets, capacities = {}, {}
for i = 7, #ARGV, 3 do
    targets[ARGV[i]] = ARGV[i + 1]
    capacities[ARGV[i + 1]] = tonumber(ARGV[i + 2])
end
local writes, handed_back, processes, by_process = {}, {}, {}, {}

local function write(key, kind, data, names)
    local ok, sent = pcall(deliver, key, kind, capacities[key], data, group, now, expiry)
    local status = 1
    if not ok then
        local error = type(sent) == "table" and sent.err or tostring(sent)
        if string.find(error, "WRONGTYPE", 1, true) ~= 1 then
            -- Not for this script to answer (a cluster's slot on the move, say): a send
            -- naming the key in full is made for these members instead.
            for _, name in ipairs(names) do handed_back[#handed_back + 1] = name end
            return
        end
        status = -1
    elseif sent == 0 then
        status = 0
    end
    local entry = {status, key, #names}
    if status == 1 then
        entry[4] = names[1]
    else
        for _, name in ipairs(names) do entry[#entry + 1] = name end
    end
    writes[#writes + 1] = entry
end

-- Locals, not the globals' tables, in the loop over every member.
local find, sub = string.find, string.sub
for _, member in ipairs(members) do
    local key
    local bang = find(member, "!", 1, true)
    if #member < """ + str(NAME_LENGTH) + """ then
        if not bang then
            key = targets[member]
        elseif find(member, "^[%w%-_.]*$", bang + 1) then
            key = targets[sub(member, 1, bang)]
        end
    end
    -- A target is only known from a member name the layer checked, so a known one
    -- vouches for the name (for a process, up to its "!").
    if key then
        if bang then
            local names = by_process[key]
            if not names then
                names = {}
                by_process[key] = names
                processes[#processes + 1] = key
            end
            names[#names + 1] = member
        else
            write(key, "s", body, {member})
        end
    else
        handed_back[#handed_back + 1] = member
    end
end
for _, key in ipairs(processes) do
    write(key, "l", cmsgpack.pack({now, by_process[key], body, envelope_id}), by_process[key])
end
return {writes, handed_back}
""")


class GroupSends:
    """What a layer knows of each group: the targets (a normal channel's stream, a
    process's list) beside it, with their capacities, learnt from the members the
    script hands back and renewed by every send. A group send is ``call()``, the
    script run, then ``settle()``, then the returned writes made as sends. When
    replicas are to confirm writes, the script only reads the members: every write
    then goes through a batcher, which waits for the replicas and never sends twice."""

    def __init__(self, layer, placement):
        self._layer = layer
        self._placement = placement
        self._beside = {}  # group key -> {target key: (name in the script, capacity)}

    def call(self, group_key, body, now):
        """The keys and arguments of the script for a send of ``body`` at ``now``."""
        layer = self._layer
        args = [now, layer.expiry * 1000, GROUP, now - layer.group_expiry * 1000, body, new_envelope_id()]
        beside = self._beside.get(group_key, {}) if layer.replica_acks is None else {}
        for key, (name, capacity) in beside.items():
            args += (name, key, capacity)
        return [group_key], args

    @staticmethod
    def wrote_streams(reply):
        """Whether the script wrote to a normal channel's stream (not only to processes)."""
        return any(status == 1 and b"!" not in names[0] for status, _, _, *names in reply[0])

    def settle(self, group_key, body, now, reply, member_channel):
        """Count the script's writes and learn from them; returns (the members of each
        full write, the keys of the wrong type, the writes still to make as
        ``_group_writes`` gives them). ``member_channel`` checks a handed-back member."""
        layer = self._layer
        written, handed_back = reply
        known = self._beside.get(group_key, {})
        beside, full, wrong_type = {}, [], []
        for status, key, count, *names in written:
            key, names = key.decode(), [name.decode() for name in names]
            beside[key] = known.get(key) or _target(layer, names[0])  # renewed meanwhile
            if status == -1:
                wrong_type.append(key)
                continue
            layer.stats.count("sent" if status == 1 else "full", names[0], count)
            if status == 0:
                full.append(names)
        writes = layer._group_writes(handed_back, body, now, member_channel)
        group_unit = self._placement.index(group_key)
        for channel, _, key, _, _ in writes:
            if self._placement.index(key) == group_unit:
                beside[key] = _target(layer, channel)
        if len(self._beside) >= GROUPS_KEPT:
            self._beside.clear()
        self._beside[group_key] = beside
        return full, wrong_type, writes


def _target(layer, channel):
    """How the script names a member's target, and the target's capacity."""
    name = channel.partition("!")[0] + "!" if "!" in channel else channel
    return name, layer.get_capacity(channel)
