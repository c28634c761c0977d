#!/usr/bin/env bash
# bench/soak.sh: the agent at a steady, modest rate for a long time (default one hour), delivering to
# a fake PagerDuty, with its resources sampled into a CSV and a check that none of them grows.
#
#   bench/soak.sh                                   # 1 hour at 50 events/s
#   SOAK_SECONDS=300 RATE=100 bench/soak.sh         # a short form
#   BENCH_OUT=dir bench/soak.sh                     # keep the CSV, plot and logs in dir
#
# Settings (environment): SOAK_SECONDS (3600), RATE (50 events/s), KEYS (100), LATENCY_MS (50: the
# fake answers after that long), SAMPLE_EVERY (10 s), LIVE_EVERY (300 s: a forced full collection,
# then the heap used = the live data), WARMUP_SECONDS (120: left out of the flatness check: the JIT,
# the heap's first growth and Jetty's pool settle then); bounds of the check, end against start:
# MAX_RSS_GROWTH_MB (16), MAX_LIVE_GROWTH_MB (8), MAX_FD_GROWTH (16), MAX_THREAD_GROWTH (8),
# MAX_DEPTH (RATE * 10: ten seconds of events waiting). PDAGENTD_JAVA_OPTS and MALLOC_ARENA_MAX pass
# through to the agent when set.
#
# How:
#  1. the fake (bench/FakeServer.java, --latency LATENCY_MS) and pdagentd with default settings (per-key
#     pacing included: RATE / KEYS per key stays far below PagerDuty's 120 a minute);
#  2. wrk with bench/ingest-paced.lua for SOAK_SECONDS: C connections, each waiting C / RATE s after
#     every answer (C = RATE / 10, at least 1), so about RATE requests a second;
#  3. every SAMPLE_EVERY s one CSV row (soak.csv): seconds since the load began, the agent's RSS,
#     heap used and old generation used (jstat), live heap (after the forced collection every
#     LIVE_EVERY s, else empty), metaspace used, open file descriptors, threads, queue depth, events
#     accepted and delivered so far, events the fake received;
#  4. the check, over the samples after WARMUP_SECONDS: end (mean of the last tenth) against start
#     (mean of the first tenth) and the least-squares slope per hour of each series, against the
#     bounds above; then the drain: everything accepted reached the fake, nothing dead;
#  5. soak.png (gnuplot, when installed): RSS, heap, threads, descriptors and depth over time.
# Every request the load sends is a new event; nothing but 127.0.0.1 is contacted, and everything
# started is stopped at the end (or on Ctrl-C).
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

SOAK_SECONDS="${SOAK_SECONDS:-3600}"
RATE="${RATE:-50}"
KEYS="${KEYS:-100}"
LATENCY_MS="${LATENCY_MS:-50}"
SAMPLE_EVERY="${SAMPLE_EVERY:-10}"
LIVE_EVERY="${LIVE_EVERY:-300}"
WARMUP_SECONDS="${WARMUP_SECONDS:-120}"
MAX_RSS_GROWTH_MB="${MAX_RSS_GROWTH_MB:-16}"
MAX_LIVE_GROWTH_MB="${MAX_LIVE_GROWTH_MB:-8}"
MAX_FD_GROWTH="${MAX_FD_GROWTH:-16}"
MAX_THREAD_GROWTH="${MAX_THREAD_GROWTH:-8}"
MAX_DEPTH="${MAX_DEPTH:-$((RATE * 10))}"

for v in SOAK_SECONDS RATE KEYS LATENCY_MS SAMPLE_EVERY LIVE_EVERY WARMUP_SECONDS; do
  case "${!v}" in ''|*[!0-9]*|0) bench_die "$v must be a positive whole number (is '${!v}')" ;; esac
done
((SOAK_SECONDS > WARMUP_SECONDS + 4 * SAMPLE_EVERY)) ||
  bench_die "SOAK_SECONDS ($SOAK_SECONDS) must exceed WARMUP_SECONDS ($WARMUP_SECONDS) by at least 4 samples"

bench_need wrk curl jq ss flock ps awk
bench_find_java
bench_init
bench_log "raw outputs in $OUT"
bench_build
bench_snapshot

bench_start_fake fake "$LATENCY_MS" 600
FAKE="$FAKE_URL_fake"
bench_start_agent "$FAKE"
fake_stats() { curl -s --max-time 5 "$FAKE/__stats" || echo '{}'; }

# connections and the pause of each after an answer: about RATE requests a second in all
CONN=$(( RATE / 10 > 0 ? RATE / 10 : 1 ))
PACE_MS="$(awk -v c="$CONN" -v r="$RATE" 'BEGIN { printf "%.3f", c * 1000 / r }')"
bench_log "load: wrk, $CONN connection(s) pausing ${PACE_MS} ms after each answer (~$RATE events/s) over $KEYS keys for ${SOAK_SECONDS}s"
T0=$SECONDS
wrk -t1 -c"$CONN" -d"${SOAK_SECONDS}s" --timeout 10s --latency -s "$BENCH_DIR/ingest-paced.lua" \
  "$AGENT_URL" -- "soak$(date +%s)" "$KEYS" "$PACE_MS" >"$OUT/wrk.txt" 2>&1 &
WRK_PID=$!
BENCH_PIDS+=("$WRK_PID")

JSTAT="$BENCH_JAVA_HOME/bin/jstat"
JCMD="$BENCH_JAVA_HOME/bin/jcmd"
# jstat -gc: S0U S1U EU OU MU are columns 3 4 6 8 10 (KB); prints "heap_kb old_kb meta_kb" or 3 blanks
heap_sample() {
  "$JSTAT" -gc "$PID_agent" 2>/dev/null | awk 'NR == 2 { printf "%.0f %.0f %.0f\n", $3 + $4 + $6 + $8, $8, $10 }' || true
}
metric() { awk -v n="$1" '$1 == n || index($1, n "{") == 1 { s += $NF } END { printf "%d\n", s }' <<<"$2"; }

CSV="$OUT/soak.csv"
echo "t_s,rss_kb,heap_used_kb,old_used_kb,live_heap_kb,metaspace_kb,fds,threads,depth,accepted,delivered,fake_received" >"$CSV"
next_live=$LIVE_EVERY
while kill -0 "$WRK_PID" 2>/dev/null; do
  sleep "$SAMPLE_EVERY"
  kill -0 "$PID_agent" 2>/dev/null || bench_die "pdagentd exited during the soak (see $OUT/agent.log)"
  t=$((SECONDS - T0))
  live=""
  if ((t >= next_live)); then
    "$JCMD" "$PID_agent" GC.run >/dev/null 2>&1 || true
    live="$(heap_sample | awk '{ print $1 }')"
    next_live=$((next_live + LIVE_EVERY))
  fi
  read -r heap old meta <<<"$(heap_sample)" || true
  fds="$(find "/proc/$PID_agent/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)"
  threads="$(awk '/^Threads:/ { print $2 }' "/proc/$PID_agent/status" 2>/dev/null)"
  depth="$(curl -s --max-time 5 "$AGENT_URL/healthz" | jq -r '.queue.depth // empty' 2>/dev/null || true)"
  m="$(curl -s --max-time 5 "$AGENT_URL/metrics" || true)"
  received="$(fake_stats | jq -r '.accepted // empty' 2>/dev/null || true)"
  echo "$t,$(bench_rss_kb "$PID_agent"),${heap:-},${old:-},$live,${meta:-},$fds,${threads:-},${depth:-},$(metric pdaltagent_ingest_accepted_total "$m"),$(metric pdaltagent_delivered_total "$m"),${received:-}" >>"$CSV"
done
wait "$WRK_PID" 2>/dev/null || bench_log "wrk exited with an error: $(tail -n 3 "$OUT/wrk.txt")"

# ---------------------------------------------------------------------------- drain and totals
drained="$(bench_wait_drained 120 || true)"
sleep 1
accepted="$(bench_metric pdaltagent_ingest_accepted_total)"
delivered="$(bench_metric pdaltagent_delivered_total)"
read -r depth inflight retry deadq <<<"$(bench_agent_health)"
received="$(fake_stats | jq -r .accepted)"
violations="$(fake_stats | jq -r .order_violations)"
wrkstats="$(grep '^WRKSTATS' "$OUT/wrk.txt" || true)"

# ---------------------------------------------------------------------------- flatness
# Per column: n, start (mean of the first tenth after the warm-up), end (mean of the last tenth),
# slope per hour (least squares), min, max. Empty cells (jstat or the live heap missing) are skipped.
series() {
  awk -F, -v col="$1" -v w="$WARMUP_SECONDS" '
    NR > 1 && $1 >= w && $col != "" { n++; t[n] = $1; v[n] = $col }
    END {
      if (n < 2) { print "0 0 0 0 0 0"; exit }
      k = int(n / 10); if (k < 1) k = 1
      for (i = 1; i <= k; i++) s += v[i]
      for (i = n - k + 1; i <= n; i++) e += v[i]
      for (i = 1; i <= n; i++) { mt += t[i]; mv += v[i]; if (i == 1 || v[i] < lo) lo = v[i]; if (i == 1 || v[i] > hi) hi = v[i] }
      mt /= n; mv /= n
      for (i = 1; i <= n; i++) { sxy += (t[i] - mt) * (v[i] - mv); sxx += (t[i] - mt) ^ 2 }
      printf "%d %.1f %.1f %.2f %s %s\n", n, s / k, e / k, (sxx > 0 ? sxy / sxx * 3600 : 0), lo, hi
    }' "$CSV"
}
verdict=OK
fail() { verdict="FAILED"; reasons+=("$1"); }
reasons=()
check() { # NAME COLUMN LIMIT UNIT DIVISOR
  local name="$1" col="$2" limit="$3" unit="$4" div="$5" n s e slope lo hi growth
  read -r n s e slope lo hi <<<"$(series "$col")"
  growth="$(awk -v s="$s" -v e="$e" -v d="$div" 'BEGIN { printf "%.1f", (e - s) / d }')"
  printf '%-12s start %10s  end %10s  growth %8s %s (limit %s)  slope %s %s/h  min %s max %s  (%s samples)\n' \
    "$name" "$(awk -v x="$s" -v d="$div" 'BEGIN { printf "%.1f", x / d }')" "$(awk -v x="$e" -v d="$div" 'BEGIN { printf "%.1f", x / d }')" \
    "$growth" "$unit" "$limit" "$(awk -v x="$slope" -v d="$div" 'BEGIN { printf "%.2f", x / d }')" "$unit" \
    "$(awk -v x="$lo" -v d="$div" 'BEGIN { printf "%.1f", x / d }')" "$(awk -v x="$hi" -v d="$div" 'BEGIN { printf "%.1f", x / d }')" "$n"
  if [ "$n" -lt 2 ]; then
    [ "$name" = "live heap" ] && [ "$SOAK_SECONDS" -lt $((WARMUP_SECONDS + 2 * LIVE_EVERY)) ] || fail "$name: fewer than 2 samples"
    return 0
  fi
  # "-": reported only (the heap in use is a saw-tooth between collections; the live heap is checked)
  [ "$limit" = - ] || awk -v g="$growth" -v l="$limit" 'BEGIN { exit !(g <= l) }' || fail "$name grew by $growth $unit (limit $limit)"
}
{
  echo "== soak: ${SOAK_SECONDS}s at ~$RATE events/s over $KEYS keys, fake latency ${LATENCY_MS} ms, $(date -u '+%F %TZ')"
  echo "   pdagentd JVM: ${PDAGENTD_JAVA_OPTS:-$AGENT_DEFAULT_OPTS}; $BENCH_JAVA_VERSION"
  echo "   wrk: $wrkstats"
  echo "   accepted $accepted, delivered $delivered, the fake received $received (order_violations $violations); after the drain depth=$depth dead=$deadq"
  echo "-- flatness after the first ${WARMUP_SECONDS}s (start/end: mean of the first/last tenth of the samples):"
  check "RSS" 2 "$MAX_RSS_GROWTH_MB" MB 1024
  check "heap used" 3 - MB 1024
  check "live heap" 5 "$MAX_LIVE_GROWTH_MB" MB 1024
  check "metaspace" 6 4 MB 1024
  check "fds" 7 "$MAX_FD_GROWTH" "" 1
  check "threads" 8 "$MAX_THREAD_GROWTH" "" 1
  read -r _ _ _ _ _ dmax <<<"$(series 9)"
  printf '%-12s max %s (limit %s)\n' "queue depth" "$dmax" "$MAX_DEPTH"
  awk -v m="${dmax:-0}" -v l="$MAX_DEPTH" 'BEGIN { exit !(m <= l) }' || fail "queue depth reached $dmax (limit $MAX_DEPTH)"
  [ "$drained" = 0 ] || fail "the queue did not drain after the load (depth $drained)"
  [ "$deadq" = 0 ] || fail "$deadq dead event(s)"
  [ "$violations" = 0 ] || fail "$violations order violation(s) at the fake"
  [ "$received" -ge "$accepted" ] || fail "the fake received $received events, the agent accepted $accepted"
  for r in "${reasons[@]}"; do echo "   $r"; done
  echo "-- verdict: $verdict"
} | tee "$OUT/soak-summary.txt"
grep -q -- '-- verdict: OK' "$OUT/soak-summary.txt" && verdict=OK || verdict=FAILED

# ---------------------------------------------------------------------------- plot
if command -v gnuplot >/dev/null 2>&1; then
  gnuplot <<EOF 2>"$OUT/gnuplot.log" || bench_log "gnuplot failed (see $OUT/gnuplot.log)"
set terminal pngcairo size 900,700 font ",9" noenhanced
set output "$OUT/soak.png"
set datafile separator ","
set key top left
set multiplot layout 3,1 title "pdagentd soak: ~$RATE events/s, ${SOAK_SECONDS} s"
set xlabel "minutes"
set ylabel "MB"
set yrange [0:*]
plot "$CSV" using (\$1/60):(\$2/1024) every ::1 with lines title "RSS", \
     "" using (\$1/60):(\$3/1024) every ::1 with lines title "heap used", \
     "" using (\$1/60):(\$5/1024) every ::1 with points pt 7 ps 0.6 title "live heap (after a full GC)", \
     "" using (\$1/60):(\$6/1024) every ::1 with lines title "metaspace"
set ylabel "count"
plot "$CSV" using (\$1/60):7 every ::1 with lines title "open file descriptors", \
     "" using (\$1/60):8 every ::1 with lines title "threads"
set ylabel "events"
plot "$CSV" using (\$1/60):9 every ::1 with lines title "queue depth"
unset multiplot
EOF
  [ -f "$OUT/soak.png" ] && bench_log "plot: $OUT/soak.png"
else
  bench_log "gnuplot not installed (apt-get install gnuplot-nox): no plot"
fi
case "$verdict" in OK) exit 0 ;; *) exit 1 ;; esac
