--[[
  Move a campaign to a state, optionally only from another.

  Input:
    KEYS[1] campaign hash
    KEYS[2] the campaigns' rev (a counter the coordinator watches)

    ARGV[1] state
    ARGV[2] runningMs ('' keeps it)
    ARGV[3] the state it must be in ('' any)

  Output:
    0 no such campaign; -1 it is in another state; 1 done
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[3] ~= '' and redis.call('HGET', KEYS[1], 'state') ~= ARGV[3] then return -1 end
redis.call('HSET', KEYS[1], 'state', ARGV[1])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'runningMs', ARGV[2]) end
redis.call('HINCRBY', KEYS[1], 'rev', 1)
redis.call('INCR', KEYS[2])
return 1
