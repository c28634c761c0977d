#!/usr/bin/env bash
# bench/restart-1m.sh: pdagentd started on an embedded queue that already holds 1,000,000 events:
# time until it answers, until the first event reaches the fake PagerDuty (goal <= 5 s), and until
# the whole backlog has been delivered, in order per key.
#
#   bench/restart-1m.sh                       # defaults below
#   EVENTS=200000 bench/restart-1m.sh         # a smaller backlog
#   BENCH_OUT=dir bench/restart-1m.sh         # keep raw outputs in dir
#
# Settings (environment): EVENTS (1000000), KEYS (1000), LATENCY_MS (50: the fake's answer time),
# DRAIN_TIMEOUT (900 s), FIRST_GOAL_MS (5000); PDAGENTD_JAVA_OPTS and MALLOC_ARENA_MAX pass through.
#
# How:
#  1. fill: bench/QueueFill.java appends EVENTS valid v2 triggers over KEYS keys through the queue's
#     own API (SqliteEventQueue.append: the same rows ingest writes) into a fresh data dir, then closes
#     the queue: the store is what an agent leaves when it stops with that backlog;
#  2. start the fake (answers after LATENCY_MS), then, with a clock started just before the launcher
#     runs, pdagentd on that data dir; a background loop asks the fake every 20 ms whether an event
#     has arrived; /healthz is polled by the launcher wait (bench_start_agent);
#  3. drain: the fake's /__stats every second until it accepted EVENTS; RSS every second meanwhile;
#  4. checks: order_violations 0, accepted >= EVENTS, the queue empty, nothing dead.
# Per-key pacing is raised out of the way (PDAGENTD_KEY_RATE_PER_MINUTE=1000000) as in
# bench/delivery.sh: at PagerDuty's 120 a minute per key, 1,000 events per key would take 8 minutes
# whatever the agent does; set PDAGENTD_KEY_RATE_PER_MINUTE to measure with pacing.
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

EVENTS="${EVENTS:-1000000}"
KEYS="${KEYS:-1000}"
LATENCY_MS="${LATENCY_MS:-50}"
DRAIN_TIMEOUT="${DRAIN_TIMEOUT:-900}"
FIRST_GOAL_MS="${FIRST_GOAL_MS:-5000}"

bench_need curl jq ss flock ps awk
bench_find_java
bench_init
bench_log "raw outputs in $OUT"
bench_build
bench_snapshot

# ---------------------------------------------------------------------------- fill
mkdir -p "$BENCH_TMP/queuefill" "$BENCH_TMP/agent-data"
"$BENCH_JAVA_HOME/bin/javac" -cp "$FAKE_CP" -d "$BENCH_TMP/queuefill" "$BENCH_DIR/QueueFill.java"
bench_log "filling the queue with $EVENTS events over $KEYS keys (bench/QueueFill.java)"
"$BENCH_JAVA" -XX:+UseSerialGC -Xmx256m --enable-native-access=ALL-UNNAMED -cp "$BENCH_TMP/queuefill:$FAKE_CP" \
  QueueFill "$BENCH_TMP/agent-data" "$EVENTS" "$KEYS" "r1m$(date +%s)" >"$OUT/fill.txt" 2>"$OUT/fill.log" ||
  { tail -n 20 "$OUT/fill.log" >&2; bench_die "the fill failed"; }
cat "$OUT/fill.txt" >&2
db_mb="$(du -sm "$BENCH_TMP/agent-data" | cut -f1)"
sync
# the store's pages are in the OS page cache now, as they would be after an agent restart (not after a reboot)

# ---------------------------------------------------------------------------- restart
bench_start_fake fake "$LATENCY_MS" 600
FAKE="$FAKE_URL_fake"
# a slow answer of the fake on a busy machine must not end the run (set -e): an empty answer is "no news"
fake_stats() { curl -s --max-time 5 "$FAKE/__stats" || echo '{}'; }

t0_ms="$(date +%s%3N)"
# first arrival at the fake, polled every 20 ms from before the launcher starts
(
  for ((i = 0; i < 6000; i++)); do
    a="$(curl -s --max-time 1 "$FAKE/__stats" | jq -r '.accepted // 0' 2>/dev/null || echo 0)"
    if [ "${a:-0}" -gt 0 ]; then date +%s%3N >"$BENCH_TMP/first-ms"; exit 0; fi
    sleep 0.02
  done
) &
BENCH_PIDS+=("$!")
bench_start_agent "$FAKE" PDAGENTD_QUEUE_MAX_EVENTS="$(( EVENTS > 1000000 ? EVENTS : 1000000 ))" \
  PDAGENTD_KEY_RATE_PER_MINUTE="${PDAGENTD_KEY_RATE_PER_MINUTE:-1000000}"
ready_ms=$(( $(date +%s%3N) - t0_ms ))
(
  for ((i = 0; i < DRAIN_TIMEOUT + 60; i++)); do
    r="$(bench_rss_kb "$PID_agent")"
    [ -n "$r" ] || exit 0
    echo "$(( $(date +%s%3N) - t0_ms )) $r"
    sleep 1
  done
) >"$OUT/agent-rss.txt" &
BENCH_PIDS+=("$!")

: >"$OUT/drain-samples.txt" # "ms_since_start accepted order_violations duplicates"
drained_ms=""
deadline=$((SECONDS + DRAIN_TIMEOUT))
while ((SECONDS < deadline)); do
  s="$(fake_stats)"
  now_ms=$(( $(date +%s%3N) - t0_ms ))
  acc="$(jq -r '.accepted // 0' <<<"$s")"
  echo "$now_ms $acc $(jq -r '"\(.order_violations // 0) \(.duplicates // 0)"' <<<"$s")" >>"$OUT/drain-samples.txt"
  if [ "$acc" -ge "$EVENTS" ]; then drained_ms=$now_ms; break; fi
  kill -0 "$PID_agent" 2>/dev/null || bench_die "pdagentd exited during the drain (see $OUT/agent.log)"
  sleep 1
done
first_ms=""
[ -f "$BENCH_TMP/first-ms" ] && first_ms=$(( $(cat "$BENCH_TMP/first-ms") - t0_ms ))
sleep 1
final="$(fake_stats)"
echo "$final" >"$OUT/fake-stats-final.json"
read -r depth inflight retry deadq <<<"$(bench_agent_health)"
f_acc="$(jq -r .accepted <<<"$final")"
f_viol="$(jq -r .order_violations <<<"$final")"
f_dup="$(jq -r .duplicates <<<"$final")"
rss_max_kb="$(awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { print m }' "$OUT/agent-rss.txt")"
opened_line="$(grep -m1 'embedded queue .* opened' "$OUT/agent.log" || true)"
steady="$(awk -v n="$EVENTS" '
  { t[NR] = $1; c[NR] = $2 }
  END { for (i = 1; i <= NR; i++) { if (!a && c[i] >= 0.1 * n) a = i; if (!b && c[i] >= 0.9 * n) b = i }
        if (a && b && t[b] > t[a]) printf "%.0f", (c[b] - c[a]) * 1000 / (t[b] - t[a]); else print 0 }' "$OUT/drain-samples.txt")"

verdict=OK
[ -n "$drained_ms" ] || verdict="FAILED: only $f_acc of $EVENTS events arrived within ${DRAIN_TIMEOUT}s"
[ "$f_viol" = 0 ] || verdict="FAILED: $f_viol order violations"
[ "$f_acc" -ge "$EVENTS" ] || verdict="FAILED: the fake accepted $f_acc of $EVENTS events"
[ "$deadq" = 0 ] || verdict="FAILED: $deadq dead events"
[ "$depth" = 0 ] || verdict="FAILED: $depth events still queued after the drain"
goal="$( [ -n "$first_ms" ] && [ "$first_ms" -le "$FIRST_GOAL_MS" ] && echo met || echo MISSED)"
{
  echo "== restart with $EVENTS events queued over $KEYS keys, fake latency ${LATENCY_MS} ms, $(date -u '+%F %TZ')"
  echo "   pdagentd JVM: ${PDAGENTD_JAVA_OPTS:-$AGENT_DEFAULT_OPTS}; $BENCH_JAVA_VERSION"
  echo "fill (queue API, one process): $(cat "$OUT/fill.txt"); data dir ${db_mb} MB"
  echo "start to /healthz answering: ${ready_ms} ms"
  echo "start to the first delivery: ${first_ms:-never} ms (goal <= ${FIRST_GOAL_MS} ms: $goal)"
  echo "start to the last delivery: ${drained_ms:-not within ${DRAIN_TIMEOUT}s} ms; steady rate (10 %..90 %) $steady events/s"
  echo "agent log: ${opened_line:-(no 'opened' line)}"
  echo "order: order_violations=$f_viol duplicates=$f_dup; fake accepted $f_acc; after the drain depth=$depth dead=$deadq"
  echo "agent RSS max: $((rss_max_kb / 1024)) MB"
  echo "-- verdict: $verdict"
} | tee "$OUT/restart-summary.txt"
case "$verdict" in OK) exit 0 ;; *) exit 1 ;; esac
