//! The printer over a real pseudo-terminal pair, the virtual printer answering on the other end.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use loket_drivers::{
    PrintError, Printer, PrinterSettings, SerialSettings, SerialTransport, Transport,
    VirtualConfig, VirtualPrinter, VirtualState, serve_pty,
};

use crate::{JOB, job_text, options};

fn pty_printer() -> (loket_drivers::PtyPrinter, Printer) {
    let vp = VirtualPrinter::new(VirtualConfig::in_memory(384)).expect("virtual printer");
    let pty = serve_pty(vp).expect("pty pair");
    let settings = PrinterSettings::Serial(SerialSettings::new(pty.path().to_string_lossy()));
    let printer = Printer::from_settings(&settings, options()).expect("settings are valid");
    (pty, printer)
}

#[test]
fn a_job_prints_and_status_is_read_before_and_after() {
    let (pty, mut printer) = pty_printer();
    let printed = printer.print(JOB).expect("prints");
    assert!(printed.warnings.is_empty());
    assert!(printed.status.is_some_and(|s| s.online));
    let jobs = pty.printer().jobs();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].text, job_text());
    assert!(jobs[0].complete);
    // Two rounds of DLE EOT 1, 2, 4 and the job itself.
    assert_eq!(pty.printer().bytes_received(), (JOB.len() + 18) as u64);
}

#[test]
fn paper_running_out_in_the_middle_of_a_job_is_reported_after_it() {
    let (pty, mut printer) = pty_printer();
    pty.printer().run_out_of_paper_after(30);
    let err = printer.print(JOB).expect_err("paper ran out");
    assert!(
        matches!(err, PrintError::PaperOut { sent: true }),
        "{err:?}"
    );
    assert!(err.user_message().contains("cetak ulang"));
    let jobs = pty.printer().jobs();
    assert_eq!(jobs.len(), 1);
    assert!(!jobs[0].complete);
    assert!(
        jobs[0].text.ends_with("[KERTAS HABIS]\n"),
        "{}",
        jobs[0].text
    );
    // New roll: the status before the next job is fine and the reprint comes out whole.
    assert!(matches!(
        printer.print(JOB),
        Err(PrintError::PaperOut { sent: false })
    ));
    pty.printer().set_state(VirtualState::Ok);
    printer.print(JOB).expect("reprint");
    assert_eq!(pty.printer().jobs()[1].text, job_text());
}

#[test]
fn cover_opened_before_a_job_sends_nothing() {
    let (pty, mut printer) = pty_printer();
    pty.printer().set_state(VirtualState::CoverOpen);
    let err = printer.print(JOB).expect_err("cover open");
    assert!(
        matches!(err, PrintError::CoverOpen { sent: false }),
        "{err:?}"
    );
    assert!(pty.printer().jobs().is_empty());
    // Only the three status requests crossed the line.
    assert_eq!(pty.printer().bytes_received(), 9);
}

#[test]
fn paper_near_end_prints_with_a_warning() {
    let (pty, mut printer) = pty_printer();
    pty.printer().set_state(VirtualState::PaperNearEnd);
    let printed = printer.print(JOB).expect("prints");
    assert_eq!(printed.warnings, [loket_drivers::Warning::PaperNearEnd]);
    assert_eq!(pty.printer().jobs().len(), 1);
}

#[test]
fn unplugged_then_plugged_back_on_a_new_port_reopens() {
    // The "device" is re-created on a new pty, as a USB serial adapter gets a new ttyUSB after
    // a replug; the factory finds the current path each time it opens.
    let vp = VirtualPrinter::new(VirtualConfig::in_memory(384)).expect("virtual printer");
    let first = serve_pty(vp.clone()).expect("pty pair");
    let current: Arc<Mutex<PathBuf>> = Arc::new(Mutex::new(first.path().to_path_buf()));
    let path = current.clone();
    let mut printer = Printer::new(
        move || {
            let p = path.lock().expect("test lock").clone();
            let t = SerialTransport::open(&SerialSettings::new(p.to_string_lossy()))?;
            Ok(Box::new(t) as Box<dyn Transport>)
        },
        options(),
    );
    printer.print(JOB).expect("first job");
    first.stop();
    let err = printer.print(JOB).expect_err("unplugged");
    assert!(
        matches!(
            err,
            PrintError::Disconnected { sent: false }
                | PrintError::Unavailable {
                    sent: false,
                    source: loket_drivers::TransportError::NoDevice
                }
        ),
        "{err:?}"
    );
    let second = serve_pty(vp.clone()).expect("pty pair");
    *current.lock().expect("test lock") = second.path().to_path_buf();
    printer.print(JOB).expect("prints after replug");
    assert_eq!(vp.jobs().len(), 2);
}

#[test]
fn serial_settings_are_validated() {
    let mut s = SerialSettings::new("/dev/null");
    s.data_bits = 9;
    assert!(matches!(
        SerialTransport::open(&s),
        Err(loket_drivers::TransportError::Protocol(_))
    ));
    let missing = SerialSettings::new("/dev/ttyLOKET-missing");
    assert!(matches!(
        SerialTransport::open(&missing),
        Err(loket_drivers::TransportError::NoDevice)
    ));
}
