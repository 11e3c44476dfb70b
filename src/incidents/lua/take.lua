-- KEYS: hash, active, pods, root. ARGV: openedAt, seq.
--- @include "pending.lua"
local H = KEYS[1]
if num(redis.call('HGET', H, 'openedAt')) ~= tonumber(ARGV[1]) then return false end
if num(redis.call('HGET', H, 'updSeq')) == tonumber(ARGV[2]) then redis.call('HSET', H, 'updPending', '0') end
return { redis.call('HGETALL', H), redis.call('HLEN', KEYS[2]), redis.call('SCARD', KEYS[3]), redis.call('GET', KEYS[4]) or '' }
