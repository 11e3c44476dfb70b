-- Consume an approval once. KEYS: record, its "used" hash. ARGV: action, now, entry, ttl.
-- Returns {'missing'}, {'expired', expiresAt}, {'used', previous entry} or {'ok'}.
local raw = redis.call('GET', KEYS[1])
if not raw then return {'missing'} end
local record = cjson.decode(raw)
if tonumber(ARGV[2]) >= tonumber(record.expiresAt) then return {'expired', tostring(record.expiresAt)} end
local previous = redis.call('HGET', KEYS[2], ARGV[1])
if previous then return {'used', previous} end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
return {'ok'}
