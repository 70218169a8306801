#!/usr/bin/env bash
# Issue and call-next latency with 8 processes contending on one branch store (4 dispensers issuing,
# 4 counters calling, serving and finishing), on both engines in one run:
#   - the SQLite file, durable writes (every write returns after its WAL fsync); its floor, on the
#     same file system: a bare SQLite commit of one row with the same settings (Python's sqlite3);
#   - the branch server, PostgreSQL 15 on loopback (fsync on; started by .ci/pg-cluster, schema by
#     `loket server init`); its floor: a bare one-row INSERT commit from one client (pgbench).
#   bash bench/queue-contention.sh [TICKETS_PER_DISPENSER] [PACE_MS]
# PACE_MS 0 (the default): every process as fast as it can, the branch saturated. PACE_MS N: each
# dispenser hands out a ticket every N ms on schedule (a kiosk's stream of customers), the counters
# as fast as they can; 16 offers the branch 1,000 state changes a second (4 dispensers x 62.5
# tickets/s x 4 changes a ticket: issue, call, serve, done). A counter's look that finds nobody
# waiting changes nothing and is not counted.
set -euo pipefail
cd "$(dirname "$0")/.."
per=${1:-400}
pace=${2:-0}
total=$((per * 4))
cargo build --release --quiet --bin loket
bin=${CARGO_TARGET_DIR:-target}/release/loket
work=$(mktemp -d /var/tmp/loket-bench.XXXXXX)
pg=$(mktemp -d /tmp/loket-bench-pg.XXXXXX)
trap 'rm -rf "$work"; .ci/pg-cluster stop "$pg"' EXIT

# One run of the eight processes on the branch in folder $1; latencies into $1/*.txt.
contend() {
    local d=$1
    local start end
    start=$(date +%s.%N)
    local pids=()
    for s in 1 2 3 4; do
        $bin --data "$d" dev stress --role issue --count "$per" --seed "$s" --every-ms "$pace" --latency-out "$d/issue$s.txt" >"$d/out-i$s.json" &
        pids+=($!)
    done
    for c in 1 2 3 4; do
        $bin --data "$d" dev stress --role call --counter "$c" --until-total "$total" --latency-out "$d/call$c.txt" >"$d/out-c$c.json" &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p"; done
    end=$(date +%s.%N)
    $bin --data "$d" journal verify >/dev/null
    echo "$start $end" >"$d/span"
}

# SQLite.
$bin --data "$work/lite" init >/dev/null
contend "$work/lite"

# PostgreSQL on loopback.
base=$(.ci/pg-cluster start "$pg")
$bin --data "$work/setup" server init "$base/postgres" --branch 40000 >"$work/server-init.txt"
url=$(grep -m1 '^url = "postgresql://loket_40000_counter:' "$work/server-init.txt" | sed 's/^url = "//; s/"$//')
supervisor=$(grep -m1 '^url = "postgresql://loket_40000_supervisor:' "$work/server-init.txt" | sed 's/^url = "//; s/"$//')
LOKET_STORE="$url" $bin --data "$work/server" init >/dev/null
contend "$work/server"
# The floor: one client, one-row INSERT commits, the same server.
cat >"$work/floor.sql" <<'SQL'
INSERT INTO floor (v) VALUES ('x');
SQL
port=${base##*:}
PGPASSWORD=$(cat "$pg/pw") psql -qAt -h 127.0.0.1 -p "$port" -U loket_owner -d postgres \
    -c "CREATE TABLE floor (id bigserial PRIMARY KEY, v text)"
(cd "$work" && PGPASSWORD=$(cat "$pg/pw") /usr/lib/postgresql/15/bin/pgbench -n -h 127.0.0.1 -p "$port" -U loket_owner \
    -f floor.sql -t 2000 -l --log-prefix=pgfloor postgres >/dev/null)

python3 - "$work" <<'PY'
import sqlite3, sys, time, glob, os
work = sys.argv[1]
def pct(xs, q):
    xs = sorted(xs); return xs[min(len(xs) - 1, (len(xs) - 1) * q // 100)]
def report(name, d, floor):
    start, end = map(float, open(f"{d}/span").read().split())
    issue = [int(l) for f in glob.glob(f"{d}/issue*.txt") for l in open(f)]
    call = [int(l) for f in glob.glob(f"{d}/call*.txt") for l in open(f)]
    every = issue + call
    secs = end - start
    print(f"== {name}")
    print(f"state changes: {len(every)} in {secs:.2f} s = {len(every)/secs:.0f}/s (8 processes)")
    for n, xs in (("issue", issue), ("call/serve/done", call), ("all", every)):
        print(f"{n:16} p50 {pct(xs,50)/1000:.2f} ms  p99 {pct(xs,99)/1000:.2f} ms  max {max(xs)/1000:.2f} ms")
    print(f"floor (1-row commit, 1 client) p50 {pct(floor,50)/1000:.2f} ms  p99 {pct(floor,99)/1000:.2f} ms")
    print(f"ratio loket p50 / floor p50 = {pct(every,50)/pct(floor,50):.1f}x")
    return every
# SQLite's floor: one-row commits, WAL + synchronous=FULL, same file system.
db = sqlite3.connect(os.path.join(work, "floor.db"), isolation_level=None)
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=FULL")
db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
lite_floor = []
for i in range(2000):
    t = time.perf_counter(); db.execute("BEGIN IMMEDIATE"); db.execute("INSERT INTO t (v) VALUES ('x')"); db.execute("COMMIT")
    lite_floor.append(int((time.perf_counter() - t) * 1e6))
# pgbench's log: client, transaction, latency (µs), ...
pg_floor = [int(l.split()[2]) for f in glob.glob(f"{work}/pgfloor*") for l in open(f)]
lite = report("SQLite file", f"{work}/lite", lite_floor)
server = report("PostgreSQL 15, loopback", f"{work}/server", pg_floor)
print(f"== PostgreSQL p50 / SQLite p50 = {pct(server,50)/pct(lite,50):.1f}x, p99 {pct(server,99)/pct(lite,99):.1f}x")
PY
