# Shared by the bench/ scripts. Sourced, not executed.
#
# What it gives the scripts:
#   - a JDK >= 21 (JDK 25 preferred) in BENCH_JAVA / BENCH_JAVA_HOME
#   - bench_build: `bin/mvnw -q -B -DskipTests package` when the jars are missing or older than a
#     source file, retried while someone else's file does not compile
#   - bench_snapshot: a frozen copy of bin/ and the built jars in the run's temp dir, so that a
#     rebuild by someone else during a run cannot change the classes under a running JVM; the agent
#     is started with that copy's bin/pdagentd (the real launcher, same JVM options)
#   - free ports, process start/stop with a cleanup trap, waits with time limits
#   - CPU accounting per process and per thread from /proc (bench_cpu_snap / bench_cpu_report)

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH_DIR/.." && pwd)"
CLK_TCK="$(getconf CLK_TCK)"

bench_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
bench_die() { printf '%s: error: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

bench_need() {
  local c missing=()
  for c in "$@"; do command -v "$c" >/dev/null 2>&1 || missing+=("$c"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    bench_die "missing command(s): ${missing[*]} (on Debian: apt-get install -y wrk nginx-light curl jq procps iproute2 util-linux)"
  fi
}

# Sets BENCH_JAVA and BENCH_JAVA_HOME: JAVA_HOME when >= 21, else JDK 25, else any /usr/lib/jvm JDK >= 21.
bench_find_java() {
  local c v
  for c in ${BENCH_JAVA_HOME:+"$BENCH_JAVA_HOME/bin/java"} ${JAVA_HOME:+"$JAVA_HOME/bin/java"} \
      /usr/lib/jvm/temurin-25-jdk-amd64/bin/java /usr/lib/jvm/*/bin/java "$(command -v java || true)"; do
    [ -n "$c" ] && [ -x "$c" ] || continue
    v="$("$c" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n 1)"
    case "$v" in ''|*[!0-9]*) continue ;; esac
    if [ "$v" -ge 21 ]; then
      BENCH_JAVA="$c"
      BENCH_JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$c")")")"
      BENCH_JAVA_VERSION="$("$c" -version 2>&1 | head -n 1)"
      export BENCH_JAVA BENCH_JAVA_HOME BENCH_JAVA_VERSION
      return 0
    fi
  done
  bench_die "no JDK 21 or newer found (looked at JAVA_HOME and /usr/lib/jvm); install one or set JAVA_HOME"
}

TARGET="$REPO/pdaltagent-core/target"
AGENT_JAR="$TARGET/pdaltagent-core.jar"
FAKE_CLASS="$TARGET/test-classes/io/pdaltagent/testing/FakePagerDuty.class"

# True when the agent jar, its lib/ and the compiled test classes (the fake) exist, no main source or
# pom is newer than the jar and no source of the fake's package is newer than its class. (The jar is
# not rewritten when only tests changed, so test sources are compared with the test classes.)
bench_built() {
  [ -f "$AGENT_JAR" ] && [ -d "$TARGET/lib" ] && [ -f "$FAKE_CLASS" ] || return 1
  [ -f "$REPO/pdaltagent-core/src/main/java/io/pdaltagent/Main.java" ] || return 1
  [ -z "$(find "$REPO" -path "$REPO/.git" -prune -o -path "$REPO/bench" -prune -o \
      \( -path '*/src/main/*' -o -name pom.xml \) -newer "$AGENT_JAR" -print -quit 2>/dev/null)" ] || return 1
  [ -z "$(find "$REPO/pdaltagent-core/src/test/java/io/pdaltagent/testing" -newer "$FAKE_CLASS" -print -quit 2>/dev/null)" ]
}

# Builds when needed. Other engineers edit the tree: a failing build is retried (BENCH_BUILD_ATTEMPTS,
# default 6, 30 s apart). Shares bin/lib/launcher.sh's lock file so two Maven runs never write target/
# at once. With BENCH_SKIP_BUILD=1 the existing jars are used as they are.
bench_build() {
  if [ -n "${BENCH_SNAPSHOT_HOME:-}" ]; then
    [ -f "$BENCH_SNAPSHOT_HOME/pdaltagent-core/target/pdaltagent-core.jar" ] || bench_die "BENCH_SNAPSHOT_HOME=$BENCH_SNAPSHOT_HOME holds no pdaltagent-core/target/pdaltagent-core.jar"
    return 0
  fi
  if [ "${BENCH_SKIP_BUILD:-0}" = 1 ]; then
    [ -f "$AGENT_JAR" ] && [ -f "$FAKE_CLASS" ] || bench_die "BENCH_SKIP_BUILD=1 but $AGENT_JAR or the test classes are missing"
    return 0
  fi
  local attempt max="${BENCH_BUILD_ATTEMPTS:-6}"
  for ((attempt = 1; attempt <= max; attempt++)); do
    bench_built && return 0
    bench_log "building (attempt $attempt/$max): bin/mvnw -q -B -DskipTests package"
    if (
      exec 9>"$REPO/.build.lock"
      flock -w 900 9 || exit 1
      cd "$REPO" && JAVA_HOME="$BENCH_JAVA_HOME" bin/mvnw -q -B -DskipTests package
    ) >"${BENCH_TMP:-/tmp}/build.log" 2>&1; then
      bench_built && return 0
      # a source changed during the build: build again
      [ -f "$AGENT_JAR" ] && [ -f "$FAKE_CLASS" ] && [ "$attempt" -eq "$max" ] && return 0
    else
      bench_log "build failed (someone's file may not compile yet); last lines:"
      tail -n 15 "${BENCH_TMP:-/tmp}/build.log" >&2 || true
      [ "$attempt" -lt "$max" ] && sleep 30
    fi
  done
  if [ -f "$AGENT_JAR" ] && [ -f "$FAKE_CLASS" ] && [ -f "$TARGET/classes/io/pdaltagent/Main.class" ]; then
    bench_log "WARNING: could not build the current tree; benchmarking the last successful build ($(date -r "$AGENT_JAR" '+%F %T'))"
    return 0
  fi
  bench_die "the build failed $max times and there is no earlier build to use; see ${BENCH_TMP:-/tmp}/build.log"
}

# Copies bin/, the agent jar, lib/ and the test classes into $BENCH_TMP/home with the repository's
# layout. $BENCH_TMP/home/bin/pdagentd then finds no sources (so never rebuilds) and runs the copy.
# With BENCH_SNAPSHOT_HOME set (bench/run-all.sh does), that existing copy is used instead.
bench_snapshot() {
  local h="${BENCH_SNAPSHOT_HOME:-}"
  if [ -z "$h" ]; then
    h="$BENCH_TMP/home"
    mkdir -p "$h/pdaltagent-core/target"
    cp -r "$REPO/bin" "$h/bin"
    cp "$AGENT_JAR" "$h/pdaltagent-core/target/"
    cp -r "$TARGET/lib" "$h/pdaltagent-core/target/lib"
    cp -r "$TARGET/test-classes" "$h/pdaltagent-core/target/test-classes"
  fi
  SNAP_HOME="$h"
  FAKE_CP="$h/pdaltagent-core/target/test-classes:$h/pdaltagent-core/target/pdaltagent-core.jar:$h/pdaltagent-core/target/lib/*"
  AGENT_DEFAULT_OPTS="$(sed -n 's/^default_opts="\(.*\)"$/\1/p' "$h/bin/pdagentd" | head -n 1)"
  export SNAP_HOME FAKE_CP AGENT_DEFAULT_OPTS
}

# ---------------------------------------------------------------------------- ports and processes

# A TCP port on 127.0.0.1 nothing listens on, below the ephemeral range so clients cannot take it.
bench_free_port() {
  local p i
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + RANDOM % 12000))
    if ! ss -Htln "sport = :$p" 2>/dev/null | grep -q .; then
      case " ${BENCH_USED_PORTS:-} " in *" $p "*) continue ;; esac
      BENCH_USED_PORTS="${BENCH_USED_PORTS:-} $p"
      echo "$p"
      return 0
    fi
  done
  bench_die "no free port found"
}

BENCH_PIDS=()

# bench_start NAME LOGFILE CMD...: starts CMD in the background, remembers its pid for the cleanup.
bench_start() {
  local name="$1" log="$2"
  shift 2
  "$@" >"$log" 2>&1 &
  local pid=$!
  BENCH_PIDS+=("$pid")
  eval "PID_$name=$pid"
  bench_log "started $name (pid $pid): $*"
}

# Stops one process we started: SIGCONT (in case it was stopped), SIGTERM, then SIGKILL after 15 s.
bench_stop_pid() {
  local pid="$1" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -CONT "$pid" 2>/dev/null || true
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

bench_cleanup() {
  local rc=$? i
  trap - EXIT INT TERM
  for ((i = ${#BENCH_PIDS[@]} - 1; i >= 0; i--)); do
    bench_stop_pid "${BENCH_PIDS[$i]}"
  done
  if [ -n "${BENCH_TMP:-}" ] && [ -d "$BENCH_TMP" ] && [ "${BENCH_KEEP_TMP:-0}" != 1 ]; then
    rm -rf "$BENCH_TMP"
  fi
  exit "$rc"
}

# Creates BENCH_TMP and OUT (raw outputs; BENCH_OUT or a temp folder) and installs the cleanup trap.
bench_init() {
  BENCH_TMP="$(mktemp -d "${TMPDIR:-/tmp}/pdaltagent-bench.XXXXXX")"
  OUT="${BENCH_OUT:-$BENCH_TMP/out}"
  mkdir -p "$OUT"
  export BENCH_TMP OUT
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# bench_wait_http URL SECONDS [PID]: waits until URL answers (any HTTP status), fails after SECONDS
# or when PID exits.
bench_wait_http() {
  local url="$1" secs="$2" pid="${3:-}" deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      return 1
    fi
    curl -s -o /dev/null --max-time 2 "$url" && return 0
    sleep 0.2
  done
  return 1
}

bench_rss_kb() { ps -o rss= -p "$1" 2>/dev/null | tr -d ' ' || true; }

# ---------------------------------------------------------------------------- agent and fake

# bench_start_fake NAME LATENCY_MS [IDLE_TIMEOUT_S]: starts the test tree's FakePagerDuty on a free
# port (its own main; with IDLE_TIMEOUT_S through bench/FakeServer.java); sets FAKE_URL_<NAME>.
bench_start_fake() {
  local name="$1" latency="$2" idle="${3:-}" port
  port="$(bench_free_port)"
  if [ -n "$idle" ]; then
    bench_start "$name" "$OUT/$name.log" "$BENCH_JAVA" -XX:+UseSerialGC -Xms128m -Xmx512m \
      -cp "$FAKE_CP" "$BENCH_DIR/FakeServer.java" "$port" "$latency" "$idle"
  else
    bench_start "$name" "$OUT/$name.log" "$BENCH_JAVA" -XX:+UseSerialGC -Xms128m -Xmx512m \
      -cp "$FAKE_CP" io.pdaltagent.testing.FakePagerDuty --port "$port" --latency-ms "$latency" \
      --keep-bodies false --record false
  fi
  local pid
  eval "pid=\$PID_$name"
  bench_wait_http "http://127.0.0.1:$port/__stats" 60 "$pid" ||
    { cat "$OUT/$name.log" >&2; bench_die "the fake PagerDuty did not start"; }
  eval "FAKE_URL_$name=http://127.0.0.1:$port"
}

# bench_start_agent EVENTS_BASE_URL [VAR=VALUE...]: starts the snapshot's bin/pdagentd on a fresh data
# dir and a free port; sets AGENT_URL and PID_agent. Extra PDAGENTD_* settings come as VAR=VALUE.
bench_start_agent() {
  local events="$1" port
  shift
  port="$(bench_free_port)"
  mkdir -p "$BENCH_TMP/agent-data"
  AGENT_ENV=(PDAGENTD_DATA_DIR="$BENCH_TMP/agent-data" PDAGENTD_HTTP_PORT="$port" PDAGENTD_HTTPS_PORT=0 PDAGENTD_ADMIN_PORT=0 PDAGENTD_CONFIG_FILE=/dev/null
    PDAGENTD_BIND_ADDRESS=127.0.0.1 PDAGENTD_EVENTS_BASE_URL="$events" "$@")
  bench_start agent "$OUT/agent.log" env JAVA_HOME="$BENCH_JAVA_HOME" "${AGENT_ENV[@]}" "$SNAP_HOME/bin/pdagentd"
  AGENT_URL="http://127.0.0.1:$port"
  bench_wait_http "$AGENT_URL/healthz" 120 "$PID_agent" ||
    { tail -n 40 "$OUT/agent.log" >&2; bench_die "pdagentd did not start (see $OUT/agent.log)"; }
  # bin/pdagentd execs java: the pid is the JVM's
  bench_log "pdagentd up on $AGENT_URL (JVM: $(tr '\0' ' ' <"/proc/$PID_agent/cmdline" | cut -c1-200)...)"
}

# Prints "depth in_flight retry_scheduled dead" from /healthz.
bench_agent_health() {
  curl -s --max-time 5 "$AGENT_URL/healthz" | jq -r '"\(.queue.depth) \(.queue.in_flight) \(.queue.retry_scheduled) \(.queue.dead)"'
}

# bench_metric NAME: the sum of every sample of a Prometheus family in /metrics (0 when absent).
bench_metric() {
  curl -s --max-time 5 "$AGENT_URL/metrics" |
    awk -v n="$1" '$1 == n || index($1, n "{") == 1 { s += $NF } END { printf "%d\n", s }'
}

# bench_wait_drained SECONDS: waits until the agent's queue depth is 0; prints the depth at the end.
bench_wait_drained() {
  local deadline=$((SECONDS + $1)) d
  while ((SECONDS < deadline)); do
    d="$(bench_agent_health | awk '{print $1}')"
    [ "$d" = 0 ] && { echo 0; return 0; }
    sleep 1
  done
  echo "${d:-unknown}"
  return 1
}

# ---------------------------------------------------------------------------- CPU accounting

# bench_machine_busy SECONDS: % of the machine (100 = every core) busy over SECONDS.
bench_machine_busy() {
  local a b
  a="$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)"
  sleep "$1"
  b="$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)"
  awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.0f\n", 100 * (y[1] - x[1]) / (y[2] - x[2]) }'
}

# bench_wait_quiet [MAX_SECONDS]: the machine is shared (other sessions build and test on it); waits,
# at most MAX_SECONDS (BENCH_QUIET_WAIT, default 240), until less than BENCH_QUIET_PCT (default 10)
# % of it is busy over 3 s while our processes are idle. Records the last figure in BENCH_BACKGROUND.
bench_wait_quiet() {
  local max="${1:-${BENCH_QUIET_WAIT:-240}}" deadline busy
  deadline=$((SECONDS + max))
  while :; do
    busy="$(bench_machine_busy 3)"
    if [ "$busy" -lt "${BENCH_QUIET_PCT:-10}" ]; then break; fi
    if ((SECONDS >= deadline)); then
      bench_log "WARNING: the machine is still ${busy}% busy with other work after ${max}s; measuring anyway (figures are pessimistic)"
      break
    fi
    bench_log "machine ${busy}% busy with other work; waiting for it to calm down"
    sleep 5
  done
  BENCH_BACKGROUND="$busy"
  export BENCH_BACKGROUND
}

# bench_cpu_snap FILE PID...: one line per thread "pid tid name ticks", "ALL ..." from /proc/stat and
# "TIME epoch_seconds". Bash builtins only (no fork per thread), so it takes milliseconds.
bench_cpu_snap() {
  local file="$1" pid t comm stat rest f
  shift
  {
    echo "TIME $EPOCHREALTIME"
    for pid in "$@"; do
      [ -d "/proc/$pid" ] || continue
      for t in /proc/"$pid"/task/*; do
        read -r comm <"$t/comm" 2>/dev/null || continue
        read -r stat <"$t/stat" 2>/dev/null || continue
        rest="${stat##*) }"
        # after "pid (comm) ": state ppid ... utime is the 12th field, stime the 13th
        read -r -a f <<<"$rest"
        printf '%s %s %s %s\n' "$pid" "${t##*/}" "${comm// /_}" "$((f[11] + f[12]))"
      done
    done
    read -r -a f </proc/stat
    echo "ALL ${f[*]:1:8}"
  } >"$file"
}

# bench_cpu_report BEFORE AFTER LABELS: per process and per thread group (thread names with trailing
# digits folded), in % of one core, over the time between the two snapshots. LABELS is
# "pid=label pid=label ...". A process that exited in between is not shown.
bench_cpu_report() {
  local before="$1" after="$2" labels="$3"
  awk -v hz="$CLK_TCK" -v labels="$labels" '
    BEGIN { n = split(labels, l, " "); for (i = 1; i <= n; i++) { split(l[i], kv, "="); name[kv[1]] = kv[2] } }
    FNR == NR { if ($1 == "ALL") { for (i = 2; i <= 9; i++) b[i] = $i } else if ($1 == "TIME") ts0 = $2; else t0[$1 " " $2] = $4; next }
    $1 == "TIME" { secs = $2 - ts0; next }
    $1 == "ALL" { tot = 0; for (i = 2; i <= 9; i++) { d[i] = $i - b[i]; tot += d[i] }
                  ncpu = 0; while ((getline line < "/proc/cpuinfo") > 0) if (line ~ /^processor/) ncpu++
                  busy = (d[2] + d[3] + d[4] + d[7] + d[8]) / ncpu
                  sysline = sprintf("machine (%d cores = %d%%): user %.0f%%  system %.0f%%  iowait %.0f%%  softirq+irq %.0f%%  idle %.0f%%",
                    ncpu, 100 * ncpu, 100 * ncpu * (d[2] + d[3]) / tot, 100 * ncpu * d[4] / tot, 100 * ncpu * d[6] / tot,
                    100 * ncpu * (d[7] + d[8]) / tot, 100 * ncpu * d[5] / tot); next }
    { k = $1 " " $2; dt = $4 - ((k in t0) ? t0[k] : 0); g = $3; gsub(/[-_]*[0-9]+$/, "", g); gsub(/[-_]*[0-9]+$/, "", g)
      proc[$1] += dt; grp[$1 " " g] += dt }
    END {
      printf "interval: %.1f s\n", secs
      print sysline
      ours = 0; for (p in proc) ours += proc[p]
      # /proc/stat counts all cores in the same ticks: busy * ncpu ticks over the interval
      printf "other processes (not started by this script, incl. kernel threads): %.0f%%\n", 100 * (busy * ncpu - ours) / hz / secs
      for (p in proc) printf "process %-10s %6.1f%%\n", (p in name ? name[p] : p), 100 * proc[p] / hz / secs | "sort -k3 -rn"
      close("sort -k3 -rn")
      for (k in grp) if (grp[k] > 0) { split(k, a, " "); printf "  %-10s %-24s %6.1f%%\n", (a[1] in name ? name[a[1]] : a[1]), a[2], 100 * grp[k] / hz / secs | "sort -k3 -rn" }
      close("sort -k3 -rn")
    }' "$before" "$after"
}

# bench_contamination CPU_REPORT: prints a warning line when processes we did not start used more
# than 25 % of one core during the measurement (the machine is shared with other sessions).
bench_contamination() {
  local o
  o="$(sed -n 's/^other processes[^:]*: \(-\{0,1\}[0-9]*\)%$/\1/p' "$1")"
  if [ -n "$o" ] && [ "$o" -gt 25 ]; then
    echo "WARNING: other work used ${o}% of a core during this measurement: these figures are pessimistic; run again on a quiet machine"
  fi
}
