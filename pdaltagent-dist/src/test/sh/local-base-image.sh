#!/usr/bin/env bash
# local-base-image.sh NAME: makes the container base image NAME (e.g. localhost/pdaltagent-test-base:bookworm)
# without a registry, which this machine cannot reach: a minimal Debian 12 root made by debootstrap
# from Debian's own package archive, imported with podman. Kept once made (podman image exists).
# Run under `unshare --mount --propagation private` (see podman.sh).
set -euo pipefail
name="$1"
here="$(dirname "$(readlink -f "$0")")"
if bash "$here/podman.sh" image exists "$name"; then
  echo "local-base-image: $name exists"
  exit 0
fi
root="$(mktemp -d /var/tmp/pdaltagent-base.XXXXXX)"
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$root.log" 2>&1 \
  || { cat "$root.log" >&2; rm -f "$root.log"; echo "local-base-image: debootstrap failed" >&2; exit 1; }
rm -f "$root.log"
tar -C "$root" -c . | bash "$here/podman.sh" import --change 'CMD ["/bin/bash"]' - "$name" >/dev/null
echo "local-base-image: $name made"
