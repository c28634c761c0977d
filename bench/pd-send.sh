#!/usr/bin/env bash
# bench/pd-send.sh: what one pd-send costs (wall time, peak RSS), next to curl posting the same
# event to the same running agent, and a storm of pd-sends started at once.
#
#   bench/pd-send.sh                  # defaults below
#   RUNS=100 bench/pd-send.sh         # more runs per variant
#   BENCH_OUT=dir bench/pd-send.sh    # keep raw outputs (hyperfine JSON, logs) in dir
#
# Settings (environment): RUNS (60 per variant; the median is reported), RSS_RUNS (20), STORM (200
# pd-sends), STORM_PARALLEL (50 at a time).
#
# Variants, each against the same agent (delivering to the fake PagerDuty):
#   curl                the same JSON event posted with curl: the floor for any client
#   bin/pd-send         as shipped: the launcher's fast path, the build's class-data archive
#   pd-send, no archive the same JVM options without -XX:SharedArchiveFile
#   java, default opts  `java -cp pdaltagent-cli.jar io.pdaltagent.cli.PdSend`: what a plain launcher costs
#   bin/pd-send, spool  the agent unreachable: the event is written to the spool instead
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

RUNS="${RUNS:-60}"
RSS_RUNS="${RSS_RUNS:-20}"
STORM="${STORM:-200}"
STORM_PARALLEL="${STORM_PARALLEL:-50}"
KEY="pdsendbench000000000000000000001"

bench_need hyperfine curl jq flock ss awk xargs
[ -x /usr/bin/time ] || bench_die "/usr/bin/time is missing (apt-get install -y time)"
bench_find_java
bench_init
bench_log "raw outputs in $OUT"
bench_build

CLI_TARGET="$REPO/pdaltagent-cli/target"
if [ ! -f "$CLI_TARGET/pd-send.jsa" ] || [ ! "$CLI_TARGET/pd-send.jsa" -nt "$CLI_TARGET/pdaltagent-cli.jar" ]; then
  bench_log "building pdaltagent-cli (its jar or class-data archive is missing)"
  (
    exec 9>"$REPO/.build.lock"
    flock -w 900 9 || exit 1
    cd "$REPO" && JAVA_HOME="$BENCH_JAVA_HOME" bin/mvnw -q -B -DskipTests package -pl pdaltagent-cli -am
  ) >"$BENCH_TMP/build-cli.log" 2>&1 || { tail -n 20 "$BENCH_TMP/build-cli.log" >&2; bench_die "the build of pdaltagent-cli failed"; }
fi
bench_snapshot
mkdir -p "$SNAP_HOME/pdaltagent-cli/target"
cp -p "$CLI_TARGET/pdaltagent-cli.jar" "$CLI_TARGET/pd-send.jsa" "$CLI_TARGET/pd-send.jsa.java" "$SNAP_HOME/pdaltagent-cli/target/"
# cp -p keeps the archive newer than the jar, as the launcher's fast path requires
ARCHIVE_JAVA="$(cat "$SNAP_HOME/pdaltagent-cli/target/pd-send.jsa.java")"
[ "$ARCHIVE_JAVA" = "$BENCH_JAVA_HOME" ] ||
  bench_log "WARNING: the archive was made by $ARCHIVE_JAVA, the benchmark runs $BENCH_JAVA_HOME: bin/pd-send will run without it"

bench_start_fake pd 0
# shellcheck disable=SC2154
bench_start_agent "$FAKE_URL_pd"

PD_SEND="$SNAP_HOME/bin/pd-send"
CLI_JAR="$SNAP_HOME/pdaltagent-cli/target/pdaltagent-cli.jar"
export PDSEND_EVENTS_BASE_URL="$AGENT_URL" JAVA_HOME="$BENCH_JAVA_HOME"
export PDAGENTD_DATA_DIR="$BENCH_TMP/spool-data"   # only the spool variant writes there
EVENT="{\"routing_key\":\"$KEY\",\"event_action\":\"trigger\",\"payload\":{\"summary\":\"bench event\",\"source\":\"bench\",\"severity\":\"critical\"}}"
printf '%s' "$EVENT" >"$BENCH_TMP/event.json"
NO_ARCHIVE_OPTS="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss256k -Xmx32m -XX:-UsePerfData -Xshare:auto -Xlog:disable"
DOWN_URL="http://127.0.0.1:$(bench_free_port)"

# sanity: each variant works and prints what it should
"$PD_SEND" -k "$KEY" -t trigger -d "bench event" -o bench | grep -q '^Event processed. Incident Key: ' ||
  bench_die "bin/pd-send did not queue an event"
PDSEND_EVENTS_BASE_URL="$DOWN_URL" "$PD_SEND" -q -k "$KEY" -t trigger -d "bench event" -o bench ||
  bench_die "bin/pd-send could not spool an event"

declare -A CMD
CMD[curl]="curl -s -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary @$BENCH_TMP/event.json $AGENT_URL/v2/enqueue"
CMD[pd-send]="$PD_SEND -q -k $KEY -t trigger -d 'bench event' -o bench"
CMD[no-archive]="env PDSEND_JAVA_OPTS='$NO_ARCHIVE_OPTS' $PD_SEND -q -k $KEY -t trigger -d 'bench event' -o bench"
CMD[plain-java]="$BENCH_JAVA -cp $CLI_JAR io.pdaltagent.cli.PdSend -q -k $KEY -t trigger -d 'bench event' -o bench"
CMD[spool]="env PDSEND_EVENTS_BASE_URL=$DOWN_URL $PD_SEND -q -k $KEY -t trigger -d 'bench event' -o bench"
ORDER=(curl pd-send no-archive plain-java spool)
declare -A LABEL=([curl]="curl (same event)" [pd-send]="bin/pd-send" [no-archive]="pd-send, no archive"
  [plain-java]="java, default options" [spool]="bin/pd-send, agent down (spool)")

bench_wait_quiet
bench_log "timing: $RUNS runs per variant (hyperfine)"
for v in "${ORDER[@]}"; do
  hyperfine -N --style none --warmup 5 --runs "$RUNS" --export-json "$OUT/time-$v.json" "${CMD[$v]}" >"$OUT/time-$v.txt" 2>&1 ||
    { cat "$OUT/time-$v.txt" >&2; bench_die "hyperfine failed for $v"; }
done

bench_log "peak RSS: $RSS_RUNS runs per variant (/usr/bin/time)"
for v in "${ORDER[@]}"; do
  : >"$OUT/rss-$v.txt"
  for ((i = 0; i < RSS_RUNS; i++)); do
    /usr/bin/time -f '%M' -a -o "$OUT/rss-$v.txt" bash -c "${CMD[$v]}" >/dev/null 2>&1
  done
done

bench_log "storm: $STORM pd-sends, $STORM_PARALLEL at a time"
before="$(curl -s "$FAKE_URL_pd/__stats" | jq .accepted)"
storm_start=$EPOCHREALTIME
seq "$STORM" | xargs -P "$STORM_PARALLEL" -I{} "$PD_SEND" -q -k "$KEY" -t trigger -d "storm {}" -i "storm-{}" -o bench \
  >"$OUT/storm.log" 2>&1 && storm_rc=0 || storm_rc=$?
storm_secs="$(awk -v a="$storm_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')"
deadline=$((SECONDS + 60))
while (($(curl -s "$FAKE_URL_pd/__stats" | jq .accepted) < before + STORM)) && ((SECONDS < deadline)); do sleep 0.2; done
delivered=$(($(curl -s "$FAKE_URL_pd/__stats" | jq .accepted) - before))

median_of() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "?"; else print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

echo
echo "pd-send start-up, $(nproc) cores, $BENCH_JAVA_VERSION, background load ${BENCH_BACKGROUND:-?}% before the runs"
echo
printf '| %-33s | %11s | %8s | %8s | %13s |\n' "variant" "median (ms)" "min (ms)" "p90 (ms)" "peak RSS (MB)"
printf '|%s|%s|%s|%s|%s|\n' "-----------------------------------" "-------------" "----------" "----------" "---------------"
curl_median=""
for v in "${ORDER[@]}"; do
  read -r med min p90 < <(jq -r '.results[0].times | sort | [(.[length/2|floor]), .[0], .[(length*0.9)|floor]] | map(. * 1000) | @tsv' "$OUT/time-$v.json" |
    awk '{ printf "%.1f %.1f %.1f\n", $1, $2, $3 }')
  rss="$(median_of <"$OUT/rss-$v.txt" | awk '{ printf "%.1f", $1 / 1024 }')"
  printf '| %-33s | %11s | %8s | %8s | %13s |\n' "${LABEL[$v]}" "$med" "$min" "$p90" "$rss"
  [ "$v" = curl ] && curl_median="$med"
  [ "$v" = pd-send ] && pd_median="$med"
done
echo
awk -v p="$pd_median" -v c="$curl_median" 'BEGIN { printf "bin/pd-send median: %.1f ms = %.2f x PagerDuty Agent'"'"'s ~70 ms (goal <= 1.5 x = 105 ms); curl: %.1f ms\n", p, p / 70, c }'
echo "storm: $STORM pd-sends, $STORM_PARALLEL at a time: ${storm_secs} s wall, exit status of the batch $storm_rc, $delivered delivered to the fake"
