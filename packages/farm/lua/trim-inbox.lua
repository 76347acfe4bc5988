--[[
  Drop the first entries of the inbox once the coordinator has recorded
  them, if it still holds the lease (a coordinator that lost it must not
  drop what its successor has not read; recording is idempotent, so the
  successor reading them again is harmless).

  Input:
    KEYS[1] inbox list
    KEYS[2] lease
    ARGV[1] holder
    ARGV[2] entries to drop

  Output:
    1 dropped; 0 not the holder
]]
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('LTRIM', KEYS[1], tonumber(ARGV[2]), -1)
return 1
