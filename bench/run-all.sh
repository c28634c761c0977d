#!/usr/bin/env bash
# bench/run-all.sh: runs every benchmark and keeps the raw outputs in bench/results/<timestamp>/
# (git-ignored): the machine, the ingest benchmark with delivery running (DELIVERY=fast) and with
# delivery failing (DELIVERY=down), the delivery benchmark, and a summary.txt of all three.
#
#   bench/run-all.sh                 # about 6-7 minutes
#   INGEST_MODES="fast" bench/run-all.sh
# Every setting of bench/ingest.sh and bench/delivery.sh passes through.
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

bench_need wrk nginx curl jq ss flock ps awk top dd
bench_find_java
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RESULTS="$BENCH_DIR/results/$STAMP"
mkdir -p "$RESULTS"
echo "results in $RESULTS"

# Build once up front and freeze one copy of the jars for every benchmark of this run (others may
# rebuild or clean target/ meanwhile).
bench_init
bench_build
bench_snapshot
export BENCH_SNAPSHOT_HOME="$SNAP_HOME"
cp "$BENCH_TMP/build.log" "$RESULTS/build.log" 2>/dev/null || true

{
  echo "date: $(date -u '+%F %TZ')"
  echo "host: $(uname -srm); $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)); $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM"
  echo "java: $BENCH_JAVA ($BENCH_JAVA_VERSION)"
  echo "wrk: $(wrk -v 2>&1 | head -n 1 | cut -c1-60)"
  echo "nginx: $(nginx -v 2>&1)"
  echo "agent JVM options (bin/pdagentd default): $AGENT_DEFAULT_OPTS"
  echo "tree: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?') plus uncommitted changes: $(git -C "$REPO" status --porcelain 2>/dev/null | wc -l) paths"
  echo "data dir filesystem: $(df -T "${TMPDIR:-/tmp}" | awk 'NR == 2 { print $2 " on " $1 }')"
  d="$(mktemp -d "${TMPDIR:-/tmp}/fsync.XXXXXX")"
  echo "synchronous 4 KiB writes (dd oflag=dsync, 2000 x 4 KiB): $(dd if=/dev/zero of="$d/f" bs=4k count=2000 oflag=dsync 2>&1 | tail -n 1)"
  rm -rf "$d"
} | tee "$RESULTS/machine.txt"

status=0
for mode in ${INGEST_MODES:-fast down}; do
  echo
  echo "### ingest, DELIVERY=$mode"
  mkdir -p "$RESULTS/ingest-$mode"
  DELIVERY="$mode" BENCH_OUT="$RESULTS/ingest-$mode" "$BENCH_DIR/ingest.sh" 2>"$RESULTS/ingest-$mode/stderr.txt" || status=1
done
echo
echo "### delivery"
mkdir -p "$RESULTS/delivery"
BENCH_OUT="$RESULTS/delivery" "$BENCH_DIR/delivery.sh" 2>"$RESULTS/delivery/stderr.txt" || status=1

{
  cat "$RESULTS/machine.txt"
  for f in "$RESULTS"/ingest-*/ingest-summary.txt "$RESULTS"/delivery/delivery-summary.txt; do
    [ -f "$f" ] && { echo; cat "$f"; }
  done
} >"$RESULTS/summary.txt"
echo
echo "summary: $RESULTS/summary.txt"
exit "$status"
