#!/usr/bin/env bash
# bench/fuzz.sh: the long run of the coverage-guided fuzzers (Jazzer). The normal test run only
# replays each target's committed corpus (regression mode); this script fuzzes each target for
# DURATION, one after the other, and prints a line per target.
#
#   bench/fuzz.sh                          # every target, 5 minutes each
#   DURATION=30s bench/fuzz.sh             # a quick pass (what the CI short form would be per target)
#   bench/fuzz.sh IntakeFuzzTest#v2Enqueue # one target (Class#method, as -Dtest takes it)
#
# Findings: Jazzer writes the input that failed to
#   pdaltagent-core/src/test/resources/<package>/<Class>Inputs/<method>/crash-<sha1>
# and the run fails for that target. Rename it to say what it shows, fix the code, and commit both:
# from then on the regression run replays it. Inputs that reached new code are kept in
# pdaltagent-core/.cifuzz-corpus/<Class>/<method>/ (not committed; the next run starts from them).
# Copy the useful ones next to the committed corpus with COPY_CORPUS=1 (at most CORPUS_MAX per
# target, the smallest first).
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

DURATION="${DURATION:-5m}"
COPY_CORPUS="${COPY_CORPUS:-0}"
CORPUS_MAX="${CORPUS_MAX:-40}"
TARGETS=(
  IntakeFuzzTest#v2Enqueue IntakeFuzzTest#v2Change IntakeFuzzTest#v1Generic IntakeFuzzTest#pathKeyed
  IntakeFuzzTest#nagiosForm IntakeFuzzTest#anyPath
  SpoolFileFuzzTest#spoolFile SpoolFileFuzzTest#spoolRecord
  RulesFuzzTest#rulesFile RulesFuzzTest#condition
  PiiScrubberFuzzTest#scrub
  ConfigFileFuzzTest#configFile ConfigFileFuzzTest#settings
)
[ "$#" -eq 0 ] || TARGETS=("$@")

bench_find_java
export JAVA_HOME="$BENCH_JAVA_HOME"
CORE="$REPO/pdaltagent-core"
mkdir -p "$REPO/bench/results"
SUMMARY="$REPO/bench/results/fuzz-$(date -u +%Y%m%dT%H%M%SZ).txt"
bench_log "fuzzing ${#TARGETS[@]} target(s), $DURATION each, with $BENCH_JAVA_VERSION; summary in $SUMMARY"

failed=0
for target in "${TARGETS[@]}"; do
  class="${target%%#*}"
  method="${target##*#}"
  log="$(mktemp -t "fuzz-$class-$method.XXXXXX")"
  started=$(date +%s)
  status=ok
  if ! JAZZER_FUZZ=1 JAZZER_MAX_DURATION="$DURATION" nice "$REPO/bin/mvnw" -B -o -pl pdaltagent-core -am test \
      -Dtest="$target" -Dsurefire.failIfNoSpecifiedTests=false -Dsurefire.redirectTestOutputToFile=false \
      >"$log" 2>&1; then
    status=FINDING
    failed=$((failed + 1))
  fi
  runs="$(grep -Eo 'Done [0-9]+ runs' "$log" | tail -n 1 | grep -Eo '[0-9]+' || true)"
  cov="$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 | grep -Eo '[0-9]+' || true)"
  corpus_dir="$(find "$CORE/.cifuzz-corpus" -type d -path "*${class}*/${method}" 2>/dev/null | head -n 1)"
  corpus="$( [ -n "$corpus_dir" ] && find "$corpus_dir" -type f | wc -l || echo 0)"
  line="$(printf '%-36s %-8s runs=%-10s cov=%-6s corpus=%-6s %ss' "$target" "$status" "${runs:-?}" "${cov:-?}" \
      "$corpus" "$(( $(date +%s) - started ))")"
  echo "$line" | tee -a "$SUMMARY"
  if [ "$status" != ok ]; then
    grep -E 'FuzzTestFinding|Exception|AssertionError' "$log" | head -n 5 | sed 's/^/    /' | tee -a "$SUMMARY"
    echo "    full output: $log" | tee -a "$SUMMARY"
  else
    rm -f "$log"
  fi
  if [ "$COPY_CORPUS" = 1 ] && [ -n "$corpus_dir" ]; then
    pkg="$(grep -rl "class $class\b" "$CORE/src/test/java" | head -n 1 | sed "s|$CORE/src/test/java/||; s|/$class.java||")"
    dest="$CORE/src/test/resources/$pkg/${class}Inputs/$method"
    mkdir -p "$dest"
    find "$corpus_dir" -type f -printf '%s %p\n' | sort -n | head -n "$CORPUS_MAX" | while read -r _ f; do
      cp "$f" "$dest/gen-$(basename "$f" | cut -c1-16)"
    done
  fi
done
bench_log "done: $failed target(s) with findings"
[ "$failed" -eq 0 ]
