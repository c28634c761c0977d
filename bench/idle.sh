#!/usr/bin/env bash
# bench/idle.sh: the agent's memory when idle: started with default settings, given a few events
# (so that ingest, the queue and delivery have all run once), then left alone; RSS and, with
# BENCH_NMT=1, the JVM's native memory summary, at the end.
#
#   bench/idle.sh                       # 200 events, then 60 s idle
#   BENCH_NMT=1 bench/idle.sh           # also -XX:NativeMemoryTracking=summary (adds ~2 MB itself)
#   BENCH_OUT=dir bench/idle.sh         # keep raw outputs in dir
#
# Settings (environment): EVENTS (200), IDLE_SECONDS (60), RSS goal IDLE_GOAL_MB (96);
# PDAGENTD_JAVA_OPTS and MALLOC_ARENA_MAX pass through to the agent when set. With BENCH_NMT=1
# the launcher's default options (or PDAGENTD_JAVA_OPTS) get -XX:NativeMemoryTracking=summary added.
# Prints the RSS right after start, after the events, and after IDLE_SECONDS (min and max of the
# last 10 s), with /proc/PID/smaps_rollup (anonymous vs file pages) and the thread count.
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

EVENTS="${EVENTS:-200}"
IDLE_SECONDS="${IDLE_SECONDS:-60}"
IDLE_GOAL_MB="${IDLE_GOAL_MB:-96}"

bench_need curl jq ss flock ps awk
bench_find_java
bench_init
bench_build
bench_snapshot

if [ "${BENCH_NMT:-0}" = 1 ]; then
  export PDAGENTD_JAVA_OPTS="${PDAGENTD_JAVA_OPTS:-$AGENT_DEFAULT_OPTS} -XX:NativeMemoryTracking=summary"
fi
bench_start_fake fake 0
bench_start_agent "$FAKE_URL_fake"
sleep 2
rss_start="$(bench_rss_kb "$PID_agent")"
for ((i = 1; i <= EVENTS; i++)); do
  curl -s -o /dev/null --max-time 5 -H 'Content-Type: application/json' -X POST "$AGENT_URL/v2/enqueue" \
    -d "{\"routing_key\":\"idle$(printf '%028d' $((i % 10)))\",\"event_action\":\"trigger\",\"payload\":{\"summary\":\"idle bench $i\",\"source\":\"idle.bench\",\"severity\":\"info\"}}"
done
drained="$(bench_wait_drained 60 || true)"
rss_events="$(bench_rss_kb "$PID_agent")"
: >"$OUT/idle-rss.txt"
for ((i = 0; i < IDLE_SECONDS; i++)); do
  echo "$i $(bench_rss_kb "$PID_agent")" >>"$OUT/idle-rss.txt"
  sleep 1
done
read -r lo hi <<<"$(tail -n 10 "$OUT/idle-rss.txt" | awk 'NR == 1 || $2 < lo { lo = $2 } $2 > hi { hi = $2 } END { print lo, hi }')"
{
  echo "== idle: $EVENTS events, then ${IDLE_SECONDS}s idle, $(date -u '+%F %TZ')"
  echo "   pdagentd JVM: ${PDAGENTD_JAVA_OPTS:-$AGENT_DEFAULT_OPTS}; MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-(launcher default)}; $BENCH_JAVA_VERSION"
  echo "RSS 2 s after start: $((rss_start / 1024)) MB; after the events (queue depth $drained): $((rss_events / 1024)) MB"
  echo "RSS idle (last 10 s): min $((lo / 1024)) MB, max $((hi / 1024)) MB (goal <= $IDLE_GOAL_MB MB: $([ "$hi" -le $((IDLE_GOAL_MB * 1024)) ] && echo met || echo MISSED))"
  grep -E '^(Rss|Anonymous|Shared_Clean|Private_Clean|Private_Dirty)' "/proc/$PID_agent/smaps_rollup" | tr -s ' ' | sed 's/^/   /'
  echo "   threads: $(awk '/^Threads:/ { print $2 }' "/proc/$PID_agent/status")"
} | tee "$OUT/idle-summary.txt"
if [ "${BENCH_NMT:-0}" = 1 ]; then
  "$BENCH_JAVA_HOME/bin/jcmd" "$PID_agent" VM.native_memory summary >"$OUT/nmt-idle.txt" 2>&1 || true
  # one line per area: committed KB
  sed -n 's/^-  *\([A-Za-z][A-Za-z ]*\) (reserved=[0-9]*KB, committed=\([0-9]*\)KB.*/\1 \2/p' "$OUT/nmt-idle.txt" |
    awk '{ kb = $NF; $NF = ""; printf "   NMT %-28s %6.1f MB\n", $0, kb / 1024 }' | tee -a "$OUT/idle-summary.txt"
  sed -n 's/^Total: reserved=[0-9]*KB, committed=\([0-9]*\)KB.*/\1/p' "$OUT/nmt-idle.txt" |
    awk '{ printf "   NMT total committed %.1f MB\n", $1 / 1024 }' | tee -a "$OUT/idle-summary.txt"
fi
