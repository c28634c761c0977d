# Shared by bin/pd-nagios, bin/pd-zabbix and bin/pd-sensu: starts a pdaltagent-cli command exactly as
# bin/pd-send starts pd-send — the same fast path, the same JVM options (PDSEND_JAVA_OPTS replaces
# them) and the same class-data archive, target/pd-send.jsa, whose training run covers these commands
# too (CdsTraining, PdIntegrationTraining). See bin/pd-send for why each step is there.
# Sourced, not executed; defines pdaltagent_cli_exec.

# pdaltagent_cli_exec MAIN_CLASS ARGS...: replaces this shell with the JVM running MAIN_CLASS.
pdaltagent_cli_exec() {
  local main="$1" lib home target jar archive java_cmd="" archive_java="" java_home
  shift
  lib="$(readlink -f "${BASH_SOURCE[0]}")"
  home="${lib%/bin/lib/*}"
  target="$home/pdaltagent-cli/target"
  jar="$target/pdaltagent-cli.jar"
  archive="$target/pd-send.jsa"
  local opts=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss256k -Xmx32m -XX:-UsePerfData -Xshare:auto -Xlog:disable -Xlog:all=error:stderr)
  if [ -x "$home/runtime/bin/java" ] && [ -f "$home/lib/cli/pdaltagent-cli.jar" ]; then
    # an installed copy (tarball, .deb): its own runtime and the archive the build trained on it
    java_cmd="$home/runtime/bin/java"
    jar="$home/lib/cli/pdaltagent-cli.jar"
    [ -f "$home/lib/cli/pd-send.jsa" ] && opts+=(-XX:SharedArchiveFile="$home/lib/cli/pd-send.jsa")
  elif [ -f "$jar" ] && [ "$archive" -nt "$jar" ] && [ -r "$archive.java" ]; then
    IFS= read -r archive_java < "$archive.java" || true
    if [ -n "$archive_java" ] && [ -x "$archive_java/bin/java" ] \
        && { [ -z "${JAVA_HOME:-}" ] || [ "${JAVA_HOME%/}" = "$archive_java" ]; }; then
      java_cmd="$archive_java/bin/java"
      opts+=(-XX:SharedArchiveFile="$archive")
    fi
  fi
  if [ -z "$java_cmd" ]; then
    source "$home/bin/lib/launcher.sh"
    pdaltagent_find_java
    if [ ! -f "$jar" ]; then
      pdaltagent_ensure_built "$jar"
      [ -r "$archive.java" ] && { IFS= read -r archive_java < "$archive.java" || true; }
    fi
    java_cmd="$JAVA_CMD"
    java_home="$(readlink -f "$JAVA_CMD")"; java_home="${java_home%/bin/java}"
    if [ -n "$archive_java" ] && [ "$archive_java" = "$java_home" ] && [ "$archive" -nt "$jar" ]; then
      opts+=(-XX:SharedArchiveFile="$archive")
    fi
  fi
  if [ -n "${PDSEND_JAVA_OPTS:-}" ]; then
    # shellcheck disable=SC2206
    opts=($PDSEND_JAVA_OPTS)
  fi
  exec "$java_cmd" "${opts[@]}" -cp "$jar" "$main" "$@"
}
