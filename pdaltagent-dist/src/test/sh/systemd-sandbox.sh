#!/usr/bin/env bash
# systemd-sandbox.sh DIR [KEEP...]: boots systemd as PID 1 on a throw-away copy of this machine, so that a
# .deb can be installed, its unit run by the real service manager and the package purged, without
# touching the machine. Run as root under
#   unshare --mount --pid --fork --uts --ipc --propagation private bash systemd-sandbox.sh DIR
# DIR (empty) gets a tmpfs holding an overlay of / (upper: every change, thrown away with the
# namespace) mounted at DIR/root; systemd starts there on a target of its own that pulls in nothing
# of this machine's enabled services. The network namespace is the machine's: the agent reaches
# test servers on 127.0.0.1. Enter it with nsenter -t PID -m -p -u -i -r -w (PID: systemd's).
# KEEP: directories of this machine bound at the same path inside (e.g. the built packages), which the
# sandbox's own /tmp would otherwise hide when they lie under /tmp.
set -euo pipefail
dir="$1"
shift
mount -t tmpfs -o mode=0755 tmpfs "$dir"
mkdir "$dir/upper" "$dir/work" "$dir/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$dir/upper,workdir=$dir/work" "$dir/root"
root="$dir/root"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
mount -t tmpfs -o mode=0755 tmpfs "$root/run"
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
for keep in "$@"; do
  mkdir -p "$root$keep"
  mount --bind "$keep" "$root$keep"
done

# none of this machine's services (databases, brokers) may start twice: their wants go, and every
# early-boot unit that would touch the shared kernel or /dev (sysctl, modules, udev, binfmt,
# tmpfiles' device nodes) is masked; journald stays, for journalctl -u
rm -rf "$root"/etc/systemd/system/*.wants
mask() { ln -sf /dev/null "$root/etc/systemd/system/$1"; }
for unit in "$root"/lib/systemd/system/sysinit.target.wants/*; do
  case "${unit##*/}" in
    systemd-journald.service|systemd-journal-flush.service) ;;
    *) mask "${unit##*/}" ;;
  esac
done
for unit in systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
    systemd-logind.service getty.target console-getty.service systemd-networkd.service \
    systemd-resolved.service systemd-timesyncd.service systemd-remount-fs.service swap.target \
    cryptsetup.target systemd-tmpfiles-clean.timer e2scrub_all.timer apt-daily.timer \
    apt-daily-upgrade.timer fstrim.timer logrotate.timer man-db.timer; do
  mask "$unit"
done
cat > "$root/etc/systemd/system/pdaltagent-sandbox.target" <<'UNIT'
[Unit]
Description=pdaltagent package test sandbox
Requires=basic.target
After=basic.target
AllowIsolate=yes
UNIT
# a policy-rc.d left by an install elsewhere would stop postinst from starting the service
rm -f "$root/usr/sbin/policy-rc.d"
echo pdaltagent-sandbox > "$root/etc/hostname"
exec chroot "$root" env container=pdaltagent-sandbox /lib/systemd/systemd --system \
  --unit=pdaltagent-sandbox.target --log-target=console --log-level=notice
