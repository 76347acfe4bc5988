--[[
  Keep a steered campaign's next plan, unless another dealer kept one
  first: plan number ARGV[1] is appended only when the campaign has
  exactly that many, so every process reads the same deal.

  Input:
    KEYS[1] campaign hash (fields deal: JSON list of plans; plans: their number)

    ARGV[1] the plan's number (the plans the campaign must have)
    ARGV[2] the plan (JSON: batches per cell)

  Output:
    0 no such campaign; -1 it has another number of plans (left as it is); 1 kept
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local plans = tonumber(redis.call('HGET', KEYS[1], 'plans') or '0')
if plans ~= tonumber(ARGV[1]) then return -1 end
local deal = redis.call('HGET', KEYS[1], 'deal')
if not deal or deal == '[]' then
  deal = '[' .. ARGV[2] .. ']'
else
  deal = string.sub(deal, 1, -2) .. ',' .. ARGV[2] .. ']'
end
redis.call('HSET', KEYS[1], 'deal', deal, 'plans', plans + 1)
return 1
