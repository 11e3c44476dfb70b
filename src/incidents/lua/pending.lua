-- Shared by the alert incident scripts: mark an update pending and return its seq when it
-- still needs enqueueing; number and non-empty helpers.
local function pending(H)
  if redis.call('HGET', H, 'updPending') ~= '1' then
    redis.call('HSET', H, 'updPending', '1')
    redis.call('HINCRBY', H, 'updSeq', 1)
  end
  local seq = tonumber(redis.call('HGET', H, 'updSeq') or '0')
  local enq = tonumber(redis.call('HGET', H, 'updEnq') or '0')
  if seq > enq then return seq end
  return nil
end
local function num(v) return tonumber(v or '0') or 0 end
local function nonempty(v) return v and v ~= '' end
