#!/usr/bin/env bash
# Issue and call-next latency with 8 processes contending on one database file (4 dispensers issuing,
# 4 counters calling, serving and finishing), durable writes (every write returns after its WAL fsync). The floor it is
# compared with, in the same run on the same file system: a bare SQLite commit of one row with the same
# settings, from Python's sqlite3 module.
#   bash bench/queue-contention.sh [TICKETS_PER_DISPENSER]
set -euo pipefail
cd "$(dirname "$0")/.."
per=${1:-400}
total=$((per * 4))
cargo build --release --quiet --bin loket
bin=target/release/loket
work=$(mktemp -d /var/tmp/loket-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
$bin --data "$work/d" init >/dev/null
start=$(date +%s.%N)
pids=()
for s in 1 2 3 4; do
    $bin --data "$work/d" dev stress --role issue --count "$per" --seed "$s" --latency-out "$work/issue$s.txt" >"$work/out-i$s.json" &
    pids+=($!)
done
for c in 1 2 3 4; do
    $bin --data "$work/d" dev stress --role call --counter "$c" --until-total "$total" --latency-out "$work/call$c.txt" >"$work/out-c$c.json" &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
end=$(date +%s.%N)
$bin --data "$work/d" journal verify >/dev/null
python3 - "$work" "$start" "$end" <<'PY'
import sqlite3, sys, time, glob, os
work, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
def pct(xs, q):
    xs = sorted(xs); return xs[min(len(xs) - 1, (len(xs) - 1) * q // 100)]
issue = [int(l) for f in glob.glob(f"{work}/issue*.txt") for l in open(f)]
call = [int(l) for f in glob.glob(f"{work}/call*.txt") for l in open(f)]
every = issue + call
secs = end - start
# The floor: one-row commits, WAL + synchronous=FULL, same file system.
db = sqlite3.connect(os.path.join(work, "floor.db"), isolation_level=None)
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=FULL")
db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
floor = []
for i in range(2000):
    t = time.perf_counter(); db.execute("BEGIN IMMEDIATE"); db.execute("INSERT INTO t (v) VALUES ('x')"); db.execute("COMMIT")
    floor.append(int((time.perf_counter() - t) * 1e6))
f50 = pct(floor, 50)
print(f"state changes: {len(every)} in {secs:.2f} s = {len(every)/secs:.0f}/s (8 processes)")
for name, xs in (("issue", issue), ("call/serve/done", call), ("all", every)):
    print(f"{name:16} p50 {pct(xs,50)/1000:.2f} ms  p99 {pct(xs,99)/1000:.2f} ms  max {max(xs)/1000:.2f} ms")
print(f"floor (1-row commit, 1 process) p50 {f50/1000:.2f} ms  p99 {pct(floor,99)/1000:.2f} ms")
print(f"ratio loket p50 / floor p50 = {pct(every,50)/f50:.1f}x")
PY
