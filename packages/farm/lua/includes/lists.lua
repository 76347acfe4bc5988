--[[
  Lists that travel as one argument (comma-separated), so a long list of
  batch indexes or coverage hashes costs the client one argument, not one
  per element.
]]

local function listOf(text)
  local out = {}
  for x in string.gmatch(text, '[^,]+') do out[#out + 1] = x end
  return out
end

-- Members added per SADD: unpack's stack has a limit.
local ADD_CHUNK = 1000

local function addAll(key, members)
  for from = 1, #members, ADD_CHUNK do
    redis.call('SADD', key, unpack(members, from, math.min(from + ADD_CHUNK - 1, #members)))
  end
end
