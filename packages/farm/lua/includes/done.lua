--[[
  A campaign's done batches, folded: every index below the campaign hash's
  field `doneBelow` is done, and the done set holds only the done indexes
  at or above it (the batches that ended out of order). Marking an index
  done moves doneBelow up past every index the set holds right above it,
  so the set stays about as large as the batches in flight, however many
  batches the campaign ran. A set an earlier pcfarm wrote (every index,
  no doneBelow) reads the same, and folds a bounded step at a time.

  Included by the scripts that read or write the done batches; the caller
  names the campaign hash and the done set.
]]

-- Indexes one marking folds into doneBelow at most: an earlier pcfarm's whole set folds over many recordings, not in one long script.
local DONE_FOLD_STEPS_MAX = 10000

local function doneBelow(campaignKey)
  return tonumber(redis.call('HGET', campaignKey, 'doneBelow') or '0')
end

local function isDone(below, doneKey, index)
  return index < below or redis.call('SISMEMBER', doneKey, index) == 1
end

-- Mark a batch index done; true when it was not done before.
local function markDone(campaignKey, doneKey, index)
  local below = doneBelow(campaignKey)
  if index < below then return false end
  local fresh
  local start = below
  if index == below then
    fresh = redis.call('SREM', doneKey, index) == 0
    below = below + 1
  else
    fresh = redis.call('SADD', doneKey, index) == 1
  end
  local steps = 0
  while steps < DONE_FOLD_STEPS_MAX and redis.call('SREM', doneKey, below) == 1 do
    below = below + 1
    steps = steps + 1
  end
  if below ~= start then redis.call('HSET', campaignKey, 'doneBelow', below) end
  return fresh
end
