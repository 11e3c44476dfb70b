-- KEYS: hash, root. ARGV: openedAt, gen, renderedVer, snapshot ('' for none), ttl, planId ('' for none).
--- @include "pending.lua"
local H = KEYS[1]
local f = redis.call('HMGET', H, 'openedAt', 'doneGen', 'renderedVer', 'ver', 'rootTs', 'updPending', 'updSeq', 'updEnq')
if num(f[1]) ~= tonumber(ARGV[1]) then return cjson.encode({}) end
if tonumber(ARGV[2]) > num(f[2]) then redis.call('HSET', H, 'doneGen', ARGV[2]) end
if ARGV[4] ~= '' then redis.call('SET', KEYS[2], ARGV[4], 'EX', ARGV[5]) end
if ARGV[6] ~= '' then redis.call('HSET', H, 'planId', ARGV[6]) end
local rendered = math.max(num(f[3]), tonumber(ARGV[3]))
redis.call('HSET', H, 'renderedVer', rendered)
local seq = nil
if num(f[4]) > rendered and nonempty(f[5]) then
  seq = pending(H)
elseif f[6] == '1' and num(f[7]) > num(f[8]) then
  seq = num(f[7])
end
if seq then return cjson.encode({ seq = seq, openedAt = num(f[1]) }) end
return cjson.encode({})
