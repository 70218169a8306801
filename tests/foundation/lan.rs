//! Several PCs for real: the branch server (PostgreSQL 15 over TLS) in one network namespace, two
//! counter PCs and the ticket kiosk in three others, joined by a bridge on 10.77.0.0/24. A counter's
//! cable is pulled while its payment holds the branch's write lock, and PostgreSQL is stopped while
//! the kiosk issues: the other PCs go on, nothing half-done is kept, the payment goes through once
//! when the cable is back, and no ticket number is lost or given twice.
//!
//! Network namespaces need root, as the test command runs on the CI machine.

use crate::common::loket_bin;
use serde_json::Value;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = crate::common::pg::BIN;
const SERVER_IP: &str = "10.77.0.1";

/// The namespaces, the bridge and the server; torn down by a watcher when the test process ends.
struct Lan {
    tag: String,
    dir: PathBuf,
    password: String,
    _watcher: Child,
}

/// A shell on the real clock. The year-ahead pass runs this test under libfaketime; the branch
/// server keeps the machine's time (PostgreSQL's own timeouts, which free the lock of a PC that lost
/// its cable, do not fire under libfaketime), and the PCs, still on the shifted clock, follow it.
fn real_clock(cmd: &mut Command) -> &mut Command {
    cmd.env_remove("LD_PRELOAD")
        .env_remove("FAKETIME")
        .env_remove("FAKETIME_DONT_FAKE_MONOTONIC")
}

fn sh(script: &str) -> Output {
    real_clock(Command::new("sh").arg("-c").arg(script))
        .output()
        .expect("run sh")
}

fn must(script: &str) -> String {
    let out = sh(script);
    assert!(
        out.status.success(),
        "{script}\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Lan {
    fn ns(&self, pc: &str) -> String {
        format!("{}{pc}", self.tag)
    }

    fn start() -> Lan {
        assert_eq!(
            must("id -u"),
            "0",
            "network namespaces need root: run the test command as root (the CI machine does)"
        );
        let tag = format!("lk{}", std::process::id() % 100_000);
        let dir = std::env::temp_dir().join(format!("loket-lan-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("the LAN's folder");
        let password = format!("{:x}", std::process::id() * 7919);
        // The watcher first: whatever happens below, the server stops and the namespaces go.
        let watcher = real_clock(&mut Command::new("sh"))
            .arg("-c")
            .arg(format!(
                "cat >/dev/null; ip netns exec {tag}s runuser -u postgres -- {BIN}/pg_ctl -D {d}/data \
                 -m immediate stop >/dev/null 2>&1; for n in s a b d; do ip netns del {tag}$n 2>/dev/null; done; \
                 rm -rf {d}",
                d = dir.display()
            ))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start the LAN's watcher");
        let lan = Lan {
            tag,
            dir,
            password,
            _watcher: watcher,
        };
        let t = &lan.tag;
        let mut script = format!(
            "set -e
             for n in s a b d; do ip netns add {t}$n; ip -n {t}$n link set lo up; done
             ip -n {t}s link add br0 type bridge
             ip -n {t}s addr add {SERVER_IP}/24 dev br0
             ip -n {t}s link set br0 up
            "
        );
        for (pc, host) in [("a", 2), ("b", 3), ("d", 4)] {
            script.push_str(&format!(
                "ip link add {t}{pc}0 type veth peer name {t}{pc}1
                 ip link set {t}{pc}0 netns {t}s
                 ip link set {t}{pc}1 netns {t}{pc}
                 ip -n {t}s link set {t}{pc}0 master br0 up
                 ip -n {t}{pc} addr add 10.77.0.{host}/24 dev {t}{pc}1
                 ip -n {t}{pc} link set {t}{pc}1 up
                "
            ));
        }
        must(&script);
        // The server: its own cluster inside the server's namespace, on the bridge and loopback.
        let d = lan.dir.display();
        let password = &lan.password;
        must(&format!(
            "set -e
             printf '%s\\n' '{password}' > {d}/pw
             chown -R postgres:postgres {d}
             runuser -u postgres -- {BIN}/initdb -D {d}/data -U loket_owner -E UTF8 --locale=C \
                 --auth-local=trust --auth-host=scram-sha-256 --pwfile={d}/pw >/dev/null
             echo 'hostssl all all 10.77.0.0/24 scram-sha-256' >> {d}/data/pg_hba.conf
             ip netns exec {t}s runuser -u postgres -- {BIN}/pg_ctl -D {d}/data -l {d}/log -w -t 60 \
                 start -o \"-p 5432 -k {d} -c listen_addresses='127.0.0.1,{SERVER_IP}' -c fsync=on\" >/dev/null"
        ));
        lan
    }

    /// Runs `psql` as the owner inside the server's namespace.
    fn psql(&self, sql: &str) -> String {
        must(&format!(
            "ip netns exec {ns} env PGPASSWORD={pw} psql -qAt -h 127.0.0.1 -U loket_owner -d postgres -c \"{sql}\"",
            ns = self.ns("s"),
            pw = self.password
        ))
    }

    /// `loket ARGS` on PC `pc` with data folder `data`.
    fn loket(&self, pc: &str, data: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.ns(pc)])
            .arg(loket_bin())
            .arg("--data")
            .arg(data)
            .args(args)
            .env_remove("LOKET_STORE")
            .env_remove("LOKET_DATA")
            .env_remove("LOKET_LANG")
            .env_remove(loket::clock::FAKE_NOW_VAR);
        cmd
    }

    fn run(&self, pc: &str, data: &Path, args: &[&str]) -> (bool, String) {
        let out = self
            .loket(pc, data, args)
            .output()
            .expect("run loket in its namespace");
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }

    fn ok(&self, pc: &str, data: &Path, args: &[&str]) -> String {
        let (ok, said) = self.run(pc, data, args);
        assert!(ok, "loket {args:?} on PC {pc}: {said}");
        said.trim().to_string()
    }

    fn cable(&self, pc: &str, plugged: bool) {
        must(&format!(
            "ip -n {ns} link set {ns}1 {}",
            if plugged { "up" } else { "down" },
            ns = self.ns(pc)
        ));
    }

    fn server(&self, running: bool) {
        let d = self.dir.display();
        if running {
            must(&format!(
                "ip netns exec {ns} runuser -u postgres -- {BIN}/pg_ctl -D {d}/data -l {d}/log -w -t 60 \
                 start -o \"-p 5432 -k {d} -c listen_addresses='127.0.0.1,{SERVER_IP}' -c fsync=on\" >/dev/null",
                ns = self.ns("s")
            ));
        } else {
            must(&format!(
                "ip netns exec {ns} runuser -u postgres -- {BIN}/pg_ctl -D {d}/data -m fast -w stop >/dev/null",
                ns = self.ns("s")
            ));
        }
    }
}

#[test]
fn a_cable_pulled_mid_payment_and_a_server_restart_lose_nothing_and_give_no_number_twice() {
    let lan = Lan::start();
    // `server init` on the server itself, over loopback; the PCs' lines name it on the LAN.
    let setup = tempfile::tempdir().expect("temp dir");
    let tls = setup.path().join("tls");
    let owner = format!(
        "postgresql://loket_owner:{}@127.0.0.1:5432/postgres",
        lan.password
    );
    let printed = lan.ok(
        "s",
        setup.path(),
        &[
            "server",
            "init",
            &owner,
            "--branch",
            "40000",
            "--tls-dir",
            &tls.display().to_string(),
            "--host",
            SERVER_IP,
        ],
    );
    let url = |kind: &str| -> String {
        printed
            .lines()
            .filter_map(|l| l.strip_prefix("url = \""))
            .map(|u| u.trim_end_matches('"').to_string())
            .find(|u| u.starts_with(&format!("postgresql://loket_40000_{kind}:")))
            .unwrap_or_else(|| panic!("no {kind} line in: {printed}"))
    };
    assert!(
        url("counter").contains(&format!("@{SERVER_IP}:5432/")),
        "{printed}"
    );
    // TLS on, with the certificate server init made (as the technician sets it up).
    let d = lan.dir.display();
    must(&format!(
        "set -e; cp {t}/server.crt {t}/server.key {d}/; chown postgres:postgres {d}/server.crt {d}/server.key; \
         chmod 600 {d}/server.key",
        t = tls.display()
    ));
    lan.psql(&format!(
        "ALTER SYSTEM SET ssl_cert_file = '{d}/server.crt'"
    ));
    lan.psql(&format!("ALTER SYSTEM SET ssl_key_file = '{d}/server.key'"));
    lan.psql("ALTER SYSTEM SET ssl = on");
    lan.psql("SELECT pg_reload_conf()");

    let ca = tls.join("branch-ca.pem");
    let kiosk = crate::common::server_pc(&url("dispenser"), "", Some(&ca));
    let counter1 = crate::common::server_pc(&url("counter"), "", Some(&ca));
    let counter2 = crate::common::server_pc(&url("counter"), "", Some(&ca));
    for n in 1..=3 {
        let said = lan.ok("d", kiosk.path(), &["queue", "issue", "A"]);
        assert!(said.contains(&format!("A-00{n}")), "{said}");
    }
    assert_eq!(
        lan.psql("SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE NOT s.ssl AND a.client_addr IS NOT NULL AND a.client_addr <> '127.0.0.1'"),
        "0",
        "no PC talks to the server unencrypted"
    );

    // Counter 1 rings up a stamp; its cable is pulled while the payment holds the write lock. To
    // catch it there, the server holds the sale's row for three seconds (a supervisor's session
    // reading it FOR UPDATE), so the payment waits inside its transaction.
    let sale = lan.ok("a", counter1.path(), &["sale", "new", "--counter", "1"]);
    lan.ok(
        "a",
        counter1.path(),
        &["sale", "add", &sale, "meterai", "1"],
    );
    let mut holder = real_clock(&mut Command::new("sh"))
        .arg("-c")
        .arg(format!(
            "ip netns exec {ns} env PGPASSWORD={pw} psql -qAt -h 127.0.0.1 -U loket_owner -d postgres \
             -c 'BEGIN; SELECT id FROM loket.sales WHERE id = {sale} FOR UPDATE; SELECT pg_sleep(3); COMMIT;'",
            ns = lan.ns("s"),
            pw = lan.password
        ))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("hold the sale's row");
    let pay = [
        "sale",
        "pay",
        &sale,
        "--debit",
        "10000",
        "--approval",
        "812345",
        "--last4",
        "4321",
    ];
    let waited = Instant::now();
    while lan.psql("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(3)%' AND state = 'active' AND pid <> pg_backend_pid()") != "1" {
        assert!(waited.elapsed() < Duration::from_secs(20), "the row was never held");
        std::thread::sleep(Duration::from_millis(20));
    }
    let started = Instant::now();
    let paying = lan
        .loket("a", counter1.path(), &pay)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the payment");
    let mut locked = false;
    while started.elapsed() < Duration::from_secs(3) {
        if lan.psql(
            "SELECT count(DISTINCT pid) FROM pg_locks WHERE locktype = 'advisory' AND granted",
        ) == "1"
        {
            locked = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(locked, "the payment never took the branch's write lock");
    lan.cable("a", false);
    let out = paying.wait_with_output().expect("the payment ends");
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !out.status.success(),
        "a payment without its server cannot succeed: {said}"
    );
    assert!(said.contains("Server cabang tidak terjangkau"), "{said}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the clerk is told within a minute, not after TCP's own timeouts"
    );

    // Meanwhile the rest of the branch goes on: the abandoned lock is freed by the server.
    let said = lan.ok("d", kiosk.path(), &["queue", "issue", "A"]);
    assert!(said.contains("A-004"), "{said}");
    let said = lan.ok("b", counter2.path(), &["queue", "status"]);
    assert!(said.contains("Surat dan Paket"), "{said}");

    // Nothing of the cut payment was kept; with the cable back it goes through, once.
    let show = |pc: &str, data: &Path| -> Value {
        let text = lan.ok(pc, data, &["sale", "show", &sale, "--json"]);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    };
    let before = show("b", counter2.path());
    assert_eq!(before["status"], "open", "{before}");
    let _ = holder.wait();
    lan.cable("a", true);
    lan.ok("a", counter1.path(), &pay);
    let after = show("b", counter2.path());
    assert_eq!(after["status"], "paid", "{after}");
    assert_eq!(
        lan.psql("SELECT count(*) FROM loket.payments WHERE kind = 'payment'"),
        "1",
        "one payment, not two"
    );

    // PostgreSQL stops: the kiosk gives no number it could not record; back up, numbering goes on.
    lan.server(false);
    let (ok, said) = lan.run("d", kiosk.path(), &["queue", "issue", "A"]);
    assert!(!ok, "no number without the server: {said}");
    assert!(said.contains("tidak terjangkau"), "{said}");
    lan.server(true);
    let said = lan.ok("d", kiosk.path(), &["queue", "issue", "A"]);
    assert!(
        said.contains("A-005"),
        "no number lost or given twice: {said}"
    );
    assert_eq!(
        lan.psql(
            "SELECT count(*) || ' ' || count(DISTINCT number) || ' ' || max(number) FROM loket.tickets"
        ),
        "5 5 5"
    );
    let said = lan.ok("b", counter2.path(), &["journal", "verify"]);
    assert!(said.starts_with("Jurnal utuh"), "{said}");
}
