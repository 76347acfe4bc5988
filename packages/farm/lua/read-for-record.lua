--[[
  What recording a batch reads, in one consistent view: the campaign's
  fields, whether the batch is done, the counts a sample needs, the last
  sample, the buckets the batch touches, and how many of its coverage
  hashes are new.

  Input:
    KEYS[1] campaign hash
    KEYS[2] done set
    KEYS[3] coverage set
    KEYS[4] buckets hash
    KEYS[5] samples list

    ARGV[1] batch index
    ARGV[2] touched bucket count (n)
    ARGV[3 .. 2+n] touched bucket ids
    ARGV[3+n ..] coverage hashes

  Output:
    {fields (meta, state, runningMs, runs, failures, rev, warningBuckets), done (0|1),
     coverage count, bucket count, sample count, last sample, touched buckets' JSON, new hashes}
]]
local out = {}
out[1] = redis.call('HMGET', KEYS[1], 'meta', 'state', 'runningMs', 'runs', 'failures', 'rev', 'warningBuckets')
out[2] = redis.call('SISMEMBER', KEYS[2], ARGV[1])
out[3] = redis.call('SCARD', KEYS[3])
out[4] = redis.call('HLEN', KEYS[4])
out[5] = redis.call('LLEN', KEYS[5])
out[6] = redis.call('LINDEX', KEYS[5], -1)
local n = tonumber(ARGV[2])
local touched = {}
for i = 1, n do touched[i] = redis.call('HGET', KEYS[4], ARGV[2 + i]) end
out[7] = touched
local fresh = 0
for i = 3 + n, #ARGV do
  if redis.call('SISMEMBER', KEYS[3], ARGV[i]) == 0 then fresh = fresh + 1 end
end
out[8] = fresh
return out
