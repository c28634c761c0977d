#!/usr/bin/env bash
# make-deb.sh: the .deb of pdaltagent from the installed image made by make-dist.sh, with dpkg-deb
# (Debian's own tool: exact modes, owners root:root, modification times kept, which pd-send's
# class-data archive needs). Usage: make-deb.sh IMAGE_DIR DIST_MODULE_DIR VERSION
#   /usr/lib/pdaltagent/            the image (bin/, lib/, runtime/)
#   /usr/bin/{pdagentd,pd-send,pd-queue,pd-nagios,pd-zabbix,pd-sensu}   links into it
#   /lib/systemd/system/pdaltagent.service
#   /etc/pdaltagent/pdaltagent.env, pdaltagent.yaml   conffiles
#   /usr/share/doc/pdaltagent/      README.md, copyright
# The system user, /var/lib/pdaltagent and its spool are made by postinst and removed by purge.
set -euo pipefail
image="$1" module="$2" version="$3"
target="$module/target"
deb_src="$module/src/deb"
# Debian orders "0.1.0~SNAPSHOT" before "0.1.0": a snapshot sorts below its release
deb_version="${version//-/\~}"
stage="$target/deb/pdaltagent"
rm -rf "$target/deb"
mkdir -p "$stage/DEBIAN" "$stage/usr/lib" "$stage/usr/bin" "$stage/lib/systemd/system" \
  "$stage/etc/pdaltagent" "$stage/usr/share/doc/pdaltagent"
cp -a "$image" "$stage/usr/lib/pdaltagent"
for f in pdagentd pd-send pd-queue pd-nagios pd-zabbix pd-sensu; do
  ln -s "../lib/pdaltagent/bin/$f" "$stage/usr/bin/$f"
done
install -m 0644 "$deb_src/pdaltagent.service" "$stage/lib/systemd/system/pdaltagent.service"
install -m 0640 "$deb_src/pdaltagent.env" "$stage/etc/pdaltagent/pdaltagent.env"
install -m 0640 "$deb_src/pdaltagent.yaml" "$stage/etc/pdaltagent/pdaltagent.yaml"
install -m 0644 "$deb_src/copyright" "$stage/usr/share/doc/pdaltagent/copyright"
mv "$stage/usr/lib/pdaltagent/README.md" "$stage/usr/share/doc/pdaltagent/README.md"
for f in postinst prerm postrm; do
  install -m 0755 "$deb_src/$f" "$stage/DEBIAN/$f"
done
install -m 0644 "$deb_src/conffiles" "$stage/DEBIAN/conffiles"
size_kb="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
sed -e "s/@VERSION@/$deb_version/" -e "s/@INSTALLED_SIZE@/$size_kb/" "$deb_src/control" > "$stage/DEBIAN/control"
deb="$target/pdaltagent_${deb_version}_amd64.deb"
dpkg-deb --root-owner-group -Zgzip --build "$stage" "$deb" >/dev/null
echo "make-deb: $deb ($(du -h "$deb" | cut -f1))"
