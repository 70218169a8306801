#!/bin/sh
# libfaketime, for the test run with the system clock a year ahead. Idempotent and quiet.
set -eu
dpkg-query -W -f='${Status}' faketime 2>/dev/null | grep -q "install ok installed" && exit 0
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends faketime >/dev/null
