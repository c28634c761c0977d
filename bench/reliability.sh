#!/usr/bin/env bash
# bench/reliability.sh: runs the fault suite and writes RELIABILITY.md's table from its results.
#
#   bench/reliability.sh                 # long form: PDALTAGENT_FAULTS_SCALE=10 (10x the events and outages)
#   SCALE=1 bench/reliability.sh         # the short form, as CI runs it
#   ROWS=FaultsIT bench/reliability.sh   # only some test classes (failsafe's it.test syntax)
#   TABLE_ONLY=1 bench/reliability.sh    # only rebuild the table from target/reliability/*.json
#
# Each test of the suite (pdaltagent-core: CrashRecoveryIT, FaultsIT, ClockFaultsIT, StoreFaultsIT, DiskFullIT;
# pdaltagent-rabbitmq: RabbitFaultsIT) drives bin/pdagentd (ClockFaultsIT: the agent in the test's
# JVM with an injected clock) with a load generator, injects its fault, checks the fake PagerDuty's
# record and writes one JSON line per row into target/reliability/<backend>-<fault>.json. This
# script runs them with PDALTAGENT_FAULTS_SCALE and replaces a table of RELIABILITY.md: the short
# form's (SCALE=1) between "<!-- reliability-table -->" and "<!-- /reliability-table -->", the long
# form's between "<!-- reliability-long-table -->" and "<!-- /reliability-long-table -->". Rows of
# the table that this run did not produce (ROWS or RABBIT_ROWS chose fewer) are kept.
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"
bench_need jq

SCALE="${SCALE:-10}"
OUT="${OUT:-$REPO/target/reliability}"
MARK="reliability-long-table"
[ "$SCALE" != 1 ] || MARK="reliability-table"
CORE_ROWS="${ROWS:-CrashRecoveryIT,FaultsIT,ClockFaultsIT,StoreFaultsIT,DiskFullIT}"
RABBIT_ROWS="${RABBIT_ROWS:-RabbitFaultsIT}"

if [ -z "${TABLE_ONLY:-}" ]; then
  bench_find_java
  export JAVA_HOME="$BENCH_JAVA_HOME"
  rm -f "$OUT"/*.json
  mkdir -p "$OUT"
  export PDALTAGENT_FAULTS_SCALE="$SCALE" PDALTAGENT_RELIABILITY_DIR="$OUT"
  bench_log "fault suite, scale $SCALE: $CORE_ROWS; $RABBIT_ROWS"
  # a failing row still writes the rows before it; the table says which are missing
  (cd "$REPO" && nice bin/mvnw -B -q -o -pl pdaltagent-core,pdaltagent-rabbitmq -am verify \
      -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false \
      -Dit.test="$CORE_ROWS,$RABBIT_ROWS") || bench_log "some rows failed: see the modules' target/failsafe-reports"
fi

shopt -s nullglob
files=("$OUT"/*.json)
[ "${#files[@]}" -gt 0 ] || bench_die "no results in $OUT"

table="$(mktemp)"
{
  echo "| fault | queue | sent | acknowledged | delivered | lost | duplicated | extra incidents | out of order | time to recover | scale | how it was done |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
  jq -r -s 'sort_by(.fault, .backend)[] |
    "| \(.fault) | \(.backend) | \(.sent) | \(.acknowledged) | \(.delivered) | \(.lost) | \(.duplicated) | \(.incidents_over) | \(.out_of_order) | \(if .recover_ms < 10000 then "\(.recover_ms) ms" else "\(.recover_ms / 1000 | floor) s" end) | \(.scale) | \(.note) |"' "${files[@]}"
} > "$table"

md="$REPO/RELIABILITY.md"
[ -f "$md" ] || bench_die "$md not found"
python3 - "$md" "$table" "$MARK" <<'PY'
import sys
md, table, mark = sys.argv[1], open(sys.argv[2]).read().splitlines(), sys.argv[3]
text = open(md).read()
start, end = "<!-- %s -->" % mark, "<!-- /%s -->" % mark
a, b = text.index(start) + len(start), text.index(end)
row_id = lambda line: tuple(c.strip() for c in line.split("|")[1:3])
new = {row_id(l): l for l in table[2:]}
old = [l for l in text[a:b].splitlines() if l.startswith("| ")][2:]
rows = sorted(list(new.values()) + [l for l in old if row_id(l) not in new], key=row_id)
open(md, "w").write(text[:a] + "\n" + "\n".join(table[:2] + rows) + "\n" + text[b:])
PY
rm -f "$table"
bench_log "RELIABILITY.md ($MARK): ${#files[@]} row(s) from $OUT"
