--[[
  What recording some batches of one campaign reads, in one consistent
  view: the campaign's fields, which of the batches are done, the counts a
  sample needs, the last sample, the buckets the batches touch, and which
  of their coverage hashes are new.

  Input:
    KEYS[1] campaign hash
    KEYS[2] done set (see includes/done.lua)
    KEYS[3] coverage set
    KEYS[4] buckets hash
    KEYS[5] samples list
    KEYS[6] once hash (coverage hash -> cell: the hashes exactly one run reached)
    KEYS[7] twice hash (coverage hash -> cell: the hashes exactly two runs reached)

    ARGV[1] the batch indexes, comma-separated
    ARGV[2] touched bucket count (n), then n touched bucket ids
    ARGV[3 + n] the coverage hashes (each once), comma-separated ('' for none)

    (Long lists travel as one argument: a client's cost is per argument.)

  Output:
    {fields (meta, state, runningMs, runs, failures, rev, warningBuckets), done (0|1 per batch),
     coverage count, bucket count, sample count, last sample, touched buckets' JSON,
     the hashes not in the coverage set, comma-separated,
     of the others, those one run alone had reached, comma-separated,
     and those two runs had reached, comma-separated}
]]
--- @include "done"
--- @include "lists"

local out = {}
out[1] = redis.call('HMGET', KEYS[1], 'meta', 'state', 'runningMs', 'runs', 'failures', 'rev', 'warningBuckets')
local below = doneBelow(KEYS[1])
local done = {}
for i, index in ipairs(listOf(ARGV[1])) do done[i] = isDone(below, KEYS[2], tonumber(index)) and 1 or 0 end
out[2] = done
out[3] = redis.call('SCARD', KEYS[3])
out[4] = redis.call('HLEN', KEYS[4])
out[5] = redis.call('LLEN', KEYS[5])
out[6] = redis.call('LINDEX', KEYS[5], -1)
local n = tonumber(ARGV[2])
local touched = {}
for i = 1, n do touched[i] = redis.call('HGET', KEYS[4], ARGV[2 + i]) end
out[7] = touched
local fresh = {}
local once = {}
local twice = {}
for _, hash in ipairs(listOf(ARGV[3 + n])) do
  if redis.call('SISMEMBER', KEYS[3], hash) == 0 then fresh[#fresh + 1] = hash
  elseif redis.call('HEXISTS', KEYS[6], hash) == 1 then once[#once + 1] = hash
  elseif redis.call('HEXISTS', KEYS[7], hash) == 1 then twice[#twice + 1] = hash end
end
out[8] = table.concat(fresh, ',')
out[9] = table.concat(once, ',')
out[10] = table.concat(twice, ',')
return out
