-- Record one approval of an action, atomically. KEYS: record, its "used" hash.
-- ARGV: action, now, entry (signed JSON), ttl, approvals required (1 or 2), approver,
-- the entry to keep as the first of two approvals.
-- Returns {'missing'}, {'expired', expiresAt}, {'revoked', entry}, {'used', entry},
-- {'same', first entry} (this approver already gave the first of two), {'first'} (the first of
-- two approvals was recorded) or {'ok'} (the action may run).
local raw = redis.call('GET', KEYS[1])
if not raw then return {'missing'} end
local record = cjson.decode(raw)
if tonumber(ARGV[2]) >= tonumber(record.expiresAt) then return {'expired', tostring(record.expiresAt)} end
local revoked = redis.call('HGET', KEYS[2], 'revoked')
if revoked then return {'revoked', revoked} end
local previous = redis.call('HGET', KEYS[2], ARGV[1])
if previous then return {'used', previous} end
if tonumber(ARGV[5]) >= 2 then
  local firstField = 'first:' .. ARGV[1]
  local first = redis.call('HGET', KEYS[2], firstField)
  if not first then
    redis.call('HSET', KEYS[2], firstField, ARGV[7])
    redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
    return {'first'}
  end
  if cjson.decode(first).by == ARGV[6] then return {'same', first} end
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
return {'ok'}
