--[[
  Keep a bucket's minimized reproducer if it was minimized from the
  bucket's lowest example (examples[1]): the example every run of the
  campaign ends with, whatever order its batches came in. One from another
  example (the lowest was lowered since its job was queued) is not kept.

  Input:
    KEYS[1] buckets hash
    KEYS[2] minimized hash

    ARGV[1] bucket id
    ARGV[2] minimized JSON
    ARGV[3] the example's seed, ARGV[4] its scenario, ARGV[5] its blocks per page

  Output:
    -1 no such bucket; 0 not its lowest example, or one was kept before; 1 kept
]]
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return -1 end
local lowest = cjson.decode(json).examples[1]
if lowest == nil or lowest.seed ~= tonumber(ARGV[3]) or lowest.scenario ~= ARGV[4] or lowest.blocksPerPage ~= tonumber(ARGV[5]) then return 0 end
return redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
