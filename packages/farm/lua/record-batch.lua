--[[
  Record a batch's result once: add its index to the done set and apply
  the counts, buckets, sample and coverage that the caller folded from
  read-for-record's view, only if the index was not done and the campaign
  did not change since that read (its rev).

  Input:
    KEYS[1] campaign hash
    KEYS[2] done set
    KEYS[3] queued set (batches handed out, not yet recorded)
    KEYS[4] coverage set
    KEYS[5] buckets hash
    KEYS[6] samples list
    KEYS[7] minimized hash

    ARGV[1]  rev the fold read
    ARGV[2]  batch index
    ARGV[3]  runs
    ARGV[4]  steps
    ARGV[5]  failing runs
    ARGV[6]  runs that warned
    ARGV[7]  new warning buckets
    ARGV[8]  runningMs
    ARGV[9]  sample op: 'push' or 'set' (replace the last)
    ARGV[10] sample JSON
    ARGV[11] thin from (0: no thinning), ARGV[12] thinned count (t), then t thinned samples
    then: bucket count (b), b pairs (id, JSON)
    then: stale count (s), s bucket ids whose lowest example changed (their minimized reproducer goes)
    then: coverage hashes

  Output:
    -2 no such campaign; -1 the campaign changed since the read (fold again);
     0 already recorded; 1 recorded
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return -2 end
redis.call('SREM', KEYS[3], ARGV[2])
if redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 1 then return 0 end
if redis.call('HGET', KEYS[1], 'rev') ~= ARGV[1] then return -1 end
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('HINCRBY', KEYS[1], 'runs', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'steps', ARGV[4])
redis.call('HINCRBY', KEYS[1], 'failures', ARGV[5])
redis.call('HINCRBY', KEYS[1], 'warnings', ARGV[6])
redis.call('HINCRBY', KEYS[1], 'warningBuckets', ARGV[7])
if tonumber(ARGV[8]) > tonumber(redis.call('HGET', KEYS[1], 'runningMs') or '0') then redis.call('HSET', KEYS[1], 'runningMs', ARGV[8]) end
if ARGV[9] == 'set' then redis.call('LSET', KEYS[6], -1, ARGV[10]) else redis.call('RPUSH', KEYS[6], ARGV[10]) end
local keep = tonumber(ARGV[11])
local thinned = tonumber(ARGV[12])
local i = 13
if keep > 0 then
  redis.call('LTRIM', KEYS[6], keep, -1)
  for j = i + thinned - 1, i, -1 do redis.call('LPUSH', KEYS[6], ARGV[j]) end
end
i = i + thinned
local buckets = tonumber(ARGV[i])
i = i + 1
for _ = 1, buckets do
  redis.call('HSET', KEYS[5], ARGV[i], ARGV[i + 1])
  i = i + 2
end
local stale = tonumber(ARGV[i])
i = i + 1
for _ = 1, stale do
  redis.call('HDEL', KEYS[7], ARGV[i])
  i = i + 1
end
for j = i, #ARGV do redis.call('SADD', KEYS[4], ARGV[j]) end
redis.call('HINCRBY', KEYS[1], 'rev', 1)
return 1
