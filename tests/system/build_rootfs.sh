#!/usr/bin/env bash
# Builds the pristine Debian 12 rootfs the nspawn system test boots, as a tarball in the cache:
#   build_rootfs.sh CACHE_DIR  ->  CACHE_DIR/rootfs-bookworm-v1.tar
# Only what a fresh Raspberry Pi OS / Debian box has before provisioning: systemd, sshd, sudo,
# python3 (Ansible needs it). Everything the app needs is left for the playbook to install.
set -euo pipefail
cache=${1:?usage: build_rootfs.sh CACHE_DIR}
tarball=$cache/rootfs-bookworm-v1.tar
[ -s "$tarball" ] && exit 0
mkdir -p "$cache"
work=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
debootstrap --variant=minbase \
  --include=systemd,systemd-sysv,dbus,openssh-server,sudo,python3,python3-apt,python3-venv,python3-packaging,ca-certificates,iproute2,procps \
  bookworm "$work/root" http://deb.debian.org/debian
echo dance-test > "$work/root/etc/hostname"
tar -C "$work/root" --numeric-owner -cf "$tarball.part" .
mv "$tarball.part" "$tarball"
