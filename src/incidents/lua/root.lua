-- KEYS: hash. ARGV: openedAt, rootTs, incidentId.
--- @include "pending.lua"
local f = redis.call('HMGET', KEYS[1], 'openedAt', 'rootTs')
if num(f[1]) ~= tonumber(ARGV[1]) or nonempty(f[2]) then return 0 end
redis.call('HSET', KEYS[1], 'rootTs', ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'incidentId', ARGV[3]) end
return 1
