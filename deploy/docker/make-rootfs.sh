#!/bin/sh
# Assembles the files the final image needs besides the binary into DEST (default ./rootfs):
# CA certificates (Debian's Mozilla set, concatenated), tzdata, a passwd/group entry for the
# non-root user 65532 and an empty /tmp; plus an empty DEST.data/, which the Dockerfiles copy to
# /data owned by 65532 (a directory already in DEST would keep root as owner). Used by both Dockerfiles' paths: the host build
# (make image) and the "assemble" stage of the multi-stage build, so the two images match.
# Needs Debian's ca-certificates and tzdata packages.
set -eu
DEST=${1:-rootfs}
MOZILLA=/usr/share/ca-certificates/mozilla
ZONEINFO=/usr/share/zoneinfo

ls "$MOZILLA"/*.crt >/dev/null 2>&1 || { echo "make-rootfs: no $MOZILLA/*.crt (apt-get install ca-certificates)" >&2; exit 1; }
[ -f "$ZONEINFO/UTC" ] || { echo "make-rootfs: no $ZONEINFO (apt-get install tzdata)" >&2; exit 1; }

rm -rf "$DEST"
rm -rf "$DEST.data"
mkdir -p "$DEST/etc/ssl/certs" "$DEST/usr/share" "$DEST/tmp" "$DEST.data"
# The Mozilla set only, not this machine's bundle (which may hold local additions).
cat "$MOZILLA"/*.crt > "$DEST/etc/ssl/certs/ca-certificates.crt"
# right/ (leap-second variants) is unused by Go and would double the size.
cp -a "$ZONEINFO" "$DEST/usr/share/zoneinfo"
rm -rf "$DEST/usr/share/zoneinfo/right" "$DEST/usr/share/zoneinfo/localtime"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/data:/sbin/nologin\n' > "$DEST/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' > "$DEST/etc/group"
chmod 1777 "$DEST/tmp"
echo "rootfs in $DEST: $(du -sh "$DEST" | cut -f1)"
