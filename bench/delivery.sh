#!/usr/bin/env bash
# bench/delivery.sh: delivery throughput of pdagentd to a fake PagerDuty that answers after 50 ms,
# over 1,000 routing keys, with the order per key verified, and the agent's RSS meanwhile.
#
#   bench/delivery.sh                     # defaults below
#   BENCH_OUT=dir bench/delivery.sh       # keep raw outputs in dir (else a temp dir, removed)
#
# Settings (environment): EVENTS (150000), KEYS (1000), LATENCY_MS (50), LOAD_THREADS (64),
# WARMUP_EVENTS (20000), DRAIN_TIMEOUT (150 s); PDAGENTD_DELIVERY_CONCURRENCY, PDAGENTD_JAVA_OPTS and
# MALLOC_ARENA_MAX pass through to the agent when set; BENCH_JCMD_EVERY=N samples the agent's memory
# (smaps, heap, native memory tracking) every N seconds into $OUT/jcmd/, BENCH_JFR=1 records the
# drain with JFR into $OUT/drain.jfr, BENCH_HISTO=1 takes a class histogram (a full GC) with the
# backlog loaded and halfway through the drain, BENCH_HEAPDUMP=FILE (with BENCH_HISTO=1) a heap dump
# there too (all of them diagnostics only).
#
# How:
#  1. start the fake (--latency-ms 50) and pdagentd (delivering to it), sample the agent's RSS every
#     second from then on;
#  2. warm-up: WARMUP_EVENTS through ingest and delivery, wait for them to arrive, POST /__clear;
#  3. stop the fake with SIGSTOP (its kernel accept queue keeps taking connections; the agent's
#     attempts simply wait for an answer), load the backlog with bench/LoadGen.java: each client
#     thread owns a disjoint set of keys and posts sequentially, so within a key the agent accepts
#     the events in payload.custom_details.seq order;
#  4. SIGCONT the fake: from then on the backlog drains; sample /__stats every second until every
#     acknowledged event arrived; check order_violations == 0 and count == acknowledged.
# The agent's per-attempt timeout is raised to 300 s and the fake's idle timeout to 600 s
# (bench/FakeServer.java) so that the attempts held by the stopped fake neither time out nor find
# their connection closed at SIGCONT (either would only add retries and duplicates).
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

EVENTS="${EVENTS:-150000}"
KEYS="${KEYS:-1000}"
LATENCY_MS="${LATENCY_MS:-50}"
LOAD_THREADS="${LOAD_THREADS:-64}"
WARMUP_EVENTS="${WARMUP_EVENTS:-20000}"
DRAIN_TIMEOUT="${DRAIN_TIMEOUT:-150}"

bench_need curl jq ss flock ps awk top
bench_find_java
bench_init
bench_log "raw outputs in $OUT"
bench_build
bench_snapshot

# Compile the load generator once (single-file source launch would compile at every start).
mkdir -p "$BENCH_TMP/loadgen"
"$BENCH_JAVA_HOME/bin/javac" -d "$BENCH_TMP/loadgen" "$BENCH_DIR/LoadGen.java"
loadgen() { "$BENCH_JAVA" -XX:+UseSerialGC -Xmx512m -cp "$BENCH_TMP/loadgen" LoadGen "$@"; }

# idle timeout 600 s: see bench/FakeServer.java (the SIGSTOP below must not turn into retries)
bench_start_fake fake "$LATENCY_MS" 600
FAKE="$FAKE_URL_fake"
# per-key pacing raised out of the way (1,000,000/min per key: it runs, it never holds a key): this
# measures the delivery path, and 150 events per key drained in seconds are far above PagerDuty's 120/min
bench_start_agent "$FAKE" PDAGENTD_DELIVERY_TIMEOUT_SECONDS=300 PDAGENTD_KEY_RATE_PER_MINUTE="${PDAGENTD_KEY_RATE_PER_MINUTE:-1000000}"

# RSS of the agent every second, for at most 10 minutes, "epoch_s rss_kb phase".
echo warmup >"$BENCH_TMP/phase"
(
  for ((i = 0; i < 600; i++)); do
    r="$(bench_rss_kb "$PID_agent")"
    [ -n "$r" ] || exit 0
    echo "$(date +%s) $r $(cat "$BENCH_TMP/phase" 2>/dev/null)"
    sleep 1
  done
) >"$OUT/agent-rss.txt" &
BENCH_PIDS+=("$!")

# Diagnostics (BENCH_JCMD_EVERY=N): every N seconds the agent's /proc/<pid>/smaps_rollup, jcmd
# GC.heap_info and, when the JVM runs with -XX:NativeMemoryTracking, VM.native_memory summary, into
# $OUT/jcmd/<seconds since start>-<phase>.txt. Each jcmd starts a small JVM (~0.3 s of CPU): for
# memory analysis, not for rate figures.
if [ "${BENCH_JCMD_EVERY:-0}" -gt 0 ]; then
  mkdir -p "$OUT/jcmd"
  (
    t0=$SECONDS
    while kill -0 "$PID_agent" 2>/dev/null; do
      f="$OUT/jcmd/$(printf '%04d' $((SECONDS - t0)))-$(cat "$BENCH_TMP/phase" 2>/dev/null).txt"
      {
        echo "rss_kb $(bench_rss_kb "$PID_agent")"
        cat "/proc/$PID_agent/smaps_rollup" 2>/dev/null
        grep -E '^(Threads|VmRSS|RssAnon|RssFile)' "/proc/$PID_agent/status" 2>/dev/null
        "$BENCH_JAVA_HOME/bin/jcmd" "$PID_agent" GC.heap_info 2>&1
        case "${PDAGENTD_JAVA_OPTS:-}" in
          *NativeMemoryTracking*) "$BENCH_JAVA_HOME/bin/jcmd" "$PID_agent" VM.native_memory summary 2>&1 ;;
        esac
      } >"$f" 2>&1
      sleep "$BENCH_JCMD_EVERY"
    done
  ) &
  BENCH_PIDS+=("$!")
fi

fake_stats() { curl -s --max-time 5 "$FAKE/__stats"; }

# ---------------------------------------------------------------------------- warm-up
bench_log "warm-up: $WARMUP_EVENTS events through ingest and delivery"
loadgen --url "$AGENT_URL/v2/enqueue" --keys "$KEYS" --events "$WARMUP_EVENTS" --threads "$LOAD_THREADS" \
  --seq-start 1 --run-id "w$(date +%s)" --max-seconds 60 --result "$OUT/loadgen-warmup.txt" >/dev/null
cat "$OUT/loadgen-warmup.txt" >&2
warm_acked="$(sed -n 's/.* acked=\([0-9]*\).*/\1/p' "$OUT/loadgen-warmup.txt")"
deadline=$((SECONDS + 60))
while ((SECONDS < deadline)); do
  [ "$(fake_stats | jq -r .accepted)" -ge "$warm_acked" ] && [ "$(bench_agent_health | awk '{print $1}')" = 0 ] && break
  sleep 1
done
fake_stats >"$OUT/fake-stats-warmup.json"
warm_violations="$(jq -r .order_violations "$OUT/fake-stats-warmup.json")"
curl -s -X POST --max-time 5 "$FAKE/__clear" >/dev/null
delivered_before="$(bench_metric pdaltagent_delivered_total)"

# ---------------------------------------------------------------------------- backlog
bench_wait_quiet
BG_LOAD="$BENCH_BACKGROUND"
echo load >"$BENCH_TMP/phase"
bench_log "stopping the fake (SIGSTOP) and loading $EVENTS events over $KEYS keys with $LOAD_THREADS sequential client threads"
kill -STOP "$PID_fake"
loadgen --url "$AGENT_URL/v2/enqueue" --keys "$KEYS" --events "$EVENTS" --threads "$LOAD_THREADS" \
  --seq-start 1000 --run-id "m$(date +%s)" --max-seconds 120 --result "$OUT/loadgen-main.txt" >"$OUT/loadgen-main.out" 2>&1 ||
  { kill -CONT "$PID_fake"; cat "$OUT/loadgen-main.out" >&2; bench_die "the load generator failed"; }
cat "$OUT/loadgen-main.txt" >&2
kill -0 "$PID_agent" 2>/dev/null || { kill -CONT "$PID_fake"; bench_die "pdagentd exited during the load (see $OUT/agent.log; a shutdown this script did not ask for means something else signalled it)"; }
acked="$(sed -n 's/.* acked=\([0-9]*\).*/\1/p' "$OUT/loadgen-main.txt")"
unknown="$(sed -n 's/.* unknown=\([0-9]*\).*/\1/p' "$OUT/loadgen-main.txt")"
load_rate="$(sed -n 's/.* rate=\([0-9]*\).*/\1/p' "$OUT/loadgen-main.txt")"
backlog_health="$(bench_agent_health)"
[ "$acked" -gt 0 ] || { kill -CONT "$PID_fake"; bench_die "no event was acknowledged"; }

# ---------------------------------------------------------------------------- drain
echo drain >"$BENCH_TMP/phase"
bench_log "resuming the fake (SIGCONT): draining $acked events"
if [ "${BENCH_HISTO:-0}" = 1 ]; then
  "$BENCH_JAVA_HOME/bin/jcmd" "$PID_agent" GC.class_histogram >"$OUT/histo-backlog.txt" 2>&1 || true
fi
# BENCH_JFR=1: a JFR recording (settings=profile: allocation samples, CPU samples, GC) of the drain
# only, in $OUT/drain.jfr (diagnostics: JFR costs some CPU and memory itself)
if [ "${BENCH_JFR:-0}" = 1 ]; then
  "$BENCH_JAVA_HOME/bin/jcmd" "$PID_agent" JFR.start name=drain settings=profile >"$OUT/jfr-start.txt" 2>&1 || true
fi
t0_ms="$(date +%s%3N)"
kill -CONT "$PID_fake"
: >"$OUT/drain-samples.txt" # "ms_since_start fake_count fake_accepted violations duplicates rss_kb"
# (only the fake and ps here: nothing that asks the agent for work while it drains)
snap0="" snap1="" drained_ms=""
labels="$PID_agent=pdagentd $PID_fake=fake-pd"
for ((i = 0; i < DRAIN_TIMEOUT * 2; i++)); do
  sleep 0.5
  now_ms="$(date +%s%3N)"
  s="$(fake_stats)"
  count="$(jq -r .accepted <<<"$s")"
  echo "$((now_ms - t0_ms)) $(jq -r '"\(.count) \(.accepted) \(.order_violations) \(.duplicates)"' <<<"$s") $(bench_rss_kb "$PID_agent")" >>"$OUT/drain-samples.txt"
  # per-thread CPU between 2 s into the drain and 80 % of it, top halfway through
  if [ -z "$snap0" ] && ((now_ms - t0_ms >= 2000)); then
    bench_cpu_snap "$BENCH_TMP/dcpu0" "$PID_agent" "$PID_fake"; snap0=1
  elif [ -n "$snap0" ] && [ -z "$snap1" ] && ((count * 10 >= acked * 8)); then
    bench_cpu_snap "$BENCH_TMP/dcpu1" "$PID_agent" "$PID_fake"; snap1=1
  fi
  if [ -n "$snap0" ] && [ ! -f "$OUT/top-drain-threads.txt" ] && ((count * 2 >= acked)); then
    timeout 10 top -b -n 2 -d 2 -H -w 200 -p "$PID_agent" >"$OUT/top-drain-threads.txt" 2>&1 || true
    timeout 10 top -b -n 2 -d 2 -w 200 >"$OUT/top-drain-machine.txt" 2>&1 || true
    if [ "${BENCH_HISTO:-0}" = 1 ]; then
      "$BENCH_JAVA_HOME/bin/jcmd" "$PID_agent" GC.class_histogram >"$OUT/histo-drain.txt" 2>&1 || true
      [ -z "${BENCH_HEAPDUMP:-}" ] || "$BENCH_JAVA_HOME/bin/jcmd" "$PID_agent" GC.heap_dump "$BENCH_HEAPDUMP" >/dev/null 2>&1 || true
    fi
  fi
  if [ "$count" -ge "$acked" ]; then
    drained_ms=$((now_ms - t0_ms))
    break
  fi
done
sleep 1
if [ "${BENCH_JFR:-0}" = 1 ]; then
  "$BENCH_JAVA_HOME/bin/jcmd" "$PID_agent" JFR.stop name=drain filename="$(readlink -f "$OUT")/drain.jfr" >>"$OUT/jfr-start.txt" 2>&1 || true
fi
final="$(fake_stats)"
echo "$final" >"$OUT/fake-stats-final.json"
read -r depth inflight retry deadq <<<"$(bench_agent_health)"
delivered_after="$(bench_metric pdaltagent_delivered_total)"
f_count="$(jq -r .count <<<"$final")"
f_acc="$(jq -r .accepted <<<"$final")"
f_keys="$(jq -r .keys <<<"$final")"
f_viol="$(jq -r .order_violations <<<"$final")"
f_dup="$(jq -r .duplicates <<<"$final")"
if [ -n "$snap1" ]; then
  bench_cpu_report "$BENCH_TMP/dcpu0" "$BENCH_TMP/dcpu1" "$labels" >"$OUT/cpu-drain.txt"
else
  echo "(drain too short for a CPU sample)" >"$OUT/cpu-drain.txt"
fi

# Rates: overall = acknowledged / time to the last arrival (sample resolution 0.5 s); steady = the
# slope between 10 % and 90 % of the backlog (start-up and the tail left out).
read -r steady_rate t10 t90 <<<"$(awk -v n="$acked" '
  { t[NR] = $1; c[NR] = $3 }
  END {
    for (i = 1; i <= NR; i++) { if (!a && c[i] >= 0.1 * n) a = i; if (!b && c[i] >= 0.9 * n) b = i }
    if (a && b && t[b] > t[a]) printf "%.0f %d %d\n", (c[b] - c[a]) * 1000 / (t[b] - t[a]), t[a], t[b]; else print "0 0 0"
  }' "$OUT/drain-samples.txt")"
overall_rate="$( [ -n "$drained_ms" ] && awk -v n="$acked" -v ms="$drained_ms" 'BEGIN { printf "%.0f", n * 1000 / ms }' || echo 0)"
rss_max_kb="$(awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { print m }' "$OUT/agent-rss.txt")"
rss_max_drain_kb="$(awk 'BEGIN { m = 0 } $3 == "drain" && $2 > m { m = $2 } END { print m }' "$OUT/agent-rss.txt")"
rss_max_load_kb="$(awk 'BEGIN { m = 0 } $3 == "load" && $2 > m { m = $2 } END { print m }' "$OUT/agent-rss.txt")"

verdict=OK
[ -n "$drained_ms" ] || verdict="FAILED: only $f_acc of $acked events arrived within ${DRAIN_TIMEOUT}s"
[ "$f_viol" = 0 ] || verdict="FAILED: $f_viol order violations"
[ "$warm_violations" = 0 ] || verdict="FAILED: $warm_violations order violations during the warm-up"
[ "$f_acc" -ge "$acked" ] && [ "$f_acc" -le $((acked + unknown + f_dup)) ] || verdict="FAILED: the fake accepted $f_acc events, $acked were acknowledged"
[ "$deadq" = 0 ] || verdict="FAILED: $deadq dead events"

T_RATE=$(awk -v r="$steady_rate" 'BEGIN { print (r >= 5000) ? "met" : "MISSED" }')
T_RSS=$(awk -v r="$rss_max_kb" 'BEGIN { print (r <= 256 * 1024) ? "met" : "MISSED" }')
{
  echo "== delivery: $acked-event backlog over $KEYS keys to the fake PagerDuty (latency ${LATENCY_MS} ms), $(date -u '+%F %TZ')"
  echo "   pdagentd: PDAGENTD_DELIVERY_CONCURRENCY=${PDAGENTD_DELIVERY_CONCURRENCY:-512 (default)}; JVM: ${PDAGENTD_JAVA_OPTS:-$AGENT_DEFAULT_OPTS}; $BENCH_JAVA_VERSION"
  echo "   machine busy with other work just before the load (3 s sample): ${BG_LOAD}%"
  echo "backlog loaded: $(cat "$OUT/loadgen-main.txt")"
  echo "   (ingest by $LOAD_THREADS sequential clients while nothing was delivered: $load_rate events/s; queue then (depth in_flight retry dead): $backlog_health)"
  echo "drain: all $acked arrived after $(awk -v m="${drained_ms:-0}" 'BEGIN { printf "%.1f", m / 1000 }') s"
  echo "delivery rate, steady (10 %..90 % of the backlog): $steady_rate events/s; overall: $overall_rate events/s"
  echo "   theoretical ceiling with concurrency C and latency L: C / L = ${PDAGENTD_DELIVERY_CONCURRENCY:-512} / ${LATENCY_MS} ms = $(( ${PDAGENTD_DELIVERY_CONCURRENCY:-512} * 1000 / LATENCY_MS )) events/s"
  echo "order per key: order_violations=$f_viol duplicates=$f_dup keys=$f_keys; fake count=$f_count accepted=$f_acc; acknowledged=$acked unknown=$unknown"
  echo "agent after the drain: depth=$depth in_flight=$inflight retry=$retry dead=$deadq; delivered counter +$((delivered_after - delivered_before))"
  echo "agent RSS max: $((rss_max_kb / 1024)) MB overall (load $((rss_max_load_kb / 1024)) MB, drain $((rss_max_drain_kb / 1024)) MB)"
  echo "targets: >= 5000 events/s: $T_RATE ($steady_rate); RSS <= 256 MB: $T_RSS ($((rss_max_kb / 1024)) MB)"
  bench_contamination "$OUT/cpu-drain.txt" | sed 's/this measurement/the drain/'
  echo "-- verdict: $verdict"
  echo "-- CPU during the drain (% of one core; thread names folded):"
  cat "$OUT/cpu-drain.txt"
} | tee "$OUT/delivery-summary.txt"

cat >"$OUT/delivery-result.env" <<EOF
acked=$acked
load_rate=$load_rate
drain_ms=${drained_ms:-}
steady_rate=$steady_rate
overall_rate=$overall_rate
order_violations=$f_viol
duplicates=$f_dup
rss_max_kb=$rss_max_kb
verdict=$verdict
EOF
case "$verdict" in OK) exit 0 ;; *) exit 1 ;; esac
