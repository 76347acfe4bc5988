--[[
  Add an exported campaign in one step, unless its id is taken.

  Input:
    KEYS[1] campaigns zset
    KEYS[2] campaign hash
    KEYS[3] done set (see includes/done.lua)
    KEYS[4] coverage set
    KEYS[5] buckets hash
    KEYS[6] minimized hash
    KEYS[7] samples list
    KEYS[8] the campaigns' rev
    KEYS[9] once hash (coverage hash -> cell)
    KEYS[10] twice hash (coverage hash -> cell)
    KEYS[11...] a guided or portfolio campaign's corpus hashes (round -> JSON), one per cell that has one

    ARGV[1] id, ARGV[2] createdAt, ARGV[3] meta, ARGV[4] state, ARGV[5] runningMs,
    ARGV[6] runs, ARGV[7] steps, ARGV[8] failures, ARGV[9] warnings, ARGV[10] warning buckets,
    then counted lists: done ranges (first, last; ascending, disjoint), coverage,
    (bucket id, JSON), (bucket id, minimized JSON), samples, (coverage hash, cell) reached by one run,
    '1' when the doubletons are counted (else '0') and a counted list of (coverage hash, cell) reached by two runs,
    the deal (JSON: a steered campaign's plans) and its number of plans,
    and last a counted list of corpus contributions (KEYS index, round, JSON)

  Output:
    0 the id is taken; 1 imported
]]
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('INCR', KEYS[8])
redis.call('HSET', KEYS[2], 'meta', ARGV[3], 'state', ARGV[4], 'runningMs', ARGV[5], 'runs', ARGV[6], 'steps', ARGV[7], 'failures', ARGV[8],
  'warnings', ARGV[9], 'warningBuckets', ARGV[10], 'rev', 0, 'cursor', 0)
local i = 11
local function counted(each)
  local n = tonumber(ARGV[i])
  i = i + 1
  for _ = 1, n do i = each(i) end
end
-- The ranges from 0 on become doneBelow; the done set keeps only what lies past a gap.
local below = 0
counted(function(j)
  local first, last = tonumber(ARGV[j]), tonumber(ARGV[j + 1])
  if first <= below then
    if last + 1 > below then below = last + 1 end
  else
    for x = first, last do redis.call('SADD', KEYS[3], x) end
  end
  return j + 2
end)
redis.call('HSET', KEYS[2], 'doneBelow', below)
counted(function(j) redis.call('SADD', KEYS[4], ARGV[j]) return j + 1 end)
counted(function(j) redis.call('HSET', KEYS[5], ARGV[j], ARGV[j + 1]) return j + 2 end)
counted(function(j) redis.call('HSET', KEYS[6], ARGV[j], ARGV[j + 1]) return j + 2 end)
counted(function(j) redis.call('RPUSH', KEYS[7], ARGV[j]) return j + 1 end)
counted(function(j) redis.call('HSET', KEYS[9], ARGV[j], ARGV[j + 1]) return j + 2 end)
if ARGV[i] == '1' then redis.call('HSET', KEYS[2], 'twice', 1) end
i = i + 1
counted(function(j) redis.call('HSET', KEYS[10], ARGV[j], ARGV[j + 1]) return j + 2 end)
redis.call('HSET', KEYS[2], 'deal', ARGV[i], 'plans', ARGV[i + 1])
i = i + 2
-- In the same step as the rest: an imported campaign has its corpus, or is not there.
counted(function(j) redis.call('HSET', KEYS[tonumber(ARGV[j])], ARGV[j + 1], ARGV[j + 2]) return j + 3 end)
return 1
