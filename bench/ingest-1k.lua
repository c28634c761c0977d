-- wrk script for bench/transforms.sh (through bench/ingest.sh, INGEST_LUA=ingest-1k.lua): like
-- ingest.lua, but each body is about 1 KB of realistic alert text, with some personal data for the
-- PII scrubber to find (an e-mail address, an IPv4 address, a phone number) among timestamps, a
-- UUID, versions, a pod name and a duration that it must leave alone.
local threads = {}
local counter = 0
local keys = {}
local nkeys = 1000
local run = "run"

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  run = args[1] or run
  nkeys = tonumber(args[2] or nkeys)
  for i = 1, nkeys do
    keys[i] = string.format("bench%027d", i)
  end
  counter = 0
end

local headers = { ["Content-Type"] = "application/json" }

function request()
  counter = counter + 1
  local k = keys[((counter + tid * 7919) % nkeys) + 1]
  local body = string.format(
    '{"routing_key":"%s","event_action":"trigger","dedup_key":"%s-%d-%d",' ..
    '"payload":{"summary":"bench: disk usage above 90%% on host-%d (volume /data, 455 GB of 500 GB) since 2024-05-01T10:00:00Z",' ..
    '"source":"host-%d.bench.example","severity":"warning","component":"disk","group":"bench","class":"disk",' ..
    '"custom_details":{"thread":%d,"n":%d,"owner":"oncall-storage@example.com","client_ip":"203.0.113.%d",' ..
    '"escalation_phone":"+1 415-555-0%03d","request_id":"123e4567-e89b-12d3-a456-4266141740%02d",' ..
    '"pod":"storage-agent-7d9f8c6b5-x2x9k","image":"registry.example/storage-agent:1.25.3","duration":"00:05:30",' ..
    '"message":"Filesystem check reported 3 warnings on /dev/sda1 after 1234 ms; last successful backup at 2024-04-30 23:59:59.",' ..
    '"runbook":"https://wiki.example/runbooks/disk-full#step-3","labels":{"env":"bench","region":"eu-west-1","tier":"storage","team":"sre"},' ..
    '"metrics":[{"name":"disk.used_pct","value":91.5},{"name":"disk.inodes_pct","value":40.2},{"name":"io.wait_ms","value":12}]}}}',
    k, run, tid, counter, counter % 997, counter % 997, tid, counter, counter % 250, counter % 1000, counter % 100)
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
