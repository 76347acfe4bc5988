--[[
  A worker posts a finished job's result to the coordinator's inbox, and
  wakes the coordinator. Posted before the job completes (and its job is
  removed on completion): a job that is gone has its result in the inbox,
  so the coordinator, reading the inbox after it saw a job gone, never
  takes a finished batch for a lost one.

  Input:
    KEYS[1] inbox list
    ARGV[1] the entry (JSON: kind, job id, worker, result)
    ARGV[2] the channel the coordinator listens on

  Output:
    the inbox's length
]]
local n = redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[2], '')
return n
