--[[
  Add running time to a running campaign.

  Input:
    KEYS[1] campaign hash
    ARGV[1] milliseconds

  Output:
    its running time after, or -1 when it is not running
]]
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return -1 end
return redis.call('HINCRBY', KEYS[1], 'runningMs', ARGV[1])
