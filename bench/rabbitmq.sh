#!/usr/bin/env bash
# bench/rabbitmq.sh: ingest and delivery rates of pdagentd on RabbitMQ (PDAGENTD_BROKER_URL) with one
# and with three agents on one broker, next to the embedded queue's, same load, same run.
#
#   bench/rabbitmq.sh                     # MODES="embedded rabbit1 rabbit3"
#   BENCH_OUT=dir bench/rabbitmq.sh       # keep raw outputs in dir (else a temp dir, removed)
#
# Settings (environment): DURATION (20 s measured), WARMUP (8 s), CONNECTIONS (60 in all, split
# over the agents), KEYS (1000 routing keys), PARTITIONS (16), MODES.
# Needs RabbitMQ on 127.0.0.1:5672 (guest/guest) and rabbitmqctl (a fresh vhost per mode, deleted
# after). The fake PagerDuty answers at once, so delivery runs during the measurement and competes
# for the same cores: what is measured is the steady state "what comes in goes out".
#
# Per mode it prints: ingest (2xx answers/s summed over the agents' wrk runs, p50/p99 of the first
# agent's wrk), delivery during the measurement (events the fake accepted per second over the same
# window), the drain time after the load stopped, and checks that every acknowledged event reached
# the fake (accepted >= 2xx answers).
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

DURATION="${DURATION:-20}"
WARMUP="${WARMUP:-8}"
CONNECTIONS="${CONNECTIONS:-60}"
KEYS="${KEYS:-1000}"
PARTITIONS="${PARTITIONS:-16}"
MODES="${MODES:-embedded rabbit1 rabbit3}"

bench_need wrk curl jq ss flock ps awk rabbitmqctl
bench_find_java
bench_init
bench_log "raw outputs in $OUT"
bench_build
bench_snapshot
# the RabbitMQ module next to core in the snapshot, as bin/pdagentd expects it
mkdir -p "$SNAP_HOME/pdaltagent-rabbitmq/target"
cp "$REPO/pdaltagent-rabbitmq/target/pdaltagent-rabbitmq.jar" "$SNAP_HOME/pdaltagent-rabbitmq/target/"
cp -r "$REPO/pdaltagent-rabbitmq/target/lib" "$SNAP_HOME/pdaltagent-rabbitmq/target/lib"
rabbitmqctl -q await_startup --timeout 30 >/dev/null || bench_die "RabbitMQ is not running (rabbitmq-server -detached)"

RUN_ID="rmq$(date +%s)"
VHOSTS=()
cleanup_vhosts() { for v in "${VHOSTS[@]}"; do rabbitmqctl -q delete_vhost "$v" >/dev/null 2>&1 || true; done; }

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
fake_accepted() { curl -s --max-time 5 "$1/__stats" | jq -r '.accepted'; }

parse_wrk() {
  local line
  line="$(grep '^WRKSTATS ' "$1" | tail -n 1)" || bench_die "no WRKSTATS line in $1"
  for kv in ${line#WRKSTATS }; do eval "WS_${kv%%=*}=${kv#*=}"; done
  WS_2xx=$((WS_requests - WS_non2xx))
}

# run_mode MODE: prints one result line
run_mode() {
  local mode="$1" n env_extra=() i port urls=() vhost=""
  case "$mode" in
    embedded) n=1 ;;
    rabbit1) n=1 ;;
    rabbit3) n=3 ;;
    *) bench_die "unknown mode $mode" ;;
  esac
  if [ "$mode" != embedded ]; then
    vhost="bench-$RUN_ID-$mode"
    rabbitmqctl -q add_vhost "$vhost" >/dev/null
    rabbitmqctl -q set_permissions -p "$vhost" guest '.*' '.*' '.*' >/dev/null
    VHOSTS+=("$vhost")
    env_extra=(PDAGENTD_BROKER_URL="amqp://guest:guest@127.0.0.1:5672/$vhost" PDAGENTD_BROKER_PARTITIONS="$PARTITIONS")
  fi
  bench_start_fake "fake_$mode" 0
  local fake
  eval "fake=\$FAKE_URL_fake_$mode"
  for ((i = 0; i < n; i++)); do
    port="$(bench_free_port)"
    mkdir -p "$BENCH_TMP/data-$mode-$i"
    bench_start "agent_${mode}_$i" "$OUT/agent-$mode-$i.log" env JAVA_HOME="$BENCH_JAVA_HOME" \
      PDAGENTD_DATA_DIR="$BENCH_TMP/data-$mode-$i" PDAGENTD_HTTP_PORT="$port" PDAGENTD_HTTPS_PORT=0 PDAGENTD_ADMIN_PORT=0 PDAGENTD_CONFIG_FILE=/dev/null \
      PDAGENTD_BIND_ADDRESS=127.0.0.1 PDAGENTD_EVENTS_BASE_URL="$fake" "${env_extra[@]}" "$SNAP_HOME/bin/pdagentd"
    local pid
    eval "pid=\$PID_agent_${mode}_$i"
    bench_wait_http "http://127.0.0.1:$port/healthz" 120 "$pid" ||
      { tail -n 30 "$OUT/agent-$mode-$i.log" >&2; bench_die "pdagentd ($mode $i) did not start"; }
    urls+=("http://127.0.0.1:$port")
  done
  local per=$((CONNECTIONS / n)) phase pids total2xx=0 a0 a1 t0 t1 cpu_pids=() c0=() c1=() k
  local beam fpid0
  beam="$(pgrep -o beam.smp || true)"
  eval "fpid0=\$PID_fake_$mode"
  for ((i = 0; i < n; i++)); do eval "cpu_pids+=(\$PID_agent_${mode}_$i)"; done
  cpu_pids+=("$fpid0")
  [ -n "$beam" ] && [ "$mode" != embedded ] && cpu_pids+=("$beam")
  for phase in warmup measure; do
    local secs=$WARMUP
    [ "$phase" = measure ] && secs=$DURATION
    a0="$(fake_accepted "$fake")"
    t0=$EPOCHREALTIME
    c0=()
    for k in "${cpu_pids[@]}"; do c0+=("$(ticks "$k")"); done
    pids=()
    for ((i = 0; i < n; i++)); do
      wrk -t1 -c"$per" -d"${secs}s" --timeout 10s --latency -s "$BENCH_DIR/ingest.lua" "${urls[$i]}" \
        -- "$RUN_ID-$mode-$phase-$i" "$KEYS" >"$OUT/wrk-$mode-$phase-$i.txt" 2>&1 &
      pids+=("$!")
      BENCH_PIDS+=("$!")
    done
    for p in "${pids[@]}"; do wait "$p" || bench_die "wrk failed"; done
    t1=$EPOCHREALTIME
    a1="$(fake_accepted "$fake")"
    c1=()
    for k in "${cpu_pids[@]}"; do c1+=("$(ticks "$k")"); done
    for ((i = 0; i < n; i++)); do
      parse_wrk "$OUT/wrk-$mode-$phase-$i.txt"
      total2xx=$((total2xx + WS_2xx))
      if [ "$phase" = measure ]; then
        MEASURE_2XX=$(( ${MEASURE_2XX:-0} + WS_2xx ))
        [ "$i" = 0 ] && { P50=$WS_p50_us; P99=$WS_p99_us; }
      fi
    done
  done
  local ingest delivery
  ingest="$(awk -v r="$MEASURE_2XX" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", r / (b - a) }')"
  delivery="$(awk -v x="$a0" -v y="$a1" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (y - x) / (b - a) }')"
  # drain: every acknowledged event (warm-up + measurement) at the fake
  local start=$EPOCHREALTIME deadline=$((SECONDS + 300)) acc
  while :; do
    acc="$(fake_accepted "$fake")"
    [ "$acc" -ge "$total2xx" ] && break
    ((SECONDS < deadline)) || { bench_log "WARNING: $mode: only $acc of $total2xx acknowledged events delivered after 300 s"; break; }
    sleep 0.5
  done
  local drain
  drain="$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')"
  printf '| %s | %d | %s | %s | %s / %s ms | %s s | %s / %s |\n' "$mode" "$n" "$ingest" "$delivery" \
    "$(awk -v v="$P50" 'BEGIN { printf "%.1f", v / 1000 }')" "$(awk -v v="$P99" 'BEGIN { printf "%.1f", v / 1000 }')" \
    "$drain" "$acc" "$total2xx"
  # CPU (% of one core) over the measurement: agents, the fake, the broker (beam.smp)
  local hz cpu_line="" idx=0 label
  hz="$(getconf CLK_TCK)"
  for k in "${cpu_pids[@]}"; do
    if ((idx < n)); then label="agent$idx"; elif [ "$k" = "$fpid0" ]; then label="fake"; else label="broker"; fi
    cpu_line+="$label $(awk -v a="${c0[$idx]}" -v b="${c1[$idx]}" -v h="$hz" -v x="$t0" -v y="$t1" 'BEGIN { printf "%.0f%%", 100 * (b - a) / h / (y - x) }') "
    idx=$((idx + 1))
  done
  echo "$mode CPU during measurement: $cpu_line" >>"$OUT/cpu.txt"
  bench_log "$mode CPU during measurement: $cpu_line"
  MEASURE_2XX=0
  for ((i = n - 1; i >= 0; i--)); do
    local pid
    eval "pid=\$PID_agent_${mode}_$i"
    bench_stop_pid "$pid"
  done
  local fpid
  eval "fpid=\$PID_fake_$mode"
  bench_stop_pid "$fpid"
}

trap 'cleanup_vhosts; bench_cleanup' EXIT
echo "| mode | agents | ingest 2xx/s | delivered/s during load | p50 / p99 (agent 0) | drain after load | delivered / acknowledged |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for m in $MODES; do
  bench_wait_quiet 60
  run_mode "$m"
done
