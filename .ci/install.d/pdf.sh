#!/usr/bin/env bash
# pdf.sh: installs the independent PDF validators the stamping engine is tested against
# (poppler-utils for pdfsig, qpdf, hyperfine and time for benchmarks, pyHanko in the shared venv). Idempotent and quiet.
set -euo pipefail

need_apt=()
command -v pdfsig >/dev/null 2>&1 || need_apt+=(poppler-utils)
command -v qpdf >/dev/null 2>&1 || need_apt+=(qpdf)
command -v hyperfine >/dev/null 2>&1 || need_apt+=(hyperfine)
[ -x /usr/bin/time ] || need_apt+=(time)
python3 -c 'import ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ "${#need_apt[@]}" -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

VENV=/opt/loket-venv
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
if [ ! -x "$VENV/bin/pyhanko" ]; then
    "$VENV/bin/pip" install -q --disable-pip-version-check 'pyHanko[image-support,qr]==0.38.*' 'pyhanko-cli==0.6.*'
fi
