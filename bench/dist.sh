#!/usr/bin/env bash
# bench/dist.sh: what the installed tarball costs next to the source tree: pd-send's start (bundled
# runtime and the archive trained on it, against bin/pd-send of the source tree on the build's
# JDK with its archive), the agent's time from start to a healthy /healthz and its RSS then, and
# the sizes. Needs the tarball (bin/mvnw -B -Pdist package) and the source tree built.
#
#   bench/dist.sh              RUNS=100 bench/dist.sh
#
# Settings: RUNS (40 pd-sends per variant after 5 warm-up runs; the median is the figure), STARTS (5
# agent starts per variant; the median).
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

RUNS="${RUNS:-40}"
STARTS="${STARTS:-5}"
KEY="distbench00000000000000000000001"

bench_need hyperfine curl jq tar ss
bench_find_java
bench_init
tarball="$(ls "$REPO"/pdaltagent-dist/target/pdaltagent-*-linux-x64.tar.gz 2>/dev/null | head -n 1)"
[ -n "$tarball" ] || bench_die "no tarball in pdaltagent-dist/target: run bin/mvnw -B -Pdist package"
[ -f "$REPO/pdaltagent-cli/target/pd-send.jsa" ] || bench_die "the source tree is not built: run bin/mvnw -B package"
mkdir -p "$BENCH_TMP/inst"
tar -xzf "$tarball" -C "$BENCH_TMP/inst"
home="$(ls -d "$BENCH_TMP"/inst/pdaltagent-*)"
CLEAN_ENV=(env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$BENCH_TMP")
# deliveries go nowhere (a refused port): the events wait, retried with backoff, at no cost worth measuring
refused="http://127.0.0.1:$(bench_free_port)"

# agent_start NAME PDAGENTD: STARTS starts; prints "median_ms rss_mb" (RSS right after healthy)
agent_start() {
  local name="$1" launcher="$2" i port t0 ms rss times=() rsss=()
  for ((i = 0; i < STARTS; i++)); do
    port="$(bench_free_port)"
    rm -rf "$BENCH_TMP/data-$name"
    t0="$(date +%s%N)"
    bench_start "$name$i" "$OUT/$name$i.log" "${CLEAN_ENV[@]}" JAVA_HOME="$BENCH_JAVA_HOME" \
      PDAGENTD_DATA_DIR="$BENCH_TMP/data-$name" PDAGENTD_HTTP_PORT="$port" PDAGENTD_HTTPS_PORT=0 \
      PDAGENTD_BIND_ADDRESS=127.0.0.1 PDAGENTD_EVENTS_BASE_URL="$refused" "$launcher"
    local pid
    eval "pid=\$PID_$name$i"
    bench_wait_http "http://127.0.0.1:$port/healthz" 120 "$pid" || { cat "$OUT/$name$i.log" >&2; bench_die "$name did not start"; }
    ms=$((($(date +%s%N) - t0) / 1000000))
    rss="$(bench_rss_kb "$pid")"
    times+=("$ms"); rsss+=("$rss")
    bench_stop_pid "$pid"
  done
  printf '%s %s\n' "$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((STARTS + 1) / 2))p")" \
    "$(printf '%s\n' "${rsss[@]}" | sort -n | sed -n "$(((STARTS + 1) / 2))p" | awk '{printf "%.1f", $1 / 1024}')"
}

bench_log "agent starts: $STARTS each"
read -r tar_start tar_rss < <(agent_start tarball "$home/bin/pdagentd")
read -r src_start src_rss < <(agent_start source "$REPO/bin/pdagentd")

port="$(bench_free_port)"
bench_start agent "$OUT/agent.log" "${CLEAN_ENV[@]}" PDAGENTD_DATA_DIR="$BENCH_TMP/data-agent" PDAGENTD_HTTP_PORT="$port" \
  PDAGENTD_HTTPS_PORT=0 PDAGENTD_BIND_ADDRESS=127.0.0.1 PDAGENTD_EVENTS_BASE_URL="$refused" "$home/bin/pdagentd"
bench_wait_http "http://127.0.0.1:$port/healthz" 120 "$PID_agent" || bench_die "the agent did not start"
url="http://127.0.0.1:$port"
"${CLEAN_ENV[@]}" PDSEND_EVENTS_BASE_URL="$url" "$home/bin/pd-send" -k "$KEY" -t trigger -d bench | grep -q '^Event processed' \
  || bench_die "the tarball's pd-send did not queue an event"
bench_wait_quiet
bench_log "pd-send: $RUNS runs each"
hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$OUT/pd-send.json" \
  -n tarball "env -i PATH=/usr/bin:/bin PDSEND_EVENTS_BASE_URL=$url $home/bin/pd-send -q -k $KEY -t trigger -d bench -o bench" \
  -n source "env -i PATH=/usr/bin:/bin JAVA_HOME=$BENCH_JAVA_HOME PDSEND_EVENTS_BASE_URL=$url $REPO/bin/pd-send -q -k $KEY -t trigger -d bench -o bench" \
  >"$OUT/hyperfine.txt"

echo
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); build JDK: $BENCH_JAVA_VERSION"
echo "tarball: $(du -h "$tarball" | cut -f1) packed, $(du -sh "$home" | cut -f1) unpacked (runtime $(du -sh "$home/runtime" | cut -f1), jars $(du -sh "$home/lib" | cut -f1))"
printf '| %-32s | %12s | %12s |\n' "" "tarball" "source tree"
printf '| %-32s | %12s | %12s |\n' "agent start to healthy (ms)" "$tar_start" "$src_start"
printf '| %-32s | %12s | %12s |\n' "agent RSS when healthy (MB)" "$tar_rss" "$src_rss"
for n in tarball source; do
  jq -r --arg n "$n" '.results[] | select(.command == $n) | "\(.median * 1000 | floor) \(.min * 1000 | floor)"' "$OUT/pd-send.json"
done | { read -r tm tmin; read -r sm smin; printf '| %-32s | %12s | %12s |\n' "pd-send median (min) (ms)" "$tm ($tmin)" "$sm ($smin)"; }
