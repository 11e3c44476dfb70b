-- KEYS: hash per item. ARGV[i]: JSON { gen?, seq? } per item.
--- @include "pending.lua"
for i, H in ipairs(KEYS) do
  local item = cjson.decode(ARGV[i])
  if item.gen and item.gen > num(redis.call('HGET', H, 'enqGen')) then redis.call('HSET', H, 'enqGen', item.gen) end
  if item.seq and item.seq > num(redis.call('HGET', H, 'updEnq')) then redis.call('HSET', H, 'updEnq', item.seq) end
end
return 1
