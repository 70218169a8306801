#!/bin/sh
# The branch server's tests: PostgreSQL 15 (Debian's postgresql package), whose initdb and pg_ctl
# the test harness runs to start a throwaway cluster. Idempotent and quiet.
set -eu
[ -x /usr/lib/postgresql/15/bin/initdb ] && exit 0
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
