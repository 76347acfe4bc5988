--[[
  Take or renew the coordinator's lease.

  Input:
    KEYS[1] lease
    ARGV[1] holder
    ARGV[2] milliseconds it lasts unrenewed

  Output:
    1 held; 0 another holder has it
]]
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
