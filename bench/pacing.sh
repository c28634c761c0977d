#!/usr/bin/env bash
# bench/pacing.sh: a burst of EVENTS events for ONE routing key against a fake PagerDuty that enforces
# the Events API's per-key rate limit; time until all are accepted, and the 429s met on the way, for
# this tree's agent (per-key pacing) and for a base build (BASE_REF: reacts to 429 only), in one run,
# each with and without a Retry-After header on the 429s.
#
#   bench/pacing.sh                        # defaults below
#   BENCH_OUT=dir bench/pacing.sh          # keep raw outputs in dir (else a temp dir, removed)
#
# Settings (environment): EVENTS (2000), COMPRESS (10), LIMIT (120), BURST (10), BASE_REF (the
# merge base of HEAD and main), BASE_HOME (a built checkout of the base to use instead of building one),
# MODES ("retry-after no-retry-after"), DRAIN_TIMEOUT (600 s).
#
# Time compression: PagerDuty allows about 120 events per trailing 60 s per key, so 2,000 events take
# about 17 minutes however well an agent paces. The run compresses time COMPRESS times: the fake
# allows LIMIT events per trailing 60/COMPRESS s, the agent paces at LIMIT*COMPRESS per minute, and
# the retry backoff of both agents is divided by COMPRESS too (base 100 ms, ceiling 30 s). The burst
# allowance is a count and stays; the pacer's window (PDAGENTD_KEY_RATE_WINDOW_SECONDS: its repeat
# detection and recovery) is compressed with the fake's (the base agent ignores the setting). Retry-After stays in whole seconds (the fake rounds up), so it is
# COMPRESS times coarser than PagerDuty's would be. Reported times are wall-clock times of the
# compressed run; multiply by COMPRESS for PagerDuty's scale.
#
# How, for each agent and mode: start the fake (--rate-limit LIMIT --rate-window-ms 60000/COMPRESS),
# start the agent on a fresh data dir, stop the fake (SIGSTOP: the agent's first attempt waits for an
# answer, its per-attempt timeout raised to 300 s), post EVENTS events for one key with
# bench/LoadGen.java (one thread, sequential: accepted in seq order), so that the whole burst is queued
# before the first answer; SIGCONT the fake and time until it has accepted all of them; read the
# fake's /__stats (accepted, order violations, throttled = 429s answered) and the agent's /healthz
# (dead). Both agents use this tree's fake (the base build's has no rate limit).
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

EVENTS="${EVENTS:-2000}"
COMPRESS="${COMPRESS:-10}"
LIMIT="${LIMIT:-120}"
BURST="${BURST:-10}"
MODES="${MODES:-retry-after no-retry-after}"
DRAIN_TIMEOUT="${DRAIN_TIMEOUT:-600}"
WINDOW_MS=$((60000 / COMPRESS))
RATE=$((LIMIT * COMPRESS))

bench_need curl jq ss flock ps awk tar git
bench_find_java
bench_init
bench_log "raw outputs in $OUT"
bench_build
bench_snapshot
NEW_HOME="$SNAP_HOME"

# ---------------------------------------------------------------------------- base build
if [ -z "${BASE_HOME:-}" ]; then
  BASE_REF="${BASE_REF:-$(git -C "$REPO" merge-base HEAD main)}"
  BASE_HOME="$BENCH_TMP/base"
  mkdir -p "$BASE_HOME"
  bench_log "building the base $BASE_REF into $BASE_HOME (git archive; bin/mvnw -o -DskipTests package)"
  git -C "$REPO" archive "$BASE_REF" | tar -x -C "$BASE_HOME"
  (cd "$BASE_HOME" && JAVA_HOME="$BENCH_JAVA_HOME" bin/mvnw -q -B -o -DskipTests package -pl pdaltagent-core -am) \
    >"$OUT/base-build.log" 2>&1 || { tail -n 20 "$OUT/base-build.log" >&2; bench_die "the base build failed"; }
fi
[ -f "$BASE_HOME/pdaltagent-core/target/pdaltagent-core.jar" ] || bench_die "no agent jar in $BASE_HOME"
# the base as a home without sources, so its bin/pdagentd never rebuilds
BASE_SNAP="$BENCH_TMP/base-home"
mkdir -p "$BASE_SNAP/pdaltagent-core/target"
cp -r "$BASE_HOME/bin" "$BASE_SNAP/bin"
cp "$BASE_HOME/pdaltagent-core/target/pdaltagent-core.jar" "$BASE_SNAP/pdaltagent-core/target/"
cp -r "$BASE_HOME/pdaltagent-core/target/lib" "$BASE_SNAP/pdaltagent-core/target/lib"

mkdir -p "$BENCH_TMP/loadgen"
"$BENCH_JAVA_HOME/bin/javac" -d "$BENCH_TMP/loadgen" "$BENCH_DIR/LoadGen.java"
loadgen() { "$BENCH_JAVA" -XX:+UseSerialGC -Xmx256m -cp "$BENCH_TMP/loadgen" LoadGen "$@"; }

# one_run NAME HOME RETRY_AFTER: prints "name mode seconds accepted throttled violations dead"
one_run() {
  local name="$1" home="$2" ra="$3" port fake agent_port data t0 t1 s acc
  port="$(bench_free_port)"
  bench_start "fake_$name" "$OUT/fake-$name-$ra.log" "$BENCH_JAVA" -XX:+UseSerialGC -Xmx256m -cp "$FAKE_CP" \
    io.pdaltagent.testing.FakePagerDuty --port "$port" --latency-ms 0 --rate-limit "$LIMIT" \
    --rate-window-ms "$WINDOW_MS" --retry-after "$ra"
  local fpid
  eval "fpid=\$PID_fake_$name"
  fake="http://127.0.0.1:$port"
  bench_wait_http "$fake/__stats" 60 "$fpid" || bench_die "the fake did not start"
  agent_port="$(bench_free_port)"
  data="$BENCH_TMP/data-$name-$ra"
  mkdir -p "$data"
  bench_start "agent_$name" "$OUT/agent-$name-$ra.log" env JAVA_HOME="$BENCH_JAVA_HOME" PDAGENTD_DATA_DIR="$data" \
    PDAGENTD_HTTP_PORT="$agent_port" PDAGENTD_HTTPS_PORT=0 PDAGENTD_BIND_ADDRESS=127.0.0.1 \
    PDAGENTD_EVENTS_BASE_URL="$fake" PDAGENTD_DELIVERY_TIMEOUT_SECONDS=300 PDAGENTD_RETRY_BASE_MILLIS=$((1000 / COMPRESS)) \
    PDAGENTD_RETRY_MAX_MILLIS=$((300000 / COMPRESS)) PDAGENTD_KEY_RATE_PER_MINUTE="$RATE" PDAGENTD_KEY_BURST="$BURST" \
    PDAGENTD_KEY_RATE_WINDOW_SECONDS=$((60 / COMPRESS)) \
    "$home/bin/pdagentd"
  local apid
  eval "apid=\$PID_agent_$name"
  bench_wait_http "http://127.0.0.1:$agent_port/healthz" 120 "$apid" || bench_die "pdagentd ($name) did not start"
  kill -STOP "$fpid"
  loadgen --url "http://127.0.0.1:$agent_port/v2/enqueue" --keys 1 --events "$EVENTS" --threads 1 --seq-start 1 \
    --run-id "p$name$ra" --max-seconds 280 --result "$OUT/loadgen-$name-$ra.txt" >/dev/null ||
    { kill -CONT "$fpid"; bench_die "the load generator failed"; }
  t0="$(date +%s%3N)"
  kill -CONT "$fpid"
  local deadline=$((SECONDS + DRAIN_TIMEOUT))
  while ((SECONDS < deadline)); do
    s="$(curl -s --max-time 5 "$fake/__stats")"
    acc="$(jq -r .accepted <<<"$s")"
    [ "$acc" -ge "$EVENTS" ] && break
    sleep 0.2
  done
  t1="$(date +%s%3N)"
  s="$(curl -s --max-time 5 "$fake/__stats")"
  echo "$s" >"$OUT/fake-stats-$name-$ra.json"
  local dead
  dead="$(curl -s --max-time 5 "http://127.0.0.1:$agent_port/healthz" | jq -r .queue.dead)"
  bench_stop_pid "$apid"
  bench_stop_pid "$fpid"
  printf '%s %s %s %s %s %s %s\n' "$name" "$ra" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1000 }')" \
    "$(jq -r .accepted <<<"$s")" "$(jq -r .throttled <<<"$s")" "$(jq -r .order_violations <<<"$s")" "$dead"
}

{
  echo "# events=$EVENTS compress=$COMPRESS fake: $LIMIT per ${WINDOW_MS} ms per key; agent: $RATE/min burst $BURST"
  echo "# $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# agent mode seconds accepted throttled_429s order_violations dead"
} >"$OUT/results.txt"
for mode in $MODES; do
  ra=true
  [ "$mode" = no-retry-after ] && ra=false
  for variant in new base; do
    home="$NEW_HOME"
    [ "$variant" = base ] && home="$BASE_SNAP"
    bench_log "run: $variant agent, Retry-After $ra"
    one_run "$variant" "$home" "$ra" | tee -a "$OUT/results.txt" >&2
  done
done
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/results.txt"
cat "$OUT/results.txt"
