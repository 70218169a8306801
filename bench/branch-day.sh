#!/usr/bin/env bash
# A busy branch on the branch server for a stretch of time: 32 counters, one ticket kiosk and the
# hall display, every PC its own `loket` process with its own login, PostgreSQL 15 on loopback
# (fsync on; started by .ci/pg-cluster, schema by `loket server init`).
#   - the kiosk hands out a ticket every KIOSK_MS (default 60 ms: 1,000 an hour per service line
#     would be a very busy branch; this is 60,000 an hour, up to 9,999 numbers per service a day);
#   - each counter calls the next customer, serves for COUNTER_MS (default 1,000 ms), finishes, and
#     calls again; with nobody waiting it looks again every COUNTER_MS / 4;
#   - the hall display (`loket display --web`, display role) serves one hall page and one phone
#     page that stay connected, reading every call as it is pushed.
# At the end: every process exited cleanly, ticket numbers have no gap per service, the journal
# verifies on the server, and the latency of every state change (p50 / p99 / max).
#   bash bench/branch-day.sh [MINUTES]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
kiosk_ms=${KIOSK_MS:-60}
counter_ms=${COUNTER_MS:-1000}
counters=32
tickets=$((minutes * 60000 / kiosk_ms))
cargo build --release --quiet --bin loket
bin=${CARGO_TARGET_DIR:-target}/release/loket
work=$(mktemp -d /var/tmp/loket-day.XXXXXX)
pg=$(mktemp -d /tmp/loket-day-pg.XXXXXX)
display_pid=
trap '[ -n "$display_pid" ] && kill "$display_pid" 2>/dev/null; rm -rf "$work"; .ci/pg-cluster stop "$pg"' EXIT

base=$(.ci/pg-cluster start "$pg")
$bin --data "$work/setup" server init "$base/postgres" --branch 40000 >"$work/server-init.txt"
login() { grep -m1 "^url = \"postgresql://loket_40000_$1:" "$work/server-init.txt" | sed 's/^url = "//; s/"$//'; }

# Every PC's configuration: the default one with numbers enough for the day and 32 counters.
python3 - "$work/loket.toml" "$counters" <<'PY'
import re, subprocess, sys
path, counters = sys.argv[1], int(sys.argv[2])
text = open("src/default.toml").read()
text = text.replace("range = [1, 999]", "range = [1, 9999]")
head, _, tail = text.partition("[[counter]]")
tail = tail[tail.index("# Printer:"):] if "# Printer:" in tail else ""
rows = "".join(f'[[counter]]\nnumber = {n}\nservices = ["A", "B", "C"]\n\n' for n in range(1, counters + 1))
open(path, "w").write(head + rows + tail)
PY
pc() { # folder, role
    mkdir -p "$work/$1"
    { cat "$work/loket.toml"; printf '\n[store]\nurl = "%s"\n' "$(login "$2")"; } >"$work/$1/loket.toml"
}
pc kiosk dispenser
pc hall display
pc supervisor supervisor
for c in $(seq 1 $counters); do pc "counter$c" counter; done
$bin --data "$work/kiosk" queue status >/dev/null  # the configuration loads and the server answers

# The hall display, with one hall page and one phone page reading their streams.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$bin --data "$work/hall" display --web "127.0.0.1:$port" >"$work/hall.log" 2>&1 &
display_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
curl -sN "http://127.0.0.1:$port/events" >"$work/hall-events.txt" 2>/dev/null &

start=$(date +%s.%N)
pids=()
$bin --data "$work/kiosk" dev stress --role issue --count "$tickets" --every-ms "$kiosk_ms" \
    --latency-out "$work/kiosk.txt" >"$work/kiosk.json" &
pids+=($!)
for c in $(seq 1 $counters); do
    $bin --data "$work/counter$c" dev stress --role call --counter "$c" --until-total "$tickets" \
        --every-ms "$counter_ms" --give-up-after-s $((minutes * 60 + 300)) \
        --latency-out "$work/counter$c.txt" >"$work/counter$c.json" &
    pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
end=$(date +%s.%N)
$bin --data "$work/supervisor" journal verify >"$work/verify.txt"

PGPASSWORD=$(cat "$pg/pw") psql -qAt -h 127.0.0.1 -p "${base##*:}" -U loket_owner -d postgres -F ' ' -c "
    SELECT issued_service, COUNT(*), MIN(number), MAX(number) FROM loket.tickets GROUP BY issued_service
    ORDER BY issued_service" >"$work/numbers.txt"

python3 - "$work" "$start" "$end" "$failed" "$tickets" <<'PY'
import glob, sys
work, start, end, failed, tickets = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def pct(xs, q):
    xs = sorted(xs); return xs[min(len(xs) - 1, (len(xs) - 1) * q // 100)]
kiosk = [int(l) for l in open(f"{work}/kiosk.txt")]
calls = [int(l) for f in glob.glob(f"{work}/counter*.txt") for l in open(f)]
every = kiosk + calls
print(f"branch day: 32 counters, a kiosk and the hall display on the branch server, {end - start:.0f} s")
print(f"processes that failed: {failed}")
print(f"tickets issued: {len(kiosk)} of {tickets}")
gaps = 0
for line in open(f"{work}/numbers.txt"):
    service, count, low, high = line.split()
    gap = int(high) - int(low) + 1 - int(count)
    gaps += gap
    print(f"  service {service}: {count} tickets, numbers {low}..{high}, gaps {gap}")
print(f"state changes: {len(every)} ({len(every) / (end - start):.0f}/s)")
for name, xs in (("kiosk issue", kiosk), ("counter call/serve/done", calls), ("all", every)):
    print(f"{name:24} p50 {pct(xs, 50) / 1000:.2f} ms  p99 {pct(xs, 99) / 1000:.2f} ms  max {max(xs) / 1000:.2f} ms")
print(open(f"{work}/verify.txt").read().strip())
pushed = sum(1 for l in open(f"{work}/hall-events.txt") if l.startswith("event: call"))
print(f"calls pushed to the connected hall page: {pushed}")
sys.exit(1 if failed or gaps else 0)
PY
