//! loket's Peruri path against the reference fake (`tests/peruri_ref/fake_peruri.py`): a separate
//! program written from `shared/reference/emeterai.md` alone, whose reply shapes vary the way the
//! reference documents them, whose adapter signs with pyHanko (RFC 3161 tokens with milliseconds,
//! PDFs older than 1.6 re-copied into 1.7) and whose faults are those of the real service. The
//! fake keeps its own ledger; every test compares loket's books with it.

use crate::common::{TestBranch, loket_bin, rfc3339};
use crate::stamping::support::paid_job;
use loket::Branch;
use loket::stamping::service::JobView;
use loket::stamping::{State, worker};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tempfile::TempDir;

const PYTHON: &str = "/opt/loket-venv/bin/python";
pub const USER: &str = "loket@kantorpos.test";
pub const PASSWORD: &str = "rahasia";

/// The reference fake, running on loopback with its own shared folder and state.
pub struct Reference {
    child: Child,
    pub port: u16,
    pub root_pem: PathBuf,
    pub share: TempDir,
    pub state: TempDir,
    http: reqwest::blocking::Client,
}

impl Reference {
    /// Starts the fake with a seed for its reply shapes.
    pub fn start(seed: u64) -> Reference {
        let share = tempfile::tempdir().expect("share");
        let state = tempfile::tempdir().expect("state");
        for dir in ["UNSIGNED", "SIGNED", "STAMP"] {
            std::fs::create_dir_all(share.path().join(dir)).expect("share folder");
        }
        let (child, port, root_pem) = spawn(share.path(), state.path(), seed, 0);
        Reference {
            child,
            port,
            root_pem,
            share,
            state,
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `POST /_control`: faults, outage, reply shapes.
    pub fn control(&self, body: Value) -> Value {
        let reply = self
            .http
            .post(format!("{}/_control", self.url()))
            .json(&body)
            .send()
            .expect("control");
        assert!(reply.status().is_success(), "control {body}: {reply:?}");
        reply.json().expect("control reply")
    }

    /// The fake's own ledger: SNs issued and their status, quota used, requests per route.
    pub fn ledger(&self) -> Value {
        self.http
            .get(format!("{}/_ledger", self.url()))
            .send()
            .expect("ledger")
            .json()
            .expect("ledger json")
    }

    pub fn requests(&self, route: &str) -> u64 {
        self.ledger()["requests"][route].as_u64().unwrap_or(0)
    }

    /// Kills the fake (SIGKILL) and starts it again on the same state and port, as Peruri comes
    /// back after a crash with every SN it issued.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (child, port, root_pem) = spawn(self.share.path(), self.state.path(), 0, self.port);
        self.child = child;
        self.port = port;
        self.root_pem = root_pem;
    }

    /// The `[stamping.peruri]` section pointing every service at the fake, trusting its root.
    pub fn config_section(&self) -> String {
        let url = self.url();
        format!(
            "\n[stamping.peruri]\nuser = \"{USER}\"\npassword = \"{PASSWORD}\"\nbackend_url = \"{url}\"\n\
             stampv2_url = \"{url}\"\nfileupload_url = \"{url}\"\nstampservice_url = \"{url}\"\n\
             adapter_url = \"{url}\"\nshared_folder = \"{}\"\nroot_certs = [\"{}\"]\nretries = 1\n\
             backoff_base_ms = 5\nbackoff_max_ms = 20\nbreaker_cooldown_ms = 1\ntimeout_ms = 3000\n\
             connect_timeout_ms = 1000\nstamp_timeout_ms = 30000\n",
            self.share.path().display(),
            self.root_pem.display()
        )
    }

    /// A demo branch stamping through this fake.
    pub fn branch(&self) -> TestBranch {
        let section = self.config_section();
        TestBranch::with_config(|text| {
            text.replace("provider = \"local\"", "provider = \"peruri\"") + &section
        })
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(share: &Path, state: &Path, seed: u64, port: u16) -> (Child, u16, PathBuf) {
    assert!(
        Path::new(PYTHON).exists(),
        "{PYTHON} is missing: run `bash .ci/install.d/pdf.sh` (it creates the pyHanko venv)"
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peruri_ref/fake_peruri.py");
    let mut child = Command::new(PYTHON)
        .arg(script)
        .args(["--port", &port.to_string(), "--seed", &seed.to_string()])
        .arg("--share")
        .arg(share)
        .arg("--state")
        .arg(state)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the reference fake");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("first line");
    let hello: Value = serde_json::from_str(line.trim()).expect("the fake's first line is json");
    let port = u16::try_from(hello["port"].as_u64().expect("port")).expect("port fits");
    let root = PathBuf::from(hello["root_pem"].as_str().expect("root_pem"));
    (child, port, root)
}

/// One run of `job`, as the counter or `loket job run` does it.
fn run(b: &mut Branch, job: i64) -> JobView {
    b.stamping()
        .run_job(loket::stamping::JobId(job), &mut |_| {})
        .expect("run job")
}

/// SNs the fake issued, by status.
fn issued(r: &Reference) -> Vec<(String, String)> {
    r.ledger()["issued"]
        .as_array()
        .expect("issued")
        .iter()
        .map(|e| {
            (
                e["sn"].as_str().unwrap_or_default().to_string(),
                e["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The stamped output of `job`, verified against the fake's root: valid, trusted, carrying its SN
/// and a timestamp.
fn assert_trusted_output(b: &mut Branch, r: &Reference, job: &JobView) {
    let out = b.stamping().job_output(job.id).expect("output");
    let bytes = std::fs::read(&out.path).expect("stored output");
    let roots = loket::pdf::load_roots(&r.root_pem).expect("root");
    let report = loket::pdf::verify_pdf_with_roots(&bytes, None, &roots).expect("verify");
    let last = report.signatures.last().expect("a signature");
    assert!(last.valid, "{last:?}");
    assert_eq!(last.trusted, Some(true), "{last:?}");
    assert_eq!(last.serial.as_deref(), job.sn.as_deref());
}

#[test]
fn every_documented_reply_shape_stamps_and_reconciles() {
    for (seed, shapes) in [
        (1, "documented"),
        (2, "random"),
        (3, "random"),
        (4, "random"),
    ] {
        let r = Reference::start(seed);
        r.control(json!({"shapes": shapes}));
        let mut t = r.branch();
        let jobs: Vec<JobView> = (0..3).map(|n| paid_job(&mut t.branch, n)).collect();
        for job in &jobs {
            let v = run(&mut t.branch, job.id.get());
            assert_eq!(v.state, State::Stamped, "{shapes}/{seed}: {}", v.message);
            assert_trusted_output(&mut t.branch, &r, &v);
        }
        let rec = t.branch.stamping().reconcile_serials().expect("reconcile");
        assert!(
            rec.discrepancies.is_empty(),
            "{shapes}/{seed}: {:?}",
            rec.discrepancies
        );
        let sns = issued(&r);
        assert_eq!(sns.len(), 3, "{sns:?}");
        assert!(sns.iter().all(|(_, s)| s == "STAMP"), "{sns:?}");
    }
}

#[test]
fn an_outage_while_customers_pay_leaves_every_job_waiting_and_all_stamp_when_peruri_returns() {
    let r = Reference::start(7);
    r.control(json!({"list_shape": "documented"}));
    let mut t = r.branch();
    r.control(json!({"outage": true}));
    let jobs: Vec<JobView> = (0..10).map(|n| paid_job(&mut t.branch, n)).collect();
    for job in &jobs {
        let v = run(&mut t.branch, job.id.get());
        assert_eq!(v.state, State::Paid, "{}", v.message);
        assert!(v.next_attempt_ms.is_some(), "scheduled: {v:?}");
    }
    let open = t
        .branch
        .stamping()
        .jobs(&loket::stamping::service::JobFilter::OpenPaid)
        .expect("open");
    assert_eq!(open.len(), 10, "every paid customer is listed");
    let line = worker::waiting_line(&mut t.branch)
        .expect("line")
        .expect("something waits");
    assert!(line.starts_with("10 dokumen menunggu e-Meterai"), "{line}");
    // From the command line too: the job waits and the customer's claim receipt is printed.
    let ran = t.cli_ok(&["job", "run", &jobs[0].id.to_string()]);
    assert!(
        ran.contains("tanda terima klaim") && ran.contains("Tanda terima klaim"),
        "{ran}"
    );

    // Peruri returns. The worker honours each job's next attempt: nothing is due yet.
    r.control(json!({"outage": false}));
    let early = worker::round(&mut t.branch, false).expect("round");
    assert_eq!(early.attempted, 0, "{early:?}");
    // Two hours later every job is due, and every one is stamped, each with its own SN.
    t.clock.advance(time::Duration::seconds(2 * 3600));
    let later = worker::round(&mut t.branch, false).expect("round");
    assert_eq!(later.stamped, 10, "{later:?}");
    let sns = issued(&r);
    assert_eq!(sns.len(), 10, "one SN per paid job: {sns:?}");
    assert!(sns.iter().all(|(_, s)| s == "STAMP"), "{sns:?}");
    assert_eq!(r.ledger()["quota_used"], 10);
    assert!(worker::waiting_line(&mut t.branch).expect("line").is_none());
    let rec = t.branch.stamping().reconcile_serials().expect("reconcile");
    assert!(rec.discrepancies.is_empty(), "{:?}", rec.discrepancies);
}

#[test]
fn a_lost_sn_reply_is_found_in_the_documented_list_and_never_drawn_twice() {
    for kind in ["drop_after", "garbage"] {
        let r = Reference::start(11);
        r.control(json!({"list_shape": "documented"}));
        let mut t = r.branch();
        let job = paid_job(&mut t.branch, 1);
        r.control(json!({"faults": [{"route": "sn", "kind": kind, "times": 1}]}));
        let mut v = run(&mut t.branch, job.id.get());
        if v.state != State::Stamped {
            // The reply was lost for good this run: the job waits, never fails.
            assert!(v.state.is_unfinished(), "{kind}: {}", v.message);
            t.clock.advance(time::Duration::seconds(3600));
            v = run(&mut t.branch, job.id.get());
        }
        assert_eq!(v.state, State::Stamped, "{kind}: {}", v.message);
        let sns = issued(&r);
        assert_eq!(
            sns.len(),
            1,
            "{kind}: the SN issued before the reply was lost is used"
        );
        assert_eq!(Some(sns[0].0.as_str()), v.sn.as_deref());
    }
}

#[test]
fn an_expired_token_at_the_adapter_is_renewed_in_the_body_too() {
    let r = Reference::start(13);
    let mut t = r.branch();
    let job = paid_job(&mut t.branch, 1);
    // The fake checks the body's jwToken: a renewal that reached only the header fails again.
    r.control(json!({"faults": [{"route": "sign", "kind": "token_expired", "times": 1}]}));
    let v = run(&mut t.branch, job.id.get());
    assert_eq!(v.state, State::Stamped, "{}", v.message);
    assert!(r.requests("login") >= 2, "a fresh login after 95");
    // Tokens that really expire: every call after the lifetime needs a new one.
    r.control(json!({"token_lifetime_s": 1}));
    let second = paid_job(&mut t.branch, 2);
    std::thread::sleep(Duration::from_millis(1_500));
    let v = run(&mut t.branch, second.id.get());
    assert_eq!(v.state, State::Stamped, "{}", v.message);
}

#[test]
fn an_sn_used_with_no_output_is_held_for_a_person_and_claimable() {
    let r = Reference::start(17);
    let mut t = r.branch();
    let job = paid_job(&mut t.branch, 1);
    r.control(json!({"faults": [{"route": "sign", "kind": "sn_used", "times": 1}]}));
    let v = run(&mut t.branch, job.id.get());
    assert_eq!(v.state, State::Held, "{}", v.message);
    assert!(v.message.contains("keputusan supervisor"), "{}", v.message);
    let sn = issued(&r)[0].0.clone();
    let claims = t
        .branch
        .store_mut()
        .read(|c| loket::stamping::ledger::claims(c).map_err(loket::store::StoreError::from))
        .expect("claims");
    assert!(
        claims
            .iter()
            .any(|c| c.sn == sn && c.job_id == Some(job.id.get())),
        "{claims:?}"
    );
    // The worker leaves a held job alone: no loop of 96s.
    let signs = r.requests("sign");
    t.clock.advance(time::Duration::seconds(3600));
    let round = worker::round(&mut t.branch, true).expect("round");
    assert_eq!(round.attempted, 0, "{round:?}");
    assert_eq!(r.requests("sign"), signs);
    let open = t
        .branch
        .stamping()
        .jobs(&loket::stamping::service::JobFilter::OpenPaid)
        .expect("open");
    assert_eq!(open.len(), 1, "listed for the supervisor");
    let listed = t.cli_ok(&["job", "list", "--unfinished"]);
    assert!(listed.contains("menunggu keputusan supervisor"), "{listed}");

    // The supervisor decides from the command line: a wrong PIN changes nothing; the right one
    // gives a new serial at no charge, and the job is stamped at once.
    loket::users::add(
        t.branch.store_mut(),
        "system",
        "kepala",
        "Kepala Kantor",
        loket::users::Role::Supervisor,
        "9999",
    )
    .expect("supervisor");
    let id = job.id.to_string();
    let wrong = t.cli(&[
        "job",
        "settle",
        &id,
        "--new-serial",
        "--supervisor",
        "kepala",
        "--pin",
        "0000",
        "--reason",
        "SN terpakai tanpa hasil",
    ]);
    assert_eq!(wrong.status.code(), Some(1));
    assert_eq!(
        t.branch.stamping().job(job.id).expect("job").state,
        State::Held
    );
    let settled = t.cli_ok(&[
        "job",
        "settle",
        &id,
        "--new-serial",
        "--supervisor",
        "kepala",
        "--pin",
        "9999",
        "--reason",
        "SN terpakai tanpa hasil",
    ]);
    assert!(settled.contains("bermeterai"), "{settled}");
    let v = t.branch.stamping().job(job.id).expect("job");
    assert_eq!(v.state, State::Stamped, "{}", v.message);
    assert_ne!(v.sn.as_deref(), Some(sn.as_str()), "a new serial");
    assert_eq!(issued(&r).len(), 2);
}

#[test]
fn the_adapters_finished_output_is_used_after_a_lost_reply_or_a_crash() {
    let r = Reference::start(19);
    let mut t = r.branch();
    let job = paid_job(&mut t.branch, 1);
    // The adapter signs and writes the output, and the reply never arrives.
    r.control(json!({"faults": [{"route": "sign", "kind": "drop_after", "times": 1}]}));
    let v = run(&mut t.branch, job.id.get());
    assert_eq!(v.state, State::Stamped, "{}", v.message);
    assert_trusted_output(&mut t.branch, &r, &v);
    assert_eq!(r.ledger()["stamped"].as_array().map(Vec::len), Some(1));
    // Nothing of it stays in the shared folder once stored.
    for dir in ["UNSIGNED", "SIGNED", "STAMP"] {
        let left: Vec<_> = std::fs::read_dir(r.share.path().join(dir))
            .expect("folder")
            .collect();
        assert!(left.is_empty(), "{dir}: {left:?}");
    }
}

#[test]
fn a_pdf_older_than_1_6_is_sent_as_1_7_and_the_output_contains_it() {
    let r = Reference::start(23);
    let mut t = r.branch();
    let old = crate::stamping::support::letter_in_version(5, "1.4");
    let job = crate::stamping::support::paid_job_of(&mut t.branch, old.clone(), "lama.pdf");
    let v = run(&mut t.branch, job.id.get());
    assert_eq!(v.state, State::Stamped, "{}", v.message);
    let out = t.branch.stamping().job_output(v.id).expect("output");
    let bytes = std::fs::read(&out.path).expect("stored output");
    let upgraded = loket::pdf::upgraded_to_1_7(&old).expect("1.4 is upgraded");
    assert!(
        bytes.starts_with(&upgraded),
        "the output holds the document as sent"
    );
    assert_trusted_output(&mut t.branch, &r, &v);
}

#[test]
fn an_output_that_does_not_chain_to_the_configured_root_waits_and_is_kept() {
    let r = Reference::start(29);
    // The branch trusts another root (its own training CA), not the fake's.
    let section = r.config_section().replace(
        &format!("root_certs = [\"{}\"]", r.root_pem.display()),
        "root_certs = [\"pki/ca.pem\"]",
    );
    let mut t = TestBranch::with_config(|text| {
        text.replace("provider = \"local\"", "provider = \"peruri\"") + &section
    });
    // The training CA exists once the local PKI is made (`loket init` does it on a real branch).
    loket::pdf::pki::generate_training_pki(&t.path().join("pki"), "Cabang").expect("pki");
    let job = paid_job(&mut t.branch, 1);
    let v = run(&mut t.branch, job.id.get());
    assert_eq!(v.state, State::SerialIssued, "{}", v.message);
    assert!(v.message.contains("sertifikat akar"), "{}", v.message);
    assert_eq!(r.requests("sign"), 1);
    // The supervisor configures the right root; the kept output is used, not signed again.
    let config = t.path().join(loket::config::FILE_NAME);
    let text = std::fs::read_to_string(&config).expect("config").replace(
        "root_certs = [\"pki/ca.pem\"]",
        &format!("root_certs = [\"{}\"]", r.root_pem.display()),
    );
    std::fs::write(&config, text).expect("config");
    loket::stamping::service::forget_provider(t.path());
    let mut reopened = t.reopen();
    t.clock.advance(time::Duration::seconds(3600));
    let v = run(&mut reopened, job.id.get());
    assert_eq!(v.state, State::Stamped, "{}", v.message);
    assert_eq!(r.requests("sign"), 1, "signed once");
}

/// `loket worker` for the branch in `data`, its clock at `now`.
fn start_worker(data: &Path, now: time::OffsetDateTime) -> Child {
    Command::new(loket_bin())
        .arg("--data")
        .arg(data)
        .arg("worker")
        .env(loket::clock::FAKE_NOW_VAR, rfc3339(now))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start loket worker")
}

fn kill(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// The worst day end to end: 200 paid jobs, Peruri's every fault, Peruri down for two (simulated)
/// hours in the middle and killed once, and `loket worker` killed with SIGKILL at random moments.
/// Afterwards every paid job is stamped or held for a person with its reason; every SN Peruri
/// issued is on a stamped document or in the claims; Peruri's quota, loket's SN ledger, the money
/// and the daily pack agree; the journal is intact.
#[test]
fn the_worst_day_every_paid_job_ends_stamped_or_with_a_person() {
    const JOBS: u32 = 200;
    let mut rng = fastrand::Rng::with_seed(41);
    let mut r = Reference::start(41);
    r.control(json!({"shapes": "random"}));
    let t = r.branch();
    let mut b = t.reopen();
    let ids: Vec<loket::stamping::JobId> = (0..JOBS).map(|n| paid_job(&mut b, n).id).collect();
    let faults = json!([
        {"route": "sn", "kind": "drop_after", "times": 3},
        {"route": "sn", "kind": "garbage", "times": 2},
        {"route": "sn", "kind": "http500", "times": 2},
        {"route": "sn", "kind": "hang", "seconds": 4, "times": 1},
        {"route": "sn_list", "kind": "garbage", "times": 2},
        {"route": "login", "kind": "http503_retry_after", "times": 1},
        {"route": "sign", "kind": "drop_after", "times": 3},
        {"route": "sign", "kind": "token_expired", "times": 2},
        {"route": "sign", "kind": "error97", "times": 2},
        {"route": "sign", "kind": "error92", "times": 1},
        {"route": "sign", "kind": "sn_used", "times": 1},
        {"route": "sign", "kind": "slow", "seconds": 2, "times": 2},
    ]);
    r.control(json!({ "faults": faults }));
    let unfinished = |b: &mut Branch| {
        b.stamping()
            .jobs(&loket::stamping::service::JobFilter::Unfinished)
            .expect("jobs")
            .len()
    };
    let mut now = crate::common::MORNING;
    // The morning: the worker runs and is killed at random moments, three times.
    for _ in 0..3 {
        let w = start_worker(t.path(), now);
        std::thread::sleep(Duration::from_millis(rng.u64(800..2_500)));
        kill(w);
        now += time::Duration::minutes(15);
    }
    // Peruri goes down while the worker runs, and is killed itself.
    r.control(json!({"outage": true}));
    let w = start_worker(t.path(), now);
    std::thread::sleep(Duration::from_millis(1_500));
    kill(w);
    r.restart();
    // Two hours later Peruri is back; the worker is killed once more on the way.
    now += time::Duration::hours(2);
    let w = start_worker(t.path(), now);
    std::thread::sleep(Duration::from_millis(rng.u64(1_000..3_000)));
    kill(w);
    now += time::Duration::minutes(15);
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    while unfinished(&mut b) > 0 && std::time::Instant::now() < deadline {
        // Each start resumes every unfinished job; the clock moves so every backoff is due.
        let w = start_worker(t.path(), now);
        let round_end = std::time::Instant::now() + Duration::from_secs(60);
        while unfinished(&mut b) > 0 && std::time::Instant::now() < round_end {
            std::thread::sleep(Duration::from_millis(200));
        }
        kill(w);
        now += time::Duration::minutes(30);
    }

    // Every paid job is stamped, or held for a person with its reason.
    let jobs: Vec<JobView> = ids
        .iter()
        .map(|id| {
            b.stamping()
                .job(loket::stamping::JobId((*id).get()))
                .expect("job")
        })
        .collect();
    let stamped: Vec<&JobView> = jobs.iter().filter(|j| j.state == State::Stamped).collect();
    let held: Vec<&JobView> = jobs.iter().filter(|j| j.state == State::Held).collect();
    assert_eq!(
        stamped.len() + held.len(),
        JOBS as usize,
        "{:?}",
        jobs.iter()
            .filter(|j| !matches!(j.state, State::Stamped | State::Held))
            .map(|j| (j.id, j.state, j.last_error.clone()))
            .collect::<Vec<_>>()
    );
    assert!(held.iter().all(|j| j.last_error.is_some()), "{held:?}");
    // Only the 96 without an output needs a person. A worker killed between sending that request
    // and reading its 96 never hears it: the next one signs again and is stamped, so no job or one.
    assert!(held.len() <= 1, "{held:?}");
    for j in &held {
        let why = j.last_error.as_deref().unwrap_or_default();
        assert!(why.contains("sudah terpakai"), "held for the 96: {why}");
    }
    let left = r.control(json!({}));
    assert_eq!(
        left["faults"].as_array().map(Vec::len),
        Some(0),
        "every fault was met: {left}"
    );

    // Peruri's ledger against loket's: every SN issued is on a document or claimable.
    let ledger = r.ledger();
    let fake_sns: Vec<(String, String)> = issued(&r);
    let claims = b
        .store_mut()
        .read(|c| loket::stamping::ledger::claims(c).map_err(loket::store::StoreError::from))
        .expect("claims");
    let on_documents: std::collections::HashSet<&str> =
        stamped.iter().filter_map(|j| j.sn.as_deref()).collect();
    assert_eq!(on_documents.len(), stamped.len(), "one SN per stamped job");
    for (sn, status) in &fake_sns {
        let claimed = claims.iter().any(|c| &c.sn == sn);
        assert!(
            on_documents.contains(sn.as_str()) || claimed,
            "SN {sn} ({status}) issued by Peruri is neither on a document nor in the claims"
        );
        if on_documents.contains(sn.as_str()) {
            assert_eq!(status, "STAMP", "{sn}");
        }
    }
    assert_eq!(
        fake_sns.len(),
        stamped.len() + claims.len(),
        "SNs issued = on documents + claimable"
    );
    assert_eq!(ledger["quota_used"].as_u64(), Some(fake_sns.len() as u64));
    for job in &stamped {
        assert_trusted_output(&mut b, &r, job);
    }

    // The money: every job was paid once, nothing refunded.
    let paid: i64 = b
        .store_mut()
        .read(|c| {
            c.query_row(
                "SELECT COALESCE(SUM(l.quantity * l.unit_price), 0) FROM sale_lines l JOIN sales s ON s.id = l.sale
                 WHERE s.status = 'paid' AND l.job IS NOT NULL",
                (),
                |row| row.get(0),
            )
            .map_err(loket::store::StoreError::from)
        })
        .expect("paid");
    assert_eq!(paid, i64::from(JOBS) * 10_000);

    // The daily pack says the same.
    let day = loket::day::BusinessDay::of(crate::common::MORNING, b.store().timezone());
    let pack = b.reports().daily(day).expect("pack");
    assert_eq!(
        usize::try_from(pack.stamps.used).expect("a count"),
        stamped.len()
    );
    assert_eq!(pack.stamps.waiting_jobs, 0);
    assert_eq!(
        usize::try_from(pack.stamps.held_jobs).expect("a count"),
        held.len()
    );
    assert_eq!(pack.stamps.awaiting_claim.len(), claims.len());
    let verify = t.cli(&["journal", "verify"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
}

/// Each documented call (§4 login, §5 jenisdoc, §6 SN, §9 saldopos, SN status and SN list) read in
/// every reply shape the reference fake draws, seed after seed.
#[test]
fn every_documented_call_reads_every_reply_shape() {
    use loket::stamping::peruri::PeruriProvider;
    use loket::stamping::provider::{ListFilter, Provider, SerialState};
    for seed in 0..12u64 {
        let r = Reference::start(seed);
        r.control(json!({"shapes": if seed == 0 { "documented" } else { "random" }}));
        let mut cfg = loket::config::PeruriConfig::new(USER, &r.url());
        cfg.password = Some(PASSWORD.into());
        cfg.shared_folder = Some(r.share.path().to_path_buf());
        let p = PeruriProvider::isolated(cfg).expect("provider");

        let types = p.document_types().expect("jenisdoc");
        assert_eq!(
            r.requests("jenisdoc"),
            1,
            "seed {seed}: asked, not the built-in list"
        );
        assert!(
            types
                .iter()
                .any(|t| t.kode == "3" && t.nama == "Surat Pernyataan"),
            "seed {seed}: {types:?}"
        );
        let before = p.quota().expect("saldopos");
        let issued = p
            .issue_serial_once(&super::issue_request(u32::try_from(seed).expect("small")))
            .expect("sn");
        assert!(
            issued.stamp_image.is_some(),
            "seed {seed}: on-prem SN comes with its image"
        );
        let after = p.quota().expect("saldopos");
        assert_eq!(after.remaining + 1, before.remaining, "seed {seed}");
        assert_eq!(after.not_stamped, before.not_stamped + 1, "seed {seed}");
        let status = p.serial_status(&issued.sn).expect("status");
        assert_eq!(status.state, SerialState::NotStamped, "seed {seed}");
        let page = p
            .list_serials(&ListFilter {
                state: Some(SerialState::NotStamped),
                start: 0,
                length: 10,
            })
            .expect("list");
        assert_eq!(page.total, 1, "seed {seed}");
        assert_eq!(page.items[0].sn, issued.sn, "seed {seed}");
        let unknown = p.serial_status("AAAAAAAAAAAAAAAAAAAAAA").expect("status");
        assert!(
            matches!(unknown.state, SerialState::Unknown(_)),
            "seed {seed}: {unknown:?}"
        );
    }
}

/// Property: whatever the reply shapes and whatever faults Peruri throws in whatever order, every
/// paid job ends stamped or held for a person, and every SN Peruri issued is on a document or in
/// the claims (none lost, none counted twice).
mod schedules {
    use super::*;
    use proptest::prelude::*;

    const FAULTS: &[(&str, &str)] = &[
        ("sn", "drop_after"),
        ("sn", "garbage"),
        ("sn", "http500"),
        ("sn", "http503_retry_after"),
        ("sn_list", "garbage"),
        ("sn_list", "http500"),
        ("login", "http500"),
        ("sign", "drop_after"),
        ("sign", "token_expired"),
        ("sign", "error97"),
        ("sign", "error92"),
        ("sign", "sn_used"),
        ("sign", "garbage"),
        ("sign", "http500"),
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]
        #[test]
        fn every_paid_job_ends_stamped_or_with_a_person(
            seed in 0u64..1_000,
            faults in proptest::collection::vec(0..FAULTS.len(), 1..7),
            jobs in 2u32..5,
        ) {
            let r = Reference::start(seed);
            r.control(json!({"shapes": "random"}));
            let schedule: Vec<Value> = faults
                .iter()
                .map(|i| json!({"route": FAULTS[*i].0, "kind": FAULTS[*i].1}))
                .collect();
            r.control(json!({ "faults": schedule }));
            let mut t = r.branch();
            let ids: Vec<loket::stamping::JobId> = (0..jobs).map(|n| paid_job(&mut t.branch, n).id).collect();
            for id in &ids {
                let _ = t.branch.stamping().run_job(loket::stamping::JobId((*id).get()), &mut |_| {}).expect("run");
            }
            for _ in 0..12 {
                let open = t
                    .branch
                    .stamping().jobs(&loket::stamping::service::JobFilter::Unfinished)
                    .expect("jobs");
                if open.is_empty() {
                    break;
                }
                t.clock.advance(time::Duration::hours(1));
                worker::round(&mut t.branch, false).expect("round");
            }
            let views: Vec<JobView> = ids.iter().map(|id| t.branch.stamping().job(loket::stamping::JobId((*id).get())).expect("job")).collect();
            for v in &views {
                prop_assert!(
                    matches!(v.state, State::Stamped | State::Held),
                    "job {} {:?}: {:?} (faults {schedule:?})", v.id, v.state, v.last_error
                );
            }
            let claims = t
                .branch
                .store_mut()
                .read(|c| loket::stamping::ledger::claims(c).map_err(loket::store::StoreError::from))
                .expect("claims");
            let on_documents: Vec<&str> = views
                .iter()
                .filter(|v| v.state == State::Stamped)
                .filter_map(|v| v.sn.as_deref())
                .collect();
            let fake = issued(&r);
            for (sn, _) in &fake {
                prop_assert!(
                    on_documents.contains(&sn.as_str()) || claims.iter().any(|c| &c.sn == sn),
                    "SN {sn} neither on a document nor claimable (faults {schedule:?})"
                );
            }
            prop_assert_eq!(fake.len(), on_documents.len() + claims.len());
        }
    }
}

/// An SN Peruri issued for a request whose reply came after loket had looked for it and asked
/// again (a late reply): reconcile names it and puts it in the claims list, once.
#[test]
fn a_late_issued_orphan_sn_goes_to_the_claims_list() {
    use loket::stamping::peruri::PeruriProvider;
    use loket::stamping::provider::Provider;
    let r = Reference::start(37);
    r.control(json!({"list_shape": "documented"}));
    let mut t = r.branch();
    let job = paid_job(&mut t.branch, 1);
    let v = run(&mut t.branch, job.id.get());
    assert_eq!(v.state, State::Stamped, "{}", v.message);
    // Peruri carries out a request of that job's that loket no longer waits for (its first
    // request id, answered after loket had looked and asked again).
    let mut cfg = loket::config::PeruriConfig::new(USER, &r.url());
    cfg.password = Some(PASSWORD.into());
    cfg.shared_folder = Some(r.share.path().to_path_buf());
    let mut request = super::issue_request(77);
    request.request_id = format!("J{}-1-late0reply", job.id);
    let late = PeruriProvider::isolated(cfg)
        .expect("provider")
        .issue_serial_once(&request)
        .expect("late sn");
    let rec = t.branch.stamping().reconcile_serials().expect("reconcile");
    assert!(
        rec.discrepancies
            .iter()
            .any(|d| d.contains(&late.sn) && d.contains("klaim")),
        "{:?}",
        rec.discrepancies
    );
    let claims = t
        .branch
        .store_mut()
        .read(|c| loket::stamping::ledger::claims(c).map_err(loket::store::StoreError::from))
        .expect("claims");
    assert!(
        claims.iter().any(|c| c.sn == late.sn && c.job_id.is_none()),
        "{claims:?}"
    );
    // Known now: the next reconcile agrees with Peruri.
    let again = t.branch.stamping().reconcile_serials().expect("reconcile");
    assert!(again.discrepancies.is_empty(), "{:?}", again.discrepancies);
}
