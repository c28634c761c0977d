# Shared by the bin/ launchers: find a JDK >= 21, build the project on first use, run a main class.
# Sourced, not executed. Sets PDALTAGENT_HOME, JAVA_CMD; defines pdaltagent_exec.

PDALTAGENT_HOME="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
PDALTAGENT_MIN_JAVA=21

# An installed copy (the tarball or the .deb, made by pdaltagent-dist): bin/ beside lib/agent/ (the
# agent's jars), lib/cli/ (pd-send's) and runtime/, the Java runtime linked for it. Such a copy runs
# on that runtime whatever JAVA_HOME says, and never builds.
pdaltagent_packaged() {
  [ -x "$PDALTAGENT_HOME/runtime/bin/java" ] && [ -d "$PDALTAGENT_HOME/lib/agent" ]
}

# Prints the feature version (17, 21, 25...) of the java binary given, or nothing. Reads the JDK's
# `release` file when there is one (a few ms; pd-send starts hundreds of times in a storm), else asks
# the JVM (~100 ms).
pdaltagent_java_version() {
  local home line v
  home="$(readlink -f "$1" 2>/dev/null)" && home="${home%/bin/java}"
  if [ -n "$home" ] && [ -r "$home/release" ]; then
    while IFS= read -r line; do
      case "$line" in
        JAVA_VERSION=*)
          v="${line#JAVA_VERSION=}"; v="${v//\"/}"
          case "$v" in 1.*) v="${v#1.}" ;; esac
          v="${v%%[.+_-]*}"
          case "$v" in ''|*[!0-9]*) break ;; esac
          echo "$v"; return 0 ;;
      esac
    done < "$home/release"
  fi
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n 1
}

pdaltagent_find_java() {
  local candidates=() c v
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME/bin/java")
  command -v java >/dev/null 2>&1 && candidates+=("$(command -v java)")
  for c in /usr/lib/jvm/*/bin/java /usr/java/*/bin/java /opt/java/*/bin/java /opt/jdk*/bin/java /Library/Java/JavaVirtualMachines/*/Contents/Home/bin/java; do
    [ -x "$c" ] && candidates+=("$c")
  done
  for c in "${candidates[@]}"; do
    [ -x "$c" ] || continue
    v="$(pdaltagent_java_version "$c")"
    case "$v" in ''|*[!0-9]*) continue ;; esac
    if [ "$v" -ge "$PDALTAGENT_MIN_JAVA" ]; then
      JAVA_CMD="$c"
      return 0
    fi
  done
  echo "pdaltagent: no Java $PDALTAGENT_MIN_JAVA or newer found (looked at JAVA_HOME, java on PATH and /usr/lib/jvm); install a JDK $PDALTAGENT_MIN_JAVA+ or set JAVA_HOME" >&2
  return 1
}

# Builds the project with the Maven Wrapper when the jar is missing or older than a source file.
# The build's age is the jar's, or the stamp's that the last build through a launcher left beside
# it when that is newer: the jar plugin leaves an up-to-date jar untouched, so a change in another
# module would otherwise make every later start rebuild. The jar itself is never re-dated: pd-send's
# class-data archive records its jar's time, and a re-dated jar no longer matches the archive.
pdaltagent_built_ref() {
  local jar="$1" built
  built="$(dirname "$jar")/.pdaltagent-built"
  if [ -f "$built" ] && [ "$built" -nt "$jar" ]; then echo "$built"; else echo "$jar"; fi
}

pdaltagent_sources_newer_than() {
  [ -n "$(find "$PDALTAGENT_HOME" -path "$PDALTAGENT_HOME/.git" -prune -o \( -path '*/src/main/*' -o -name pom.xml \) -newer "$1" -print -quit 2>/dev/null)" ]
}

pdaltagent_ensure_built() {
  local jar="$1"
  local stale=""
  if [ ! -f "$jar" ] || [ ! -d "$(dirname "$jar")/lib" ]; then
    stale=yes
  elif pdaltagent_sources_newer_than "$(pdaltagent_built_ref "$jar")"; then
    stale=yes
  fi
  [ -z "$stale" ] && return 0
  (
    # one build at a time, however many launchers start at once
    exec 9>"$PDALTAGENT_HOME/.build.lock"
    flock 9
    if [ ! -f "$jar" ] || [ ! -d "$(dirname "$jar")/lib" ] || pdaltagent_sources_newer_than "$(pdaltagent_built_ref "$jar")"; then
      echo "pdaltagent: building (first use or sources changed)..." >&2
      # dated to the build's start once the build succeeded (see pdaltagent_built_ref)
      stamp="$(mktemp)"
      cd "$PDALTAGENT_HOME" && JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$JAVA_CMD")")")" \
        ./mvnw -q -B -DskipTests package >&2 || {
          rm -f "$stamp"
          echo "pdaltagent: the build failed; see the output above" >&2
          exit 1
        }
      touch -r "$stamp" "$(dirname "$jar")/.pdaltagent-built" && rm -f "$stamp"
    fi
  )
}
