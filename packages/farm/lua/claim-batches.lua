--[[
  Hand out a running campaign's next batch indexes that are not done yet,
  in order; each stays in the queued set until it is recorded.

  Input:
    KEYS[1] campaign hash
    KEYS[2] done set
    KEYS[3] queued set

    ARGV[1] most to claim
    ARGV[2] last batch + 1 (-1: no end)

  Output:
    {-1} when the campaign is not running; else {cursor after, indexes...}
]]
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return {-1} end
local cursor = tonumber(redis.call('HGET', KEYS[1], 'cursor') or '0')
local n = tonumber(ARGV[1])
local total = tonumber(ARGV[2])
local out = {0}
while #out <= n and (total < 0 or cursor < total) do
  if redis.call('SISMEMBER', KEYS[2], cursor) == 0 then
    redis.call('SADD', KEYS[3], cursor)
    out[#out + 1] = cursor
  end
  cursor = cursor + 1
end
redis.call('HSET', KEYS[1], 'cursor', cursor)
out[1] = cursor
return out
