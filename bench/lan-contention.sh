#!/usr/bin/env bash
# The 8-process contention benchmark (4 dispensers issuing, 4 counters calling, serving and
# finishing) with the branch server on another "PC": the eight processes in a network namespace of
# their own, PostgreSQL 15 (fsync on, schema and roles by `loket server init`) outside it, the two
# joined by a veth pair. Three runs in one go:
#   - loopback: the eight processes beside the server (the reference);
#   - LAN: across the veth pair, no added latency;
#   - LAN + 1 ms: across the veth pair with every answer of the server held 1 ms, as
#     `tc qdisc add dev <server's interface> root netem delay 1ms` would. This kernel has no netem
#     qdisc, so bench/delay-line.c (a TCP relay in the PCs' namespace, one epoll loop, built here
#     with cc) holds the bytes instead.
# Runs as root (namespaces).   bash bench/lan-contention.sh [TICKETS_PER_DISPENSER] [DELAY_MS] [PACE_MS]
# PACE_MS as in bench/queue-contention.sh: 0 saturates the branch, 16 offers it 1,000 changes/s.
set -euo pipefail
cd "$(dirname "$0")/.."
per=${1:-400}
delay=${2:-1}
pace=${3:-0}
total=$((per * 4))
cargo build --release --quiet --bin loket
bin=$(realpath "${CARGO_TARGET_DIR:-target}/release/loket")
work=$(mktemp -d /var/tmp/loket-lan.XXXXXX)
pg=$(mktemp -d /tmp/loket-lan-pg.XXXXXX)
ns=loket-lan-$$
relays=()
cleanup() {
    for r in "${relays[@]}"; do kill "$r" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
    ip link del lk-srv-$$ 2>/dev/null || true
    .ci/pg-cluster stop "$pg"
    rm -rf "$work"
}
trap cleanup EXIT

# The server, listening on loopback and on the server's end of the veth pair.
base=$(.ci/pg-cluster start "$pg")
port=${base##*:}
ip netns add "$ns"
ip link add lk-srv-$$ type veth peer name lk-pc-$$
ip link set lk-pc-$$ netns "$ns"
ip addr add 10.77.0.1/24 dev lk-srv-$$
ip link set lk-srv-$$ up
ip netns exec "$ns" ip addr add 10.77.0.2/24 dev lk-pc-$$
ip netns exec "$ns" ip link set lk-pc-$$ up
ip netns exec "$ns" ip link set lo up
echo "host all all 10.77.0.0/24 scram-sha-256" >>"$pg/data/pg_hba.conf"
runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$pg/data" -l "$pg/log" -w -t 60 restart \
    -o "-p $port -k $pg -c listen_addresses=127.0.0.1,10.77.0.1 -c fsync=on -c max_connections=400" >/dev/null

$bin --data "$work/setup" server init "$base/postgres" --branch 40000 >"$work/server-init.txt"
url=$(grep -m1 '^url = "postgresql://loket_40000_counter:' "$work/server-init.txt" | sed 's/^url = "//; s/"$//')

# The PCs reach the server through a relay on their own loopback (plaintext stays on one machine;
# the relay carries it across the veth pair): one without delay, one holding the server's answers.
relay() {
    local listen=$1 hold=$2
    ip netns exec "$ns" "$work/delay-line" "$listen" "10.77.0.1:$port" "$hold" >"$work/relay-$hold.out" &
    relays+=($!)
    for _ in $(seq 50); do grep -q ready "$work/relay-$hold.out" 2>/dev/null && return; sleep 0.1; done
    echo "the relay did not start" >&2
    exit 1
}
cc -O2 -o "$work/delay-line" bench/delay-line.c
relay 127.0.0.1:6001 0
relay 127.0.0.1:6002 "$delay"

# One run of the eight processes ($2: the command prefix that places them) on the store $3, the
# branch in folder $1; latencies into $1/*.txt.
contend() {
    local d=$1 place=$2 store=$3
    LOKET_STORE="$store" $place $bin --data "$d" init >/dev/null
    local start end pids=()
    start=$(date +%s.%N)
    for s in 1 2 3 4; do
        LOKET_STORE="$store" $place $bin --data "$d" dev stress --role issue --count "$per" --seed "$s" --every-ms "$pace" \
            --latency-out "$d/issue$s.txt" >"$d/out-i$s.json" &
        pids+=($!)
    done
    for c in 1 2 3 4; do
        LOKET_STORE="$store" $place $bin --data "$d" dev stress --role call --counter "$c" --until-total "$total" \
            --latency-out "$d/call$c.txt" >"$d/out-c$c.json" &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p"; done
    end=$(date +%s.%N)
    LOKET_STORE="$store" $place $bin --data "$d" journal verify >/dev/null
    echo "$start $end" >"$d/span"
}

# Each run on a database of its own, made by `loket server init` like the first.
fresh_db() {
    local name=$1
    psql -qAt "$base/postgres" -c "CREATE DATABASE $name" >/dev/null
    $bin --data "$work/setup-$name" server init "$base/$name" --branch "b$name" >"$work/init-$name.txt"
}
# The counter role's URL from a `server init` output ($1), pointed at the relay on port $2.
relayed() {
    grep -m1 '^url = "postgresql://loket_[a-z0-9_]*_counter:' "$1" | sed 's/^url = "//; s/"$//' |
        sed -E "s#@127\.0\.0\.1:[0-9]+/#@127.0.0.1:$2/#"
}
loop_url=$url
fresh_db lan
lan_url=$(relayed "$work/init-lan.txt" 6001)
fresh_db slow
slow_url=$(relayed "$work/init-slow.txt" 6002)

contend "$work/loop" "" "$loop_url"
contend "$work/lan" "ip netns exec $ns" "$lan_url"
contend "$work/slow" "ip netns exec $ns" "$slow_url"

python3 - "$work" "$delay" <<'PY'
import sys, glob
work, delay = sys.argv[1], sys.argv[2]
def pct(xs, q):
    xs = sorted(xs); return xs[min(len(xs) - 1, (len(xs) - 1) * q // 100)]
rates = {}
for name, label in (("loop", "loopback (reference)"), ("lan", "across namespaces, no added latency"),
                    ("slow", f"across namespaces, server's answers held {delay} ms")):
    d = f"{work}/{name}"
    start, end = map(float, open(f"{d}/span").read().split())
    every = [int(l) for f in glob.glob(f"{d}/*.txt") for l in open(f)]
    rates[name] = len(every) / (end - start)
    print(f"== {label}")
    print(f"state changes: {len(every)} in {end - start:.2f} s = {rates[name]:.0f}/s (8 processes)")
    print(f"all p50 {pct(every, 50)/1000:.2f} ms  p99 {pct(every, 99)/1000:.2f} ms  max {max(every)/1000:.2f} ms")
print(f"throughput ÷ loopback: LAN {rates['lan']/rates['loop']:.2f}x, LAN + {delay} ms {rates['slow']/rates['loop']:.2f}x")
PY
