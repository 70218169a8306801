//! The HTTP timestamp authority client against a loopback HTTP server that answers with the
//! in-process training TSA's tokens; a TSA outage makes the job wait, not fail.

use super::support::paid_job;
use crate::common::TestBranch;
use crate::common::tsa::serve;
use loket::pdf::LocalTsa;
use loket::stamping::State;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[test]
fn stamps_carry_a_timestamp_from_the_http_tsa_and_wait_while_it_is_down() {
    let pki_dir = tempfile::tempdir().expect("pki");
    let paths = loket::pdf::pki::generate_training_pki(pki_dir.path(), "TSA Uji").expect("pki");
    let tsa = LocalTsa::from_files(&paths.tsa_key, &paths.tsa_chain).expect("tsa");
    let down = Arc::new(AtomicBool::new(true));
    let url = serve(tsa, down.clone());
    let mut t = TestBranch::with_config(|text| {
        text.replace(
            "keep_days = 3",
            &format!("keep_days = 3\ntsa_url = \"{url}\""),
        )
    });
    let b = &mut t.branch;
    let job = paid_job(b, 9);
    let waiting = b.stamping().run_job(job.id, &mut |_| {}).expect("run");
    assert_eq!(waiting.state, State::SerialIssued, "{}", waiting.message);
    assert!(waiting.message.contains("gangguan"), "{}", waiting.message);
    down.store(false, Ordering::SeqCst);
    let done = b.stamping().run_job(job.id, &mut |_| {}).expect("run");
    assert_eq!(done.state, State::Stamped, "{}", done.message);
    let out = b.stamping().job_output(job.id).expect("output");
    let report = loket::pdf::verify_pdf(&std::fs::read(out.path).expect("file"), None, None)
        .expect("verify");
    assert!(report.all_valid());
    assert_eq!(report.signatures[0].timestamp_valid, Some(true));
    assert!(report.signatures[0].timestamp_time.is_some());
    loket::stamping::service::forget_provider(t.path());
}
