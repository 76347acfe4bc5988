--[[
  Hand out a running campaign's next batch indexes that are not done yet,
  in order; each stays in the queued set until it is recorded.

  Input:
    KEYS[1] campaign hash
    KEYS[2] done set (see includes/done.lua)
    KEYS[3] queued set

    ARGV[1] most to claim
    ARGV[2] last batch + 1 (-1: no end)

  Output:
    {-1} when the campaign is not running; else {cursor after, indexes...}
]]
--- @include "done"

if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return {-1} end
local below = doneBelow(KEYS[1])
local cursor = tonumber(redis.call('HGET', KEYS[1], 'cursor') or '0')
-- Every batch below doneBelow is done: a resumed or imported campaign skips them at once.
if cursor < below then cursor = below end
local n = tonumber(ARGV[1])
local total = tonumber(ARGV[2])
local out = {0}
while #out <= n and (total < 0 or cursor < total) do
  if not isDone(below, KEYS[2], cursor) then
    redis.call('SADD', KEYS[3], cursor)
    out[#out + 1] = cursor
  end
  cursor = cursor + 1
end
redis.call('HSET', KEYS[1], 'cursor', cursor)
out[1] = cursor
return out
