--[[
  Record some batches of one campaign once: mark their indexes done and
  apply the counts, buckets, sample and coverage that the caller folded
  from read-for-record's view, only if the campaign did not change since
  that read (its rev, which every recording moves: so none of the batches
  was recorded meanwhile). Every batch given leaves the queued set, done
  before or not.

  Input:
    KEYS[1] campaign hash
    KEYS[2] done set (see includes/done.lua)
    KEYS[3] queued set (batches handed out, not yet recorded)
    KEYS[4] coverage set
    KEYS[5] buckets hash
    KEYS[6] samples list
    KEYS[7] minimized hash
    KEYS[8] once hash (coverage hash -> cell: the hashes exactly one run reached)
    KEYS[9] twice hash (coverage hash -> cell: the hashes exactly two runs reached)

    ARGV[1]  rev the fold read
    ARGV[2]  the batch indexes, comma-separated (the ones done at the read are not recorded again)
    then, from i = 3:
    ARGV[i]     runs
    ARGV[i+1]   steps
    ARGV[i+2]   failing runs
    ARGV[i+3]   runs that warned
    ARGV[i+4]   new warning buckets
    ARGV[i+5]   runningMs
    ARGV[i+6]   sample op: 'push' or 'set' (replace the last)
    ARGV[i+7]   sample JSON
    ARGV[i+8]   thin from (0: no thinning), ARGV[i+9] thinned count (t), then t thinned samples
    then: bucket count (u), u pairs (id, JSON)
    then: stale count (s), s bucket ids whose lowest example changed (their minimized reproducer goes)
    then: the coverage hashes new at the read, comma-separated ('' for none)
    then: hashes one or two runs had reached before that these batches reached again, comma-separated
    then: of the new and those, the ones exactly one run has reached now, each 'hash:cell', comma-separated
    then: of the new and those, the ones exactly two runs have reached now, each 'hash:cell', comma-separated
    last: '1' when some of these batches did not count doubletons (a pcfarm before them): the campaign's
          doubletons are not counted from now on (its 'twice' field goes), else '0'

    (Long lists travel as one argument: a client's cost is per argument.)

  Output:
    -2 no such campaign; -1 the campaign changed since the read (fold again);
     0 every batch was recorded before; 1 recorded
]]
--- @include "done"
--- @include "lists"

if redis.call('EXISTS', KEYS[1]) == 0 then return -2 end
local indexes = listOf(ARGV[2])
for _, index in ipairs(indexes) do redis.call('SREM', KEYS[3], index) end
if redis.call('HGET', KEYS[1], 'rev') ~= ARGV[1] then return -1 end
local fresh = 0
for _, index in ipairs(indexes) do
  if markDone(KEYS[1], KEYS[2], tonumber(index)) then fresh = fresh + 1 end
end
if fresh == 0 then return 0 end
local i = 3
redis.call('HINCRBY', KEYS[1], 'runs', ARGV[i])
redis.call('HINCRBY', KEYS[1], 'steps', ARGV[i + 1])
redis.call('HINCRBY', KEYS[1], 'failures', ARGV[i + 2])
redis.call('HINCRBY', KEYS[1], 'warnings', ARGV[i + 3])
redis.call('HINCRBY', KEYS[1], 'warningBuckets', ARGV[i + 4])
if tonumber(ARGV[i + 5]) > tonumber(redis.call('HGET', KEYS[1], 'runningMs') or '0') then redis.call('HSET', KEYS[1], 'runningMs', ARGV[i + 5]) end
if ARGV[i + 6] == 'set' then redis.call('LSET', KEYS[6], -1, ARGV[i + 7]) else redis.call('RPUSH', KEYS[6], ARGV[i + 7]) end
local keep = tonumber(ARGV[i + 8])
local thinned = tonumber(ARGV[i + 9])
i = i + 10
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
addAll(KEYS[4], listOf(ARGV[i]))
-- Good-Turing's singletons and Chao's doubletons: a hash reached again leaves both, then each goes where its runs now put it.
for _, hash in ipairs(listOf(ARGV[i + 1])) do
  redis.call('HDEL', KEYS[8], hash)
  redis.call('HDEL', KEYS[9], hash)
end
for _, pair in ipairs(listOf(ARGV[i + 2])) do
  local hash, cell = string.match(pair, '^(%d+):(%d+)$')
  redis.call('HSET', KEYS[8], hash, cell)
end
for _, pair in ipairs(listOf(ARGV[i + 3])) do
  local hash, cell = string.match(pair, '^(%d+):(%d+)$')
  redis.call('HSET', KEYS[9], hash, cell)
end
if ARGV[i + 4] == '1' then redis.call('HDEL', KEYS[1], 'twice') end
redis.call('HINCRBY', KEYS[1], 'rev', 1)
return 1
