//! Journal anchors: a day rewritten with every later hash recomputed passes the plain chain check
//! but contradicts the Z report's anchor, a forged timestamp is refused, an anchor made while the TSA
//! is down is stamped later, and a head copied off paper is checked with `--anchor`.

use crate::common::TestBranch;
use crate::common::tsa::serve;
use loket::journal::anchor::{self, AnchorProblem, Head, TokenProblem};
use loket::journal::{GENESIS, entries_of_day, verify};
use loket::money::Rupiah;
use loket::pdf::LocalTsa;
use loket::store::Connection;
use loket::till::CashCount;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

const CLERK: &str = "petugas";

/// Opens counter 1 with Rp200.000, pays out Rp15.000 and closes with the right count: Z nomor 1.
fn day_with_z(t: &mut TestBranch) {
    let b = &mut t.branch;
    b.till()
        .open_till(
            loket::queue::CounterNo(1),
            CLERK,
            &CashCount::parse("100000x2").expect("count"),
        )
        .expect("open");
    b.till()
        .pay_out(
            loket::queue::CounterNo(1),
            CLERK,
            Rupiah::new(15_000),
            "beli kertas struk",
        )
        .expect("pay-out");
    let closed = b
        .till()
        .count_till(
            loket::queue::CounterNo(1),
            CLERK,
            &CashCount::parse("100000x1,50000x1,20000x1,10000x1,5000x1").expect("count"),
        )
        .expect("close");
    assert!(closed.z.is_some(), "closed without a variance: {closed:?}");
}

/// What an insider with the sqlite3 shell does: changes the first entry of `kind` and recomputes
/// every later hash with journal.rs's own function, then the head, so the chain is consistent again.
fn rewrite(c: &Connection, kind: &str) {
    crate::common::unguard(
        c,
        "DROP TRIGGER journal_no_update; DROP TRIGGER journal_no_delete;",
    );
    let day = loket::day::BusinessDay::parse("2026-11-23").expect("day");
    let mut rows = entries_of_day(c, day).expect("rows");
    let at = rows
        .iter()
        .position(|r| r.kind == kind)
        .expect("entry to rewrite");
    let mut detail: serde_json::Value = serde_json::from_str(&rows[at].detail).expect("json");
    detail["catatan"] = "diubah".into();
    rows[at].detail = detail.to_string();
    let mut prev = if at == 0 {
        GENESIS.to_string()
    } else {
        rows[at - 1].hash.clone()
    };
    for row in rows.iter_mut().skip(at) {
        row.prev_hash = prev.clone();
        row.hash = row.computed_hash();
        prev = row.hash.clone();
        c.execute(
            "UPDATE journal SET detail = ?2, prev_hash = ?3, hash = ?4 WHERE seq = ?1",
            loket::params![row.seq, row.detail, row.prev_hash, row.hash],
        )
        .expect("rehash");
    }
    let last = rows.last().expect("rows");
    c.execute(
        "UPDATE journal_head SET seq = ?1, hash = ?2 WHERE id = 1",
        loket::params![last.seq, last.hash],
    )
    .expect("head");
}

fn anchors_of(t: &mut TestBranch) -> anchor::AnchorReport {
    let roots = anchor::roots(t.branch.config(), t.branch.data_dir());
    t.branch
        .store_mut()
        .read(|c| anchor::verify(c, &roots, &[]))
        .expect("verify anchors")
}

#[test]
fn a_recomputed_rewrite_contradicts_the_z_anchor() {
    let mut t = TestBranch::new();
    day_with_z(&mut t);
    let before = anchors_of(&mut t);
    assert_eq!((before.anchors, before.stamped, before.pending), (1, 1, 0));
    assert!(before.intact(), "{before:?}");
    let z_text = t.cli_ok(&["journal", "verify"]);
    assert!(z_text.contains("berjangkar sejak entri #"), "{z_text}");

    // The Z report carries the head it anchored.
    let doc: String = t
        .branch
        .store()
        .conn()
        .query_row("SELECT document FROM z_reports WHERE number = 1", (), |r| {
            r.get(0)
        })
        .expect("z");
    assert!(doc.contains("Jurnal s.d. #"), "{doc}");

    rewrite(t.branch.store().conn(), "till.payout");
    assert!(
        verify(t.branch.store().conn(), None)
            .expect("chain")
            .intact(),
        "the rewrite is consistent: the plain chain check cannot see it"
    );
    let after = anchors_of(&mut t);
    match &after.problem {
        Some(AnchorProblem::Contradicted { reason, .. }) => assert_eq!(reason, "z:1"),
        other => panic!("expected the Z anchor to be contradicted, got {other:?}"),
    }
    let out = t.cli(&["journal", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("Z nomor 1"), "{said}");
}

#[test]
fn the_daily_pack_anchors_and_shows_the_head() {
    let mut t = TestBranch::new();
    day_with_z(&mut t);
    let text = t.cli_ok(&["report", "daily", "--date", "2026-11-23"]);
    let head = t
        .branch
        .store_mut()
        .read(anchor::head)
        .expect("head")
        .expect("some");
    assert!(
        text.contains(&format!("Jangkar jurnal: {}", head.short())),
        "{text}"
    );
    let report = anchors_of(&mut t);
    assert_eq!((report.anchors, report.stamped), (2, 2), "{report:?}");
    // The CSV that leaves with the pack carries a head `journal verify --anchor` takes back.
    let csv_dir = tempfile::tempdir().expect("csv");
    t.cli_ok(&[
        "report",
        "daily",
        "--date",
        "2026-11-23",
        "--csv",
        csv_dir.path().to_str().expect("path"),
    ]);
    let anchor_csv = std::fs::read_dir(csv_dir.path())
        .expect("csv dir")
        .filter_map(Result::ok)
        .find(|e| {
            e.file_name()
                .to_string_lossy()
                .ends_with("-jurnal-jangkar.csv")
        })
        .map(|e| std::fs::read_to_string(e.path()).expect("read"))
        .expect("the anchor file");
    let row = anchor_csv.lines().nth(1).expect("one row").to_string();
    let (entry, hash) = row.split_once(';').expect("entri;hash");
    assert_eq!(hash.len(), 16, "{row}");
    t.cli_ok(&["journal", "verify", "--anchor", &format!("{entry}:{hash}")]);
    // Removing a daily anchor's row (its guard dropped first) is caught, naming the pack.
    {
        let c = t.branch.store().conn();
        crate::common::unguard(c, "DROP TRIGGER journal_anchors_no_delete;");
        c.execute_batch(
            "CREATE TEMP TABLE kept AS SELECT * FROM journal_anchors WHERE reason LIKE 'daily:%';
             DELETE FROM journal_anchors WHERE reason LIKE 'daily:%';",
        )
        .expect("delete the daily anchors");
        let out = t.cli(&["journal", "verify"]);
        let said = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{said}");
        assert!(said.contains("paket harian 2026-11-23"), "{said}");
        // Put them back as they were, for the rest of the test.
        c.execute_batch("INSERT INTO journal_anchors SELECT * FROM kept; DROP TABLE kept;")
            .expect("restore");
    }
    rewrite(t.branch.store().conn(), "journal.anchored");
    let out = t.cli(&["journal", "verify"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("paket harian 2026-11-23"), "{said}");
}

#[test]
fn forged_tokens_are_refused() {
    let mut t = TestBranch::new();
    day_with_z(&mut t);
    let roots = anchor::roots(t.branch.config(), t.branch.data_dir());
    let (head, at_ms, token): (Head, i64, Vec<u8>) = t
        .branch
        .store()
        .conn()
        .query_row(
            "SELECT a.seq, a.hash, j.at_ms, a.tsa_token FROM journal_anchors a JOIN journal j ON j.seq = a.seq",
            (),
            |r| {
                Ok((
                    Head {
                        seq: r.get(0)?,
                        hash: r.get(1)?,
                    },
                    r.get(2)?,
                    r.get(3)?,
                ))
            },
        )
        .expect("anchor");
    assert_eq!(anchor::check_token(&token, &head, at_ms, &roots), Ok(()));

    // The branch's own token over another head.
    let other = Head {
        seq: head.seq,
        hash: "ab".repeat(32),
    };
    assert_eq!(
        anchor::check_token(&token, &other, at_ms, &roots),
        Err(TokenProblem::WrongImprint)
    );

    // The right token, but the entry it anchors claims a time after the token's: a token cannot
    // vouch for an entry written after it was made.
    let real_now_ms = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_millis(),
    )
    .expect("ms");
    assert_eq!(
        anchor::check_token(&token, &head, real_now_ms + 2 * 86_400_000, &roots),
        Err(TokenProblem::TooEarly)
    );

    // One bit of the TSA's signature (the token's last bytes) flipped.
    let mut tampered = token.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    assert_eq!(
        anchor::check_token(&tampered, &head, at_ms, &roots),
        Err(TokenProblem::BadSignature)
    );

    // A token over the right head from a TSA key the branch does not trust.
    let pki = tempfile::tempdir().expect("pki");
    let paths = loket::pdf::pki::generate_training_pki(pki.path(), "Penyusup").expect("pki");
    let foreign = LocalTsa::from_files(&paths.tsa_key, &paths.tsa_chain).expect("tsa");
    let forged = anchor::token_for(&foreign, &head).expect("token");
    assert!(matches!(
        anchor::check_token(&forged, &head, at_ms, &roots),
        Err(TokenProblem::Untrusted { .. })
    ));

    // Put in the database in place of the real one, verify names the Z report.
    let c = t.branch.store().conn();
    crate::common::unguard(c, "DROP TRIGGER journal_anchors_stamp_only;");
    c.execute("UPDATE journal_anchors SET tsa_token = ?1", [&forged])
        .expect("forge");
    let out = t.cli(&["journal", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("Z nomor 1") && said.contains("tidak dipercaya"),
        "{said}"
    );
}

#[test]
fn an_anchor_made_while_the_tsa_is_down_is_stamped_later_and_its_delay_shown() {
    // An RFC 3161 TSA over HTTP on loopback, signing with the branch's own training TSA key (so
    // verify trusts it), down when the Z is made.
    let staging = tempfile::tempdir().expect("pki");
    let pki =
        loket::pdf::pki::generate_training_pki(staging.path(), "Kantor Pos Demo").expect("pki");
    let tsa = LocalTsa::from_files(&pki.tsa_key, &pki.tsa_chain).expect("tsa");
    let down = Arc::new(AtomicBool::new(true));
    let url = serve(tsa, down.clone());
    let mut t = TestBranch::with_config(|text| {
        text.replace(
            "keep_days = 3",
            &format!("keep_days = 3\ntsa_url = \"{url}\""),
        )
    });
    let branch_pki = t.path().join("pki");
    std::fs::create_dir_all(&branch_pki).expect("pki folder");
    for entry in std::fs::read_dir(staging.path()).expect("staged pki") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), branch_pki.join(entry.file_name())).expect("copy pki");
    }
    day_with_z(&mut t);
    let pending = anchors_of(&mut t);
    assert_eq!(
        (pending.anchors, pending.stamped, pending.pending),
        (1, 0, 1)
    );
    assert!(
        pending.intact(),
        "a waiting anchor is not a broken one: {pending:?}"
    );
    assert!(
        anchor::stamp_pending_anchors(&mut t.branch.parts()).is_err(),
        "the TSA is still down"
    );
    let waiting = t.cli_ok(&["journal", "verify"]);
    assert!(
        waiting.contains("jangkar Z nomor 1") && waiting.contains("menunggu stempel waktu TSA"),
        "{waiting}"
    );

    // Two hours later the TSA answers again; the worker's round stamps the anchor.
    t.clock.advance(time::Duration::hours(2));
    down.store(false, Ordering::SeqCst);
    let round = loket::stamping::worker::round(&mut t.branch, false).expect("round");
    assert!(round.errors.is_empty(), "{:?}", round.errors);
    assert_eq!(
        anchor::stamp_pending_anchors(&mut t.branch.parts()).expect("again"),
        0
    );
    let stamped = anchors_of(&mut t);
    assert_eq!((stamped.stamped, stamped.pending), (1, 0));
    assert!(stamped.intact(), "{stamped:?}");
    assert_eq!(stamped.delays.len(), 1, "{stamped:?}");
    let delay = &stamped.delays[0];
    assert_eq!(delay.reason, "z:1");
    assert_eq!(
        delay.stamped_ms.map(|s| s - delay.made_ms),
        Some(2 * 3_600_000)
    );
    let said = t.cli_ok(&["journal", "verify"]);
    assert!(
        said.contains("jangkar Z nomor 1") && said.contains("baru dicap 2 jam setelah dibuat"),
        "{said}"
    );
    // The day's pack says it too, beside its own (promptly stamped) head.
    let pack = t.cli_ok(&["report", "daily", "--date", "2026-11-23"]);
    assert!(pack.contains("Jangkar jurnal: #"), "{pack}");
    assert!(pack.contains("baru dicap 2 jam setelah dibuat"), "{pack}");
    let after = anchors_of(&mut t);
    assert_eq!((after.anchors, after.stamped, after.pending), (2, 2, 0));
}

#[test]
fn the_worker_mails_each_closed_days_pack_once_carrying_its_head() {
    let mut t = TestBranch::with_config(|text| {
        format!("{text}\n[report]\nmail_to = [\"kacab@contoh.test\", \"arsip@contoh.test\"]\n")
    });
    day_with_z(&mut t);
    let same_day = loket::stamping::worker::round(&mut t.branch, false).expect("round");
    assert_eq!(same_day.packs_mailed, 0, "the day is not over yet");
    assert!(
        t.branch
            .delivery()
            .outbox_list()
            .expect("outbox")
            .is_empty()
    );

    t.clock.advance(time::Duration::hours(24));
    let next_day = loket::stamping::worker::round(&mut t.branch, false).expect("round");
    assert!(next_day.errors.is_empty(), "{:?}", next_day.errors);
    assert_eq!(next_day.packs_mailed, 1);
    let outbox = t.branch.delivery().outbox_list().expect("outbox");
    let mut to: Vec<&str> = outbox.iter().map(|e| e.to.as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, ["arsip@contoh.test", "kacab@contoh.test"]);
    // Each carries the PDF and the CSV files, among them the anchored head.
    let documents = outbox[0].documents.to_string();
    assert!(documents.contains("2026-11-23.pdf"), "{documents}");
    assert!(documents.contains("jurnal-jangkar.csv"), "{documents}");
    let daily = t
        .branch
        .store_mut()
        .read(|c| {
            c.query_row(
                "SELECT seq, hash FROM journal_anchors WHERE reason = 'daily:2026-11-23'",
                (),
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
            )
            .map_err(loket::store::StoreError::from)
        })
        .expect("the daily anchor");
    let reports = t.path().join("reports");
    let anchor_csv = walk(&reports)
        .into_iter()
        .find(|p| p.to_string_lossy().ends_with("jurnal-jangkar.csv"))
        .expect("anchor CSV");
    let csv = std::fs::read_to_string(anchor_csv).expect("csv");
    assert!(
        csv.contains(&format!("{};{}", daily.0, &daily.1[..16])),
        "{csv}"
    );
    t.cli_ok(&[
        "journal",
        "verify",
        "--anchor",
        &format!("{}:{}", daily.0, &daily.1[..16]),
    ]);

    // Never twice for the same day, and a day with no one at work (only the worker's own entries)
    // is not mailed.
    let again = loket::stamping::worker::round(&mut t.branch, false).expect("round");
    assert_eq!(again.packs_mailed, 0);
    t.clock.advance(time::Duration::hours(24));
    let idle = loket::stamping::worker::round(&mut t.branch, false).expect("round");
    assert_eq!(idle.packs_mailed, 0);
    assert_eq!(t.branch.delivery().outbox_list().expect("outbox").len(), 2);

    // A typo in the address is refused when the configuration loads, naming the line.
    let text = format!(
        "{}\n[report]\nmail_to = [\"kacab@contoh\"]\n",
        loket::config::DEFAULT_TOML
    );
    let err = loket::config::Config::parse(&text, std::path::Path::new("loket.toml"))
        .expect_err("bad address");
    let line = text.lines().count();
    assert!(
        err.to_string().contains("mail_to")
            && err.to_string().contains(&format!("loket.toml:{line}")),
        "{err}"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn a_head_from_paper_is_checked_with_anchor() {
    let mut t = TestBranch::new();
    for _ in 0..4 {
        t.branch
            .queue()
            .issue_ticket("A", false, "dispenser")
            .expect("issue");
    }
    let head = t
        .branch
        .store_mut()
        .read(anchor::head)
        .expect("head")
        .expect("some");
    let claim = format!("{}:{}", head.seq, &head.hash[..16]);
    let ok = t.cli_ok(&["journal", "verify", "--anchor", &claim]);
    assert!(ok.contains("1 jangkar yang diberikan cocok"), "{ok}");

    rewrite(t.branch.store().conn(), "ticket.issued");
    assert!(
        verify(t.branch.store().conn(), None)
            .expect("chain")
            .intact()
    );
    let out = t.cli(&["journal", "verify", "--anchor", &claim]);
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("jangkar yang diberikan"), "{said}");

    let bad = t.cli(&["journal", "verify", "--anchor", "12:xyz"]);
    assert_ne!(bad.status.code(), Some(0));
}
