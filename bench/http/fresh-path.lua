-- wrk script: every request asks for a path never asked before, so the gateway's catch-all signs a
-- new original URL each time (its per-address memory reuses the signature only for a repeated URL).
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, "/page/" .. counter .. "?q=" .. math.random(1000000000))
end
