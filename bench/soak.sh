#!/usr/bin/env bash
# bench/soak.sh: the agent at a steady, modest rate for a long time (default one hour), delivering to
# a fake PagerDuty that now and then answers 500 or 429, with its resources sampled into a CSV and a
# check that none of them grows.
#
#   bench/soak.sh                                   # 1 hour at 200 events/s over 50 keys
#   SOAK_SECONDS=120 WARMUP_SECONDS=30 LIVE_EVERY=30 bench/soak.sh   # a short form
#   BENCH_OUT=dir bench/soak.sh                     # keep the CSV, plot, summary and logs in dir
#
# Settings (environment): SOAK_SECONDS (3600), RATE (200 events/s in all), KEYS (50), LATENCY_MS (20:
# the fake answers after that long), EVERY_500 (500: every 500th delivery is answered 500), EVERY_429
# (1000: every 1000th answered 429 with Retry-After: 1), KEY_RATE (1200: PDAGENTD_KEY_RATE_PER_MINUTE,
# so that the agent's per-key pacing, 120 a minute by default, stays above RATE / KEYS = 4 a second
# and does not set the pace of the test), SAMPLE_EVERY (10 s), LIVE_EVERY (300 s: a forced full
# collection, then the heap used = the live data), WARMUP_SECONDS (300: left out of the flatness
# check: the JIT, the heap's first growth and the pools settle then). Bounds of the check, over the
# samples after the warm-up, each as "end - start" (means of the last and first tenth) and as the
# least-squares slope times the measured span: MAX_RSS_GROWTH_PCT (5 % of the start), MAX_LIVE_GROWTH_MB
# (4), MAX_FD_GROWTH (4), MAX_THREAD_GROWTH (4), MAX_META_GROWTH_MB (2), MAX_DEPTH (RATE * 10: ten
# seconds of events waiting). PDAGENTD_JAVA_OPTS and MALLOC_ARENA_MAX pass through to the agent.
#
# How:
#  1. the fake (bench/FakeServer.java LATENCY_MS, EVERY_500, EVERY_429) and pdagentd on the embedded
#     queue with default settings but PDAGENTD_KEY_RATE_PER_MINUTE=KEY_RATE;
#  2. bench/LoadGen.java --rate RATE for SOAK_SECONDS: 10 client threads, each owning KEYS / 10 keys
#     and posting them one at a time on a fixed schedule, with custom_details.seq rising per key (the
#     fake counts order violations and duplicates from it). The load generator runs in its own small
#     JVM limited to one processor (-XX:ActiveProcessorCount=1, serial GC, 64 MB heap); its CPU use
#     is sampled too (the machine is shared: it must stay well under a core);
#  3. every SAMPLE_EVERY s one CSV row (soak.csv): seconds since the load began, the agent's RSS,
#     heap used and old generation used (jstat), live heap (after the forced collection every
#     LIVE_EVERY s, else empty), metaspace used, open file descriptors, threads, queue depth, events
#     accepted, delivered and retried so far, events the fake accepted, the 1-minute load average,
#     % of one core taken by the agent and by the load generator since the last row;
#  4. the check (soak-summary.txt): per series start/end/min/max and slope per hour against the
#     bounds above; then the drain: queue empty, nothing dead, and the tally of the delivery promise:
#     sent, acknowledged, delivered (distinct events the fake accepted), lost (acknowledged but never
#     accepted by the fake), duplicated, out of order;
#  5. soak.png (gnuplot, when installed): RSS, heap, threads, descriptors and depth over time.
# Nothing but 127.0.0.1 is contacted, and everything started is stopped at the end (or on Ctrl-C).
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

SOAK_SECONDS="${SOAK_SECONDS:-3600}"
RATE="${RATE:-200}"
KEYS="${KEYS:-50}"
LATENCY_MS="${LATENCY_MS:-20}"
EVERY_500="${EVERY_500:-500}"
EVERY_429="${EVERY_429:-1000}"
KEY_RATE="${KEY_RATE:-1200}"
SAMPLE_EVERY="${SAMPLE_EVERY:-10}"
LIVE_EVERY="${LIVE_EVERY:-300}"
WARMUP_SECONDS="${WARMUP_SECONDS:-300}"
MAX_RSS_GROWTH_PCT="${MAX_RSS_GROWTH_PCT:-5}"
MAX_LIVE_GROWTH_MB="${MAX_LIVE_GROWTH_MB:-4}"
MAX_FD_GROWTH="${MAX_FD_GROWTH:-4}"
MAX_THREAD_GROWTH="${MAX_THREAD_GROWTH:-4}"
MAX_META_GROWTH_MB="${MAX_META_GROWTH_MB:-2}"
MAX_DEPTH="${MAX_DEPTH:-$((RATE * 10))}"

for v in SOAK_SECONDS RATE KEYS LATENCY_MS SAMPLE_EVERY LIVE_EVERY WARMUP_SECONDS KEY_RATE; do
  case "${!v}" in ''|*[!0-9]*|0) bench_die "$v must be a positive whole number (is '${!v}')" ;; esac
done
for v in EVERY_500 EVERY_429; do
  case "${!v}" in ''|*[!0-9]*) bench_die "$v must be a whole number, 0 for never (is '${!v}')" ;; esac
done
((SOAK_SECONDS > WARMUP_SECONDS + 4 * SAMPLE_EVERY)) ||
  bench_die "SOAK_SECONDS ($SOAK_SECONDS) must exceed WARMUP_SECONDS ($WARMUP_SECONDS) by at least 4 samples"

bench_need curl jq ss flock ps awk
bench_find_java
bench_init
bench_log "raw outputs in $OUT"
bench_build
bench_snapshot
bench_log "machine: $(nproc) cores, $(uptime)"

FAKE_PORT="$(bench_free_port)"
bench_start fake "$OUT/fake.log" "$BENCH_JAVA" -XX:+UseSerialGC -Xms64m -Xmx256m -cp "$FAKE_CP" \
  "$BENCH_DIR/FakeServer.java" "$FAKE_PORT" "$LATENCY_MS" 600 "$EVERY_500" "$EVERY_429"
FAKE="http://127.0.0.1:$FAKE_PORT"
bench_wait_http "$FAKE/__stats" 60 "$PID_fake" || { cat "$OUT/fake.log" >&2; bench_die "the fake PagerDuty did not start"; }
bench_start_agent "$FAKE" PDAGENTD_KEY_RATE_PER_MINUTE="$KEY_RATE"
fake_stats() { curl -s --max-time 5 "$FAKE/__stats" || echo '{}'; }

THREADS=$(( KEYS < 10 ? KEYS : 10 ))
EVENTS=$(( (RATE * SOAK_SECONDS * 11 / 10 / KEYS + 1) * KEYS )) # never the limit: --max-seconds is
bench_log "load: bench/LoadGen.java, $THREADS threads, $RATE events/s over $KEYS keys for ${SOAK_SECONDS}s; fake: ${LATENCY_MS} ms, 500 every $EVERY_500, 429 every $EVERY_429"
T0=$SECONDS
bench_start loadgen "$OUT/loadgen.txt" "$BENCH_JAVA" -XX:ActiveProcessorCount=1 -XX:+UseSerialGC -Xms16m -Xmx64m \
  -XX:TieredStopAtLevel=1 "$BENCH_DIR/LoadGen.java" --url "$AGENT_URL/v2/enqueue" --keys "$KEYS" \
  --events "$EVENTS" --threads "$THREADS" --rate "$RATE" --run-id "soak$(date +%s)" \
  --max-seconds "$SOAK_SECONDS" --result "$OUT/loadgen.result"
LOAD_PID="$PID_loadgen"

JSTAT="$BENCH_JAVA_HOME/bin/jstat"
JCMD="$BENCH_JAVA_HOME/bin/jcmd"
# jstat -gc: S0U S1U EU OU MU are columns 3 4 6 8 10 (KB); prints "heap_kb old_kb meta_kb" or 3 blanks
heap_sample() {
  "$JSTAT" -gc "$PID_agent" 2>/dev/null | awk 'NR == 2 { printf "%.0f %.0f %.0f\n", $3 + $4 + $6 + $8, $8, $10 }' || true
}
metric() { awk -v n="$1" '$1 == n || index($1, n "{") == 1 { s += $NF } END { printf "%d\n", s }' <<<"$2"; }

# CPU ticks (user + system) of a process; "% of one core" between two readings
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

CSV="$OUT/soak.csv"
echo "t_s,rss_kb,heap_used_kb,old_used_kb,live_heap_kb,metaspace_kb,fds,threads,depth,accepted,delivered,retries,fake_accepted,load1,agent_cpu_pct,loadgen_cpu_pct" >"$CSV"
next_live=$LIVE_EVERY
prev_t=0 prev_agent="$(ticks "$PID_agent")" prev_load="$(ticks "$LOAD_PID")"
while kill -0 "$LOAD_PID" 2>/dev/null; do
  sleep "$SAMPLE_EVERY"
  kill -0 "$PID_agent" 2>/dev/null || bench_die "pdagentd exited during the soak (see $OUT/agent.log)"
  t=$((SECONDS - T0))
  cur_agent="$(ticks "$PID_agent")" cur_load="$(ticks "$LOAD_PID")"
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
  cpu="$(awk -v a0="$prev_agent" -v a1="$cur_agent" -v l0="$prev_load" -v l1="$cur_load" -v dt="$((t - prev_t))" -v hz="$CLK_TCK" \
    'BEGIN { if (dt < 1) dt = 1; printf "%.1f,%.1f", 100 * (a1 - a0) / hz / dt, (l1 >= l0 ? 100 * (l1 - l0) / hz / dt : 0) }')"
  prev_t=$t prev_agent=$cur_agent
  [ "$cur_load" = 0 ] || prev_load=$cur_load
  echo "$t,$(bench_rss_kb "$PID_agent"),${heap:-},${old:-},$live,${meta:-},$fds,${threads:-},${depth:-},$(metric pdaltagent_ingest_accepted_total "$m"),$(metric pdaltagent_delivered_total "$m"),$(metric pdaltagent_delivery_retries_total "$m"),${received:-},$(cut -d' ' -f1 /proc/loadavg),$cpu" >>"$CSV"
done
wait "$LOAD_PID" 2>/dev/null || bench_log "the load generator exited with an error: $(tail -n 3 "$OUT/loadgen.txt")"

# ---------------------------------------------------------------------------- drain and totals
drained="$(bench_wait_drained 180 || true)"
sleep 2
accepted="$(bench_metric pdaltagent_ingest_accepted_total)"
delivered="$(bench_metric pdaltagent_delivered_total)"
retries="$(bench_metric pdaltagent_delivery_retries_total)"
read -r depth inflight retry deadq <<<"$(bench_agent_health)"
fs="$(fake_stats)"
f_count="$(jq -r .count <<<"$fs")"
f_accepted="$(jq -r .accepted <<<"$fs")"
violations="$(jq -r .order_violations <<<"$fs")"
duplicates="$(jq -r .duplicates <<<"$fs")"
lg="$(grep '^LOADGEN' "$OUT/loadgen.txt" || true)"
lgv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$lg"; }
sent="$(lgv sent)" acked="$(lgv acked)" unknown="$(lgv unknown)" rejected="$(lgv rejected)"
distinct=$((f_accepted - duplicates))
lost=$(( acked > distinct ? acked - distinct : 0 ))

# ---------------------------------------------------------------------------- flatness
# Per column: n, start (mean of the first tenth after the warm-up), end (mean of the last tenth),
# slope per hour (least squares), min, max, span of the samples in hours. Empty cells are skipped.
series() {
  awk -F, -v col="$1" -v w="$WARMUP_SECONDS" '
    NR > 1 && $1 >= w && $col != "" { n++; t[n] = $1; v[n] = $col }
    END {
      if (n < 2) { print "0 0 0 0 0 0 0"; exit }
      k = int(n / 10); if (k < 1) k = 1
      for (i = 1; i <= k; i++) s += v[i]
      for (i = n - k + 1; i <= n; i++) e += v[i]
      for (i = 1; i <= n; i++) { mt += t[i]; mv += v[i]; if (i == 1 || v[i] < lo) lo = v[i]; if (i == 1 || v[i] > hi) hi = v[i] }
      mt /= n; mv /= n
      for (i = 1; i <= n; i++) { sxy += (t[i] - mt) * (v[i] - mv); sxx += (t[i] - mt) ^ 2 }
      printf "%d %.1f %.1f %.2f %s %s %.4f\n", n, s / k, e / k, (sxx > 0 ? sxy / sxx * 3600 : 0), lo, hi, (t[n] - t[1]) / 3600
    }' "$CSV"
}
verdict=OK
reasons=()
fail() { verdict="FAILED"; reasons+=("$1"); }
f1() { awk -v x="$1" -v d="$2" 'BEGIN { printf "%.1f", x / d }'; }
check() { # NAME COLUMN LIMIT UNIT DIVISOR [pct]: LIMIT "-" = reported only; "pct" = LIMIT in % of the start
  local name="$1" col="$2" limit="$3" unit="$4" div="$5" mode="${6:-abs}" n s e slope lo hi span growth fitted bound
  read -r n s e slope lo hi span <<<"$(series "$col")"
  growth="$(awk -v s="$s" -v e="$e" -v d="$div" 'BEGIN { printf "%.1f", (e - s) / d }')"
  fitted="$(awk -v x="$slope" -v h="$span" -v d="$div" 'BEGIN { printf "%.1f", x * h / d }')"
  bound="$limit"
  [ "$mode" = pct ] && [ "$limit" != - ] && bound="$(awk -v s="$s" -v l="$limit" -v d="$div" 'BEGIN { printf "%.1f", s * l / 100 / d }')"
  printf '%-12s start %8s  end %8s  min %8s  max %8s %-3s  slope %8s %s/h  change end-start %6s, fitted %6s (limit %s%s)  [%s samples]\n' \
    "$name" "$(f1 "$s" "$div")" "$(f1 "$e" "$div")" "$(f1 "$lo" "$div")" "$(f1 "$hi" "$div")" "$unit" \
    "$(awk -v x="$slope" -v d="$div" 'BEGIN { printf "%.2f", x / d }')" "$unit" "$growth" "$fitted" "$bound" \
    "$([ "$mode" = pct ] && echo " = $limit % of the start")" "$n"
  if [ "$n" -lt 2 ]; then
    [ "$name" = "live heap" ] && [ "$SOAK_SECONDS" -lt $((WARMUP_SECONDS + 2 * LIVE_EVERY)) ] || fail "$name: fewer than 2 samples"
    return 0
  fi
  [ "$bound" = - ] && return 0
  awk -v g="$growth" -v l="$bound" 'BEGIN { exit !(g <= l) }' || fail "$name grew by $growth $unit end against start (limit $bound)"
  awk -v g="$fitted" -v l="$bound" 'BEGIN { exit !(g <= l) }' || fail "$name: the fitted slope gives +$fitted $unit over the run (limit $bound)"
}
{
  echo "== soak: ${SOAK_SECONDS}s at ~$RATE events/s over $KEYS keys, fake latency ${LATENCY_MS} ms, 500 every $EVERY_500 / 429 every $EVERY_429 deliveries; ended $(date -u '+%F %TZ')"
  echo "   pdagentd JVM: ${PDAGENTD_JAVA_OPTS:-$AGENT_DEFAULT_OPTS}; $BENCH_JAVA_VERSION; PDAGENTD_KEY_RATE_PER_MINUTE=$KEY_RATE; embedded queue"
  echo "   machine: $(nproc) cores; load average over the run (1-min, sampled) min/median/max $(awk -F, 'NR > 1 { print $14 }' "$CSV" | sort -n | awk '{ a[NR] = $1 } END { if (NR) printf "%s/%s/%s", a[1], a[int((NR + 1) / 2)], a[NR] }')"
  echo "   CPU, % of one core (sampled): agent median $(awk -F, 'NR > 1 { print $15 }' "$CSV" | sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'), load generator median/max $(awk -F, 'NR > 1 { print $16 }' "$CSV" | sort -n | awk '{ a[NR] = $1 } END { if (NR) printf "%s/%s", a[int((NR + 1) / 2)], a[NR] }')"
  echo "   load generator: $lg"
  echo "   delivery: sent $sent, acknowledged $acked (rejected $rejected, no answer $unknown); agent accepted $accepted, delivered $delivered, retries $retries;"
  echo "             the fake: $f_count requests, $f_accepted accepted = $distinct distinct + $duplicates duplicated, out of order $violations;"
  echo "             lost $lost; after the drain depth=$depth in_flight=$inflight retry_scheduled=$retry dead=$deadq"
  echo "-- flatness after the first ${WARMUP_SECONDS}s (start/end: mean of the first/last tenth of those samples; fitted = slope x span):"
  check "RSS" 2 "$MAX_RSS_GROWTH_PCT" MB 1024 pct
  check "heap used" 3 - MB 1024
  check "old gen" 4 - MB 1024
  check "live heap" 5 "$MAX_LIVE_GROWTH_MB" MB 1024
  check "metaspace" 6 "$MAX_META_GROWTH_MB" MB 1024
  check "fds" 7 "$MAX_FD_GROWTH" "" 1
  check "threads" 8 "$MAX_THREAD_GROWTH" "" 1
  read -r _ _ _ _ _ dmax _ <<<"$(series 9)"
  printf '%-12s max %s (limit %s)\n' "queue depth" "$dmax" "$MAX_DEPTH"
  awk -v m="${dmax:-0}" -v l="$MAX_DEPTH" 'BEGIN { exit !(m <= l) }' || fail "queue depth reached $dmax (limit $MAX_DEPTH)"
  [ "$drained" = 0 ] || fail "the queue did not drain after the load (depth $drained)"
  [ "$deadq" = 0 ] || fail "$deadq dead event(s)"
  [ "$violations" = 0 ] || fail "$violations order violation(s) at the fake"
  [ "$lost" = 0 ] || fail "$lost acknowledged event(s) never reached the fake"
  [ -n "$acked" ] && [ "$acked" -gt 0 ] || fail "the load generator reported no acknowledged event"
  [ "$accepted" -ge "${acked:-0}" ] || fail "the agent counted $accepted accepted, the load generator $acked acknowledged"
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
set multiplot layout 3,1 title "pdagentd soak: ~$RATE events/s over $KEYS keys, ${SOAK_SECONDS} s (warm-up ${WARMUP_SECONDS} s)"
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
