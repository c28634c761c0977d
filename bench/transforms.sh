#!/usr/bin/env bash
# bench/transforms.sh: what the transforms at ingest cost.
#
#   bench/transforms.sh                  # both parts, defaults below
#   BENCH_OUT=dir bench/transforms.sh    # keep raw outputs in dir
#
# 1. Per 1 KB event, on one thread: io.pdaltagent.ingest.TransformBench runs the agent's intake path
#    (parse, validate, transforms, write the stored bytes) with no transforms, the PII scrubber
#    (every category), the 20-rule file bench/rules-20.yaml, and both; EVENTS (100000) events a
#    round, the median of ROUNDS (7) rounds.
# 2. The ingest rate of pdagentd with 1 KB bodies (bench/ingest-1k.lua, through bench/ingest.sh),
#    transforms off, then on (PDAGENTD_SCRUB_PII=true and PDAGENTD_RULES_FILE=bench/rules-20.yaml),
#    one after the other in the same run, from the same frozen build; DELIVERY (default down: the
#    queue only grows, so that delivery does not share the CPU) and DURATION, CONNECTIONS, ... as
#    bench/ingest.sh takes them. Prints both rates and their ratio (goal: on >= 0.8 x off).
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

EVENTS="${EVENTS:-100000}"
ROUNDS="${ROUNDS:-7}"
export DELIVERY="${DELIVERY:-down}"

bench_need wrk nginx curl jq ss flock ps awk top
bench_find_java
bench_init
bench_log "raw outputs in $OUT"
bench_build
bench_snapshot

bench_log "part 1: intake cost per 1 KB event, one thread"
"$BENCH_JAVA" -cp "$FAKE_CP" io.pdaltagent.ingest.TransformBench "$BENCH_DIR/rules-20.yaml" "$EVENTS" "$ROUNDS" \
  2>/dev/null | tee "$OUT/transform-bench.txt"

export BENCH_SNAPSHOT_HOME="$SNAP_HOME" INGEST_LUA=ingest-1k.lua
bench_log "part 2a: ingest with transforms off"
BENCH_OUT="$OUT/off" "$BENCH_DIR/ingest.sh" >"$OUT/off.txt" 2>"$OUT/off.log" || bench_die "ingest.sh (off) failed: $(tail -n 5 "$OUT/off.log")"
bench_log "part 2b: ingest with the scrubber and 20 rules on"
AGENT_EXTRA="PDAGENTD_SCRUB_PII=true PDAGENTD_RULES_FILE=$BENCH_DIR/rules-20.yaml" BENCH_OUT="$OUT/on" \
  "$BENCH_DIR/ingest.sh" >"$OUT/on.txt" 2>"$OUT/on.log" || bench_die "ingest.sh (on) failed: $(tail -n 5 "$OUT/on.log")"

get() { sed -n "s/^$2=//p" "$OUT/$1/ingest-result.env"; }
off_rps="$(get off agent_rps)"
on_rps="$(get on agent_rps)"
{
  echo "== transforms at ingest, $(date -u '+%F %TZ'), delivery during the runs: $DELIVERY; $BENCH_JAVA_VERSION"
  sed 's/^/   /' "$OUT/transform-bench.txt"
  printf '%-34s %10s %9s %9s  %s\n' "pdagentd, 1 KB bodies" "req/s" "p50 ms" "p99 ms" "no acknowledged event lost"
  for run in off on; do
    label="transforms off"
    [ "$run" = on ] && label="scrubber + 20 rules on"
    printf '%-34s %10s %9.2f %9.2f  %s\n' "$label" "$(get "$run" agent_rps)" \
      "$(awk -v u="$(get "$run" agent_p50_us)" 'BEGIN { print u / 1000 }')" \
      "$(awk -v u="$(get "$run" agent_p99_us)" 'BEGIN { print u / 1000 }')" "$(get "$run" loss_check)"
  done
  echo "ratio on / off: $(awk -v a="$on_rps" -v b="$off_rps" 'BEGIN { printf "%.2f", a / b }') (goal >= 0.80)"
  grep '^   machine busy' "$OUT/off.txt" | sed 's/^   /off: /' || true
  grep '^   machine busy' "$OUT/on.txt" | sed 's/^   /on:  /' || true
} | tee "$OUT/transforms-summary.txt"
