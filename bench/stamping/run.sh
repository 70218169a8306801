#!/usr/bin/env bash
# Stamping benchmark: loket against the I/O floor (read + SHA-256 + write) and against pyHanko in-process, on the
# same files with the same placement; peak memory with /usr/bin/time; then the hostile files of issue 17 (verify of
# 5,000 fields sharing one signature, stamping a file of a million objects). Prints markdown tables for BENCHMARKS.md.
# Needs: bash .ci/install.d/pdf.sh (hyperfine, pdfsig, pyHanko in /opt/loket-venv).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
RUNS=${RUNS:-10}
WORK=${WORK:-/tmp/loket-stamping-bench}
PY=/opt/loket-venv/bin/python
cargo bench --bench stamping --no-run -q 2>/dev/null
BIN=$(ls -t "$CARGO_TARGET_DIR"/release/deps/stamping-* | grep -v '\.d$' | head -1)
"$BIN" gen-hostile "$WORK"

rows=()
for f in letter hundred scan-25mb scan-50mb; do
    in="$WORK/$f.pdf"
    read -r page box < <("$BIN" place "$in")
    hyperfine -N --warmup 2 --runs "$RUNS" --export-json "$WORK/$f.json" \
        -n floor "$BIN floor $in $WORK/floor-$f.pdf" \
        -n loket "$BIN stamp $WORK $in $WORK/out-$f.pdf" \
        -n loket-no-readback "$BIN stamp-no-readback $WORK $in $WORK/nrb-$f.pdf" >/dev/null
    loop=$("$BIN" loop "$WORK" "$in" "$WORK/out-$f.pdf" "$RUNS")
    py=$("$PY" bench/stamping/pyhanko_inprocess.py "$WORK/pki" "$in" "$WORK/py-$f.pdf" "$RUNS" "$page" "$box")
    # Validity gate: a fast but broken output does not count.
    for out in "$WORK/out-$f.pdf" "$WORK/py-$f.pdf"; do
        pdfsig "$out" | grep -q "Signature is Valid" || { echo "invalid signature in $out" >&2; exit 1; }
        /opt/loket-venv/bin/pyhanko sign validate --no-revocation-check --trust-replace --trust "$WORK/pki/ca.pem" "$out" >/dev/null \
            || { echo "pyHanko rejects $out" >&2; exit 1; }
    done
    mem_loket=$( { /usr/bin/time -f %M "$BIN" stamp "$WORK" "$in" "$WORK/out-$f.pdf"; } 2>&1 | tail -1)
    mem_floor=$( { /usr/bin/time -f %M "$BIN" floor "$in" "$WORK/floor-$f.pdf"; } 2>&1 | tail -1)
    size=$(stat -c %s "$in")
    rows+=("$f|$size|$WORK/$f.json|$loop|$py|$mem_loket|$mem_floor")
done

"$PY" - "${rows[@]}" <<'PYEOF'
import json, sys
print("| file | size | floor min (mean) ms | loket min (mean) ms | loket / floor (min) | without read-back min ms (/ floor) | loket in-process median ms | pyHanko in-process median ms | pyHanko / loket | peak RSS loket | limit 1.5×size+20 MB | peak RSS floor |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for row in sys.argv[1:]:
    name, size, js, loop, py, mem_l, mem_f = row.split("|")
    size = int(size)
    res = {r["command"]: r for r in json.load(open(js))["results"]}
    fl, lk, nr = res["floor"], res["loket"], res["loket-no-readback"]
    kv = lambda s: dict(p.split("=") for p in s.split())
    lm, pm = float(kv(loop)["median_ms"]), float(kv(py)["median_ms"])
    limit = 1.5 * size / 1024 + 20 * 1024
    print(f"| {name} | {size/1e6:.2f} MB | {fl['min']*1000:.1f} ({fl['mean']*1000:.1f}) | {lk['min']*1000:.1f} ({lk['mean']*1000:.1f}) "
          f"| {lk['min']/fl['min']:.2f}× | {nr['min']*1000:.1f} ({nr['min']/fl['min']:.2f}×) | {lm:.1f} | {pm:.1f} | {pm/lm:.1f}× | {int(mem_l)/1024:.0f} MB | {limit/1024:.0f} MB | {int(mem_f)/1024:.0f} MB |")
PYEOF

# Hostile files: verify of the many-fields file (target < 2 s), stamping the million-object file (peak memory
# target <= 2x size + 50 MB), each also against the floor on the same file.
echo
echo "| file | size | operation | min (mean) ms | floor min ms | peak RSS | limit 2×size+50 MB |"
echo "|---|---|---|---|---|---|---|"
for job in "many-fields verify" "million stamp"; do
    read -r f op <<<"$job"
    in="$WORK/$f.pdf"
    if [ "$op" = verify ]; then
        cmd="$BIN verify $in"
    else
        cmd="$BIN stamp $WORK $in $WORK/out-$f.pdf"
    fi
    hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$WORK/$f-$op.json" -n "$op" "$cmd" \
        -n floor "$BIN floor $in $WORK/floor-$f.pdf" >/dev/null
    [ "$op" = verify ] || "$BIN" verify "$WORK/out-$f.pdf" >/dev/null
    mem=$( { /usr/bin/time -f %M $cmd >/dev/null; } 2>&1 | tail -1)
    size=$(stat -c %s "$in")
    "$PY" - "$f" "$op" "$size" "$WORK/$f-$op.json" "$mem" <<'PYEOF'
import json, sys
f, op, size, js, mem = sys.argv[1:]
size, mem = int(size), int(mem)
res = {r["command"]: r for r in json.load(open(js))["results"]}
o, fl = res[op], res["floor"]
limit = (2 * size + 50 * 1024 * 1024) / 1024
print(f"| {f} | {size/1e6:.2f} MB | {op} | {o['min']*1000:.1f} ({o['mean']*1000:.1f}) | {fl['min']*1000:.1f} | {mem/1024:.0f} MB | {limit/1024:.0f} MB |")
PYEOF
done
