-- wrk script for bench/ingest.sh: POSTs valid Events API v2 triggers to /v2/enqueue.
--
--   wrk -t2 -c64 -d30s --latency -s bench/ingest.lua http://127.0.0.1:PORT -- RUN_ID [KEYS]
--
-- Every request is a new body: one of KEYS (default 1,000) routing keys of 32 characters, chosen
-- round-robin with a per-thread offset, and a dedup key unique across threads and runs
-- ("RUN_ID-THREAD-N"). About 300 bytes a body. At the end it prints one machine-readable line:
--   WRKSTATS requests=N non2xx=N connect=N read=N write=N timeout=N duration_us=N p50_us=N ...
-- (wrk's "requests" counts completed responses only; non2xx is wrk's "Non-2xx or 3xx responses").

local threads = {}
local counter = 0
local keys = {}
local nkeys = 1000
local run = "run"

function setup(thread)
  -- runs in the main state, before the thread's init; sets the global "tid" in the thread's state
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  run = args[1] or run
  nkeys = tonumber(args[2] or nkeys)
  for i = 1, nkeys do
    keys[i] = string.format("bench%027d", i) -- 5 + 27 = 32 characters
  end
  counter = 0
end

local headers = { ["Content-Type"] = "application/json" }

function request()
  counter = counter + 1
  local k = keys[((counter + tid * 7919) % nkeys) + 1]
  local body = string.format(
    '{"routing_key":"%s","event_action":"trigger","dedup_key":"%s-%d-%d",' ..
    '"payload":{"summary":"bench: disk usage above 90%% on host-%d","source":"host-%d.bench.example",' ..
    '"severity":"warning","component":"disk","group":"bench","class":"disk",' ..
    '"custom_details":{"thread":%d,"n":%d}}}',
    k, run, tid, counter, counter % 997, counter % 997, tid, counter)
  return wrk.format("POST", "/v2/enqueue", headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKSTATS requests=%d non2xx=%d connect=%d read=%d write=%d timeout=%d duration_us=%d " ..
    "p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d mean_us=%.0f\n",
    summary.requests, e.status, e.connect, e.read, e.write, e.timeout, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
