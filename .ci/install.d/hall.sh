#!/bin/sh
# The hall display's tests and voice segments: headless Chromium driven through chromedriver, and
# espeak-ng + opus-tools for voice/make-segments.sh, fonttools + fonts-dejavu-core for
# src/hall/assets/fonts/make-fonts.sh. Idempotent and quiet.
set -eu
missing=""
for pkg in chromium chromium-driver espeak-ng opus-tools fonttools fonts-dejavu-core; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
