--[[
  Keep what verify proved or found of a cell when it says more than what is
  kept of the same claim (certificates.ts, strongerCertificate): a higher
  bound certified, a lower bound failing. Equal bounds keep the first.

  Input:
    KEYS[1] certificates hash (claim -> JSON)

    ARGV[1] the claim (certificateKey)
    ARGV[2] "clean" or "fail"
    ARGV[3] its bound
    ARGV[4] its JSON

  Output:
    1 kept; 0 what is kept says as much or more
]]
local kept = redis.call('HGET', KEYS[1], ARGV[1])
if kept then
  local was = cjson.decode(kept).bound
  local bound = tonumber(ARGV[3])
  if ARGV[2] == 'clean' and bound <= was then return 0 end
  if ARGV[2] == 'fail' and bound >= was then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
return 1
