-- KEYS: hash. ARGV: version rendered. Returns the seq of a follow-up update, or 0.
--- @include "pending.lua"
local H = KEYS[1]
local mine = tonumber(ARGV[1])
if mine > num(redis.call('HGET', H, 'renderedVer')) then redis.call('HSET', H, 'renderedVer', mine) end
if num(redis.call('HGET', H, 'ver')) > mine and nonempty(redis.call('HGET', H, 'rootTs')) then
  return pending(H) or 0
end
return 0
