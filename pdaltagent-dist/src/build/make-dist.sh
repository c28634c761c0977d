#!/usr/bin/env bash
# make-dist.sh: the installed image of pdaltagent and its packages, run by the dist module's
# `package` phase (bin/mvnw -B -Pdist package):
#   target/image/pdaltagent-VERSION/   bin/ (the launchers), lib/agent/ (the agent's jars), lib/cli/
#                                      (pd-send's jar and class-data archive), runtime/ (jlink)
#   target/pdaltagent-VERSION-linux-x64.tar.gz   that directory
#   target/pdaltagent_DEBVERSION_amd64.deb       it under /usr/lib/pdaltagent, with a system user,
#                                                /etc/pdaltagent, /var/lib/pdaltagent and a unit
# Usage: make-dist.sh JDK_HOME PROJECT_ROOT DIST_MODULE_DIR VERSION
# The runtime is linked from JDK_HOME (the build's JDK, 21 or newer, with jmods or a linkable
# runtime); pd-send's archive is trained on that runtime, since an archive fits only the JVM that made it.
set -euo pipefail
jdk="$1" root="$2" module="$3" version="$4"
target="$module/target"
name="pdaltagent-$version"
image="$target/image/$name"

# The modules the agent, pd-queue and pd-send need, from `jdeps --print-module-deps` over every jar
# (java.desktop: amqp-client uses java.beans), plus what only reflection or a service provider
# reaches: jdk.unsupported (sun.misc.Unsafe, used by libraries when present), jdk.naming.dns (the
# "dns:" JNDI provider). Elliptic-curve TLS is in java.base (jdk.crypto.ec is empty since JDK 22).
modules="java.base,java.desktop,java.logging,java.management,java.naming,java.net.http,java.security.sasl,java.sql,java.xml,jdk.management,jdk.naming.dns,jdk.unsupported"
feature="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$jdk/release")"
[ "${feature:-0}" -ge 22 ] || modules="$modules,jdk.crypto.ec"

echo "make-dist: $image"
rm -rf "$target/image" "$target"/pdaltagent-*.tar.gz "$target"/pdaltagent_*.deb "$target/deb"
mkdir -p "$image/bin/lib" "$image/lib/agent" "$image/lib/cli"

# launchers: the source tree's, which detect this layout (runtime/ and lib/agent/ beside bin/) and
# then run on the bundled runtime without looking for a JDK or building
for f in pdagentd pd-send pd-queue pd-nagios pd-zabbix pd-sensu; do
  install -m 0755 "$root/bin/$f" "$image/bin/$f"
done
install -m 0644 "$root/bin/lib/launcher.sh" "$root/bin/lib/pd-integration.sh" "$image/bin/lib/"
install -m 0644 "$target/deps/agent/"*.jar "$image/lib/agent/"
install -m 0644 "$target/deps/cli/pdaltagent-cli.jar" "$image/lib/cli/"
install -m 0644 "$root/README.md" "$image/README.md"
echo "$version" > "$image/VERSION"

# the runtime: no debug attributes, headers or man pages; the JDK's default class-data archive
# regenerated for these modules (pd-send's archive sits on top of it). The archive for heaps over
# 32 GB (compressed oops off) is dropped: the agent runs with -Xmx88m (PDAGENTD_HEAP changes it), pd-send with -Xmx32m.
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
  --compress zip-6 --generate-cds-archive --output "$image/runtime" 2>&1 | grep -v '^\[.*\]\[warning\]\[cds\]' || true
[ -x "$image/runtime/bin/java" ] || { echo "make-dist: jlink made no runtime" >&2; exit 1; }
rm -f "$image/runtime/lib/server/classes_nocoops.jsa"

# pd-send's class-data archive, trained against the bundled runtime with the options of bin/pd-send
# (CdsTraining runs pd-send's common paths in-process against a throw-away HTTP server)
mkdir -p "$target/cds-training"
"$image/runtime/bin/java" -XX:ArchiveClassesAtExit="$image/lib/cli/pd-send.jsa" -Xlog:disable -Xlog:all=error:stderr \
  -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss256k -Xmx32m -XX:-UsePerfData \
  -cp "$image/lib/cli/pdaltagent-cli.jar" io.pdaltagent.cli.CdsTraining "$target/cds-training"
rm -rf "$target/cds-training"

# the tarball: modes and modification times kept (the archive records the jar's time and size)
tar -C "$target/image" --owner=0 --group=0 --numeric-owner -czf "$target/$name-linux-x64.tar.gz" "$name"
echo "make-dist: $target/$name-linux-x64.tar.gz ($(du -h "$target/$name-linux-x64.tar.gz" | cut -f1))"

"$module/src/build/make-deb.sh" "$image" "$module" "$version"
