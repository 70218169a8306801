#!/bin/sh
# Several PCs in one machine (tests/foundation/lan.rs): network namespaces, veth pairs and a bridge
# with iproute2's `ip`. Idempotent and quiet.
set -eu
command -v ip >/dev/null 2>&1 && exit 0
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iproute2 >/dev/null
