#!/bin/sh
# The Debian package test: dpkg-deb and debconf (always on Debian), adduser for the maintainer
# scripts, systemd for `systemd-analyze verify`. Idempotent and quiet.
set -eu
need=""
for pkg in adduser systemd debconf; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need="$need $pkg"
done
[ -z "$need" ] && exit 0
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
