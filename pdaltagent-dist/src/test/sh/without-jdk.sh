#!/usr/bin/env bash
# without-jdk.sh CMD [ARGS...]: runs CMD on this machine with every JDK hidden, as on a host that has
# none. Run it under `unshare --mount --propagation private` (the tests do): tmpfs over the JDK
# folders (only this process and its children see that), JAVA_HOME unset, then a check that no
# java is left to find, then exec CMD. Exit 97 when a java is still visible.
set -euo pipefail
for d in /usr/lib/jvm /usr/java /opt/java /usr/local/java "${HOME:-/root}/.sdkman" "${HOME:-/root}/.jdks"; do
  if [ -d "$d" ]; then
    mount -t tmpfs -o size=1m,mode=0755 tmpfs "$d"
  fi
done
unset JAVA_HOME JDK_HOME JRE_HOME
if command -v java >/dev/null 2>&1 && java -version >/dev/null 2>&1; then
  echo "without-jdk: a java is still visible: $(command -v java)" >&2
  exit 97
fi
for c in /usr/lib/jvm/*/bin/java /usr/java/*/bin/java /opt/java/*/bin/java /opt/jdk*/bin/java; do
  if [ -x "$c" ]; then
    echo "without-jdk: a java is still visible: $c" >&2
    exit 97
  fi
done
exec "$@"
