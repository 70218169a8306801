#!/bin/sh
# System packages for the delivery tests: a real Postfix with Cyrus SASL (STARTTLS, implicit TLS,
# AUTH), exFAT images mounted through FUSE on loop devices, OpenSSL for the test certificate, and
# hyperfine for the copy benchmark. Idempotent and quiet.
set -eu
export DEBIAN_FRONTEND=noninteractive
need=""
for pkg in postfix libsasl2-modules sasl2-bin exfat-fuse exfatprogs fuse3 mtools openssl util-linux hyperfine; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need="$need $pkg"
done
[ -z "$need" ] && exit 0
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
for try in 1 2 3 4 5; do
    if apt-get install -y -qq --no-install-recommends $need >/dev/null 2>&1; then
        exit 0
    fi
    sleep 5
done
apt-get install -y -qq --no-install-recommends $need
