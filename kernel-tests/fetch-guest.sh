#!/usr/bin/env bash
# Fetches what the kernel tier's qemu guest is made of, from Debian's packages alone: qemu (installed),
# and Debian's current 6.1 kernel and busybox-static (downloaded and unpacked, never installed: the
# kernel package would pull initramfs-tools and udev into the build machine). Needs root and apt.
#
#   kernel-tests/fetch-guest.sh [DIR]     (DIR: $OOMDOCTOR_GUEST_DIR, else ~/.cache/oomdoctor/guest)
#
# Leaves DIR/current -> DIR/<kernel ABI>/ holding vmlinuz, busybox and modules/*.ko (virtio, 9p).
set -euo pipefail
dir=${1:-${OOMDOCTOR_GUEST_DIR:-$HOME/.cache/oomdoctor/guest}}
export DEBIAN_FRONTEND=noninteractive
if ! command -v qemu-system-x86_64 > /dev/null || ! command -v cpio > /dev/null; then
  apt-get update -q
  apt-get install -y -q --no-install-recommends qemu-system-x86 cpio xz-utils
fi
# Today's ABI: the security updates move it.
abi=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: linux-image-\(.*\)-amd64$/\1/p' | head -1)
if [ -z "$abi" ]; then
  apt-get update -q
  abi=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: linux-image-\(.*\)-amd64$/\1/p' | head -1)
fi
[ -n "$abi" ] || { echo "fetch-guest: cannot tell Debian's current kernel ABI" >&2; exit 1; }
out=$dir/$abi-amd64
if [ ! -f "$out/vmlinuz" ] || [ ! -f "$out/busybox" ] || [ ! -f "$out/modules/9p.ko" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  chmod 777 "$work" # apt-get download drops privileges to _apt
  (cd "$work" && apt-get download "linux-image-$abi-amd64" busybox-static)
  mkdir -p "$work/x" "$out/modules"
  for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/x"; done
  cp "$work/x/boot/vmlinuz-$abi-amd64" "$out/vmlinuz"
  cp "$work/x/bin/busybox" "$out/busybox"
  for m in virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio virtio_mmio virtio_pci \
    9pnet 9pnet_virtio netfs fscache 9p; do
    f=$(find "$work/x/lib/modules" -name "$m.ko" -o -name "$m.ko.xz" | head -1)
    [ -n "$f" ] || { echo "fetch-guest: no module $m in the kernel package" >&2; exit 1; }
    case $f in
      *.xz) xz -dc "$f" > "$out/modules/$m.ko" ;;
      *) cp "$f" "$out/modules/$m.ko" ;;
    esac
  done
fi
ln -sfn "$abi-amd64" "$dir/current"
echo "guest kernel $abi-amd64 in $out"
