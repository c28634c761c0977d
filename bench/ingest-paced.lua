-- wrk script for bench/ingest.sh with PACE_MS: the requests of bench/ingest.lua, each connection
-- waiting PACE_MS (may be fractional: whole milliseconds that average to it) after an answer before
-- its next request, so that the load is a chosen rate instead of as fast as the server answers:
-- about CONNECTIONS / (PACE_MS + latency) requests a second.
--
--   wrk -t2 -c64 -d30s --latency -s bench/ingest-paced.lua URL -- RUN_ID KEYS PACE_MS
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "ingest.lua")

local base_init = init
local pace = 0
local owed = 0

function init(args)
  base_init(args)
  pace = tonumber(args[3] or 0) or 0
end

function delay()
  owed = owed + pace
  local d = math.floor(owed)
  owed = owed - d
  return d
end
