--[[
  Settle a pending determinism audit once.

  Input:
    KEYS[1] campaign hash
    KEYS[2] pending audits hash
    KEYS[3] farm bugs list

    ARGV[1] batch index
    ARGV[2] farm bug JSON ('' when the rerun agreed)
    ARGV[3] farm bugs kept
    ARGV[4] '1' when the rerun ran on the worker that ran the batch first (no other was alive), else '0'

  Output:
    0 settled before; 1 settled now
]]
if redis.call('HDEL', KEYS[2], ARGV[1]) == 0 then return 0 end
if ARGV[2] == '' then
  redis.call('HINCRBY', KEYS[1], 'auditsPassed', 1)
  if ARGV[4] == '1' then redis.call('HINCRBY', KEYS[1], 'auditsSameWorker', 1) end
else
  redis.call('HINCRBY', KEYS[1], 'auditsFailed', 1)
  redis.call('RPUSH', KEYS[3], ARGV[2])
  redis.call('LTRIM', KEYS[3], -tonumber(ARGV[3]), -1)
end
return 1
