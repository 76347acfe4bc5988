--[[
  Give up the coordinator's lease, if this holder has it.

  Input:
    KEYS[1] lease
    ARGV[1] holder

  Output:
    1 released; 0 not held by it
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
