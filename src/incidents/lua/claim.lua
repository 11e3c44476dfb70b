-- KEYS: hash. ARGV: openedAt, now. 1 when the caller may post the (node) root; claims expire after 60 s.
--- @include "pending.lua"
local f = redis.call('HMGET', KEYS[1], 'openedAt', 'rootTs', 'rootClaim')
if num(f[1]) ~= tonumber(ARGV[1]) or nonempty(f[2]) then return 0 end
if nonempty(f[3]) and tonumber(ARGV[2]) - num(f[3]) < 60000 then return 0 end
redis.call('HSET', KEYS[1], 'rootClaim', ARGV[2])
return 1
