#!/usr/bin/env bash
# podman.sh ARGS...: podman as this test machine lets it run. Run under
# `unshare --mount --propagation private`. This machine mounts cgroup v1 controllers and a cgroup2
# hierarchy with controllers at once ("hybrid"), which crun refuses ("cgroups in hybrid mode not
# supported"): the cgroup2 mount is hidden in this mount namespace only, and the tests run
# containers with --cgroups=disabled (the v1 net_cls hierarchy is read-only here too).
set -euo pipefail
if mountpoint -q /sys/fs/cgroup/unified; then
  umount /sys/fs/cgroup/unified
fi
exec podman "$@"
