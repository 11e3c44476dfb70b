-- KEYS: 6 per incident (hash, active, seen, pods, root, workload index).
-- ARGV[1]: JSON { now, window, ttl, stale, cap?, incidents: [{ key, kind, cluster, namespace,
-- workload, container, node, channel, alerts: [{ id, fp, s, e, st, pod }] }] }.
-- cap: { max, windowMs, prefix }: at most `max` incidents opened per channel and fixed window;
-- past it an incident is held (not opened, no diagnosis): recorded in the channel's held hash
-- `prefix .. channel .. ':' .. bucket` (field: incident key, value: alerts in its last delivery),
-- and a new held incident bumps that window's seq (its summary's job id). The cap keys share
-- QUEUE_PREFIX (and so its hash tag) with the incident keys.
--- @include "pending.lua"
local args = cjson.decode(ARGV[1])
local now, window, ttl, stale = args.now, args.window, args.ttl, args.stale
local cap = args.cap
local out = {}

-- nil when the incident may open; else the held reference
local function hold(inc)
  if not cap then return nil end
  local bucket = math.floor(now / cap.windowMs)
  local base = cap.prefix .. inc.channel .. ':' .. bucket
  local expiry = math.ceil(cap.windowMs / 1000) * 2
  local opened = tonumber(redis.call('GET', base .. ':opened') or '0')
  if opened < cap.max then
    redis.call('INCR', base .. ':opened')
    redis.call('EXPIRE', base .. ':opened', expiry)
    return nil
  end
  local seq
  if redis.call('HSET', base .. ':held', inc.key, #inc.alerts) == 1 then
    seq = redis.call('INCR', base .. ':seq')
  else
    seq = tonumber(redis.call('GET', base .. ':seq') or '0')
  end
  for _, k in ipairs({ base .. ':held', base .. ':seq' }) do redis.call('EXPIRE', k, expiry) end
  return { channel = inc.channel, bucket = bucket, seq = seq }
end

for i, inc in ipairs(args.incidents) do
  local b = (i - 1) * 6
  local H, A, S, PODS, R, W = KEYS[b+1], KEYS[b+2], KEYS[b+3], KEYS[b+4], KEYS[b+5], KEYS[b+6]
  local f = redis.call('HMGET', H, 'state', 'resolvedAt', 'gen', 'doneGen', 'genAt', 'rootTs')
  local state, resolvedAt = f[1], num(f[2])
  local gen, doneGen, genAt = num(f[3]), num(f[4]), num(f[5])
  local rootTs = f[6]
  local lifecycle = 'unchanged'

  -- A resolve sent without the firing startsAt (amtool, scripts: Alertmanager then sets startsAt to
  -- endsAt) is the firing alert of the same fingerprint whose span it closes, as Alertmanager matches.
  for _, a in ipairs(inc.alerts) do
    if a.st == 'resolved' and redis.call('SISMEMBER', S, a.id) == 0 then
      local cur = redis.call('HGET', A, a.fp)
      if cur and tonumber(cur) < a.s and tonumber(cur) <= (a.e or a.s) then
        redis.call('SADD', S, a.id, a.id .. '|r')
        a.id, a.s = a.fp .. '|' .. cur, tonumber(cur)
      end
    end
  end

  local hasNew = false
  for _, a in ipairs(inc.alerts) do
    if redis.call('SISMEMBER', S, a.id) == 0 then hasNew = true break end
  end
  local opened = false
  local held = nil
  if hasNew and (not state or (state == 'resolved' and now - resolvedAt > window)) then held = hold(inc) end
  if held then
    out[#out + 1] = { key = inc.key, counted = 0, resolvedNow = 0, lifecycle = 'unchanged', held = held }
  else
  if hasNew then
    if not state or (state == 'resolved' and now - resolvedAt > window) then
      if state then redis.call('DEL', A, PODS, R) end
      gen = gen + 1
      redis.call('HSET', H, 'kind', inc.kind, 'cluster', inc.cluster, 'namespace', inc.namespace,
        'workload', inc.workload, 'container', inc.container, 'node', inc.node, 'channel', inc.channel,
        'state', 'open', 'openedAt', now, 'resolvedAt', 0, 'refiredAt', 0, 'lastSeen', 0,
        'alerts', 0, 'resolved', 0, 'reopens', 0, 'gen', gen, 'genAt', now, 'genThread', '',
        'rootTs', '', 'incidentId', '', 'ver', 0, 'renderedVer', 0, 'updPending', '0')
      redis.call('HDEL', H, 'planId', 'rootClaim')
      rootTs = ''
      opened = true
      lifecycle = 'opened'
      if inc.kind == 'workload' then
        redis.call('SADD', W, inc.key)
        redis.call('EXPIRE', W, ttl)
      end
    elseif state == 'resolved' then
      redis.call('HSET', H, 'state', 'open', 'resolvedAt', 0, 'refiredAt', now)
      redis.call('HINCRBY', H, 'reopens', 1)
      lifecycle = 'reopened'
      local busy = gen > doneGen and now - genAt < stale
      if inc.kind == 'workload' and nonempty(rootTs) and not busy then
        gen = gen + 1
        redis.call('HSET', H, 'gen', gen, 'genAt', now, 'genThread', rootTs)
      end
    end
  end

  local counted, resolvedNow, lastStart, maxEnd = 0, 0, 0, 0
  for _, a in ipairs(inc.alerts) do
    local id = a.id
    if redis.call('SADD', S, id) == 1 then
      counted = counted + 1
      if a.s > lastStart then lastStart = a.s end
      if a.pod and a.pod ~= '' then redis.call('SADD', PODS, a.pod) end
    end
    if a.st == 'firing' then
      if redis.call('SISMEMBER', S, id .. '|r') == 0 then
        local cur = redis.call('HGET', A, a.fp)
        if not cur or tonumber(cur) < a.s then redis.call('HSET', A, a.fp, a.s) end
      end
    elseif redis.call('SADD', S, id .. '|r') == 1 then
      resolvedNow = resolvedNow + 1
      local cur = redis.call('HGET', A, a.fp)
      if cur and tonumber(cur) <= a.s then redis.call('HDEL', A, a.fp) end
      local e = a.e or now
      if e > now then e = now end
      if e > maxEnd then maxEnd = e end
    end
  end
  if counted > 0 then
    redis.call('HINCRBY', H, 'alerts', counted)
    if lastStart > now then lastStart = now end
    if lastStart > num(redis.call('HGET', H, 'lastSeen')) then redis.call('HSET', H, 'lastSeen', lastStart) end
    if lifecycle == 'unchanged' then lifecycle = 'updated' end
  end
  if resolvedNow > 0 then
    redis.call('HINCRBY', H, 'resolved', resolvedNow)
    if lifecycle == 'unchanged' then lifecycle = 'updated' end
  end
  local cur = redis.call('HGET', H, 'state')
  if cur == 'open' and redis.call('HLEN', A) == 0 and (resolvedNow > 0 or opened) then
    if maxEnd == 0 then maxEnd = now end
    redis.call('HSET', H, 'state', 'resolved', 'resolvedAt', maxEnd)
    if not opened then lifecycle = 'resolved' end
  end

  local result = { key = inc.key, counted = counted, resolvedNow = resolvedNow, lifecycle = lifecycle }
  if lifecycle ~= 'unchanged' then redis.call('HINCRBY', H, 'ver', 1) end
  local g = redis.call('HMGET', H, 'gen', 'doneGen', 'enqGen', 'openedAt', 'channel', 'genThread', 'rootTs', 'kind', 'updPending', 'updSeq', 'updEnq')
  local openedAt = num(g[4])
  if g[8] == 'workload' and num(g[1]) > num(g[2]) and num(g[1]) > num(g[3]) then
    result.diagnose = { generation = num(g[1]), openedAt = openedAt, channel = g[5], threadTs = g[6] }
  end
  local seq = nil
  if lifecycle ~= 'unchanged' and (nonempty(g[7]) or g[8] == 'node') then
    seq = pending(H)
  elseif g[9] == '1' and num(g[10]) > num(g[11]) then
    seq = num(g[10])
  end
  if seq then result.update = { seq = seq, openedAt = openedAt } end
  for _, k in ipairs({ H, A, S, PODS }) do redis.call('EXPIRE', k, ttl) end
  out[#out + 1] = result
  end
end
return cjson.encode(out)
