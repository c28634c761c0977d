#!/usr/bin/env bash
# bench/webhook.sh: the webhook relay's throughput and latency. pdagentd (the real launcher, on its
# embedded queue) polls bench/WebhookBench.java's fake PagerDuty REST API and posts to its receiver.
#
#   bench/webhook.sh                    # defaults below
#   BENCH_OUT=dir bench/webhook.sh      # keep raw outputs in dir (else a temp dir, removed)
#
# Settings (environment): ENTRIES (100000), INCIDENTS (1000), LIVE (30), LIVE_GAP_MS (2000).
# The receiver keeps up to 2,048 idle connections (the JDK server closes those over 200 by default,
# and the agent, delivering 512 at once, would find some of its kept-alive connections closed).
#
# How:
#  1. the fake API holds ENTRIES log entries across INCIDENTS incidents created over the last 50
#     minutes; the agent starts with PDAGENTD_WEBHOOK_LOOKBACK_SECONDS=3600, so its first poll reads
#     them all (windows split by the count PagerDuty gives, 100 entries a page); the receiver answers
#     204 at once and counts arrivals, duplicates (X-Webhook-Id) and order violations per incident.
#     Entries/s = ENTRIES / (last arrival - first API request): polling, staging, queueing and
#     delivering together.
#  2. then LIVE entries are added one every LIVE_GAP_MS, created "now", with the default polling
#     interval (10 s): the time from an entry's appearance in the API to its arrival at the receiver.
#     Expected: about half the interval on average, up to the interval, plus the pipeline's own time.
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

ENTRIES="${ENTRIES:-100000}"
INCIDENTS="${INCIDENTS:-1000}"
LIVE="${LIVE:-30}"
LIVE_GAP_MS="${LIVE_GAP_MS:-2000}"

bench_need curl jq ps awk
bench_find_java
bench_init
bench_log "raw outputs in $OUT"
bench_build
bench_snapshot

PORTS="$BENCH_TMP/ports"
bench_start webhookbench "$OUT/webhookbench.txt" "$BENCH_JAVA" -Xmx1g -Dsun.net.httpserver.maxIdleConnections=2048 "$BENCH_DIR/WebhookBench.java" "$PORTS" \
  "$ENTRIES" "$INCIDENTS" "$LIVE" "$LIVE_GAP_MS"
for _ in $(seq 1 120); do [ -s "$PORTS" ] && break; sleep 0.5; done
[ -s "$PORTS" ] || bench_die "WebhookBench did not start (see $OUT/webhookbench.txt)"
API_PORT="$(sed -n 's/.*api=\([0-9]*\).*/\1/p' "$PORTS")"
RX_PORT="$(sed -n 's/.*receiver=\([0-9]*\).*/\1/p' "$PORTS")"
bench_log "fake API on $API_PORT, receiver on $RX_PORT"

bench_start_agent "http://127.0.0.1:9" PDAGENTD_API_BASE_URL="http://127.0.0.1:$API_PORT" \
  PDAGENTD_API_TOKEN=bench-token PDAGENTD_WEBHOOK_DEST_URL="http://127.0.0.1:$RX_PORT/hook" \
  PDAGENTD_WEBHOOK_SECRET=bench-secret PDAGENTD_WEBHOOK_LOOKBACK_SECONDS=3600

busy_before="$(bench_machine_busy 1)"
while kill -0 "$PID_webhookbench" 2>/dev/null; do
  sleep 2
  r="$(bench_rss_kb "$PID_agent")"
  echo "$(date +%s) rss_kb ${r:-gone}" >>"$OUT/agent-rss.txt"
done
bench_log "machine busy before the run: ${busy_before}%"
cat "$OUT/webhookbench.txt"
echo "agent peak RSS: $(awk '{ if ($3 > m) m = $3 } END { printf "%.0f MB", m / 1024 }' "$OUT/agent-rss.txt")"
echo "poller: $(curl -s "$AGENT_URL/healthz" | jq -c .webhook_poller)"
