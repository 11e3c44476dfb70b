-- KEYS: hash. ARGV: openedAt, gen. Returns { verdict, planId }.
--- @include "pending.lua"
local f = redis.call('HMGET', KEYS[1], 'openedAt', 'gen', 'doneGen', 'planId')
local plan = f[4] or ''
if num(f[1]) ~= tonumber(ARGV[1]) or num(f[2]) ~= tonumber(ARGV[2]) then return { 'superseded', plan } end
if num(f[3]) >= tonumber(ARGV[2]) then return { 'done', plan } end
return { 'ok', plan }
