//! The printer over TCP on loopback: a virtual network printer, a hung one, one that goes away.

use std::net::{SocketAddr, TcpListener};

use loket_drivers::{
    PrintError, Printer, PrinterSettings, TcpSettings, TransportError, VirtualConfig,
    VirtualPrinter, VirtualState, serve_tcp,
};

use crate::{JOB, job_text, options};

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn settings(addr: SocketAddr) -> PrinterSettings {
    let mut s = TcpSettings::new(addr.ip().to_string());
    s.port = addr.port();
    s.connect_timeout_ms = 500;
    s.write_timeout_ms = 500;
    PrinterSettings::Tcp(s)
}

#[test]
fn a_network_printer_prints_jobs_over_one_connection() {
    let vp = VirtualPrinter::new(VirtualConfig::in_memory(384)).expect("virtual printer");
    let server = serve_tcp(vp, loopback()).expect("listens");
    let mut printer =
        Printer::from_settings(&settings(server.addr()), options()).expect("settings");
    printer.print(JOB).expect("first");
    printer.print(JOB).expect("second");
    let jobs = server
        .printer()
        .wait_for_jobs(2, std::time::Duration::from_secs(5));
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[1].text, job_text());
}

#[test]
fn a_printer_that_accepts_but_never_answers_times_out() {
    // A bare listener: the kernel completes the connection, nobody ever reads or writes.
    let listener = TcpListener::bind(loopback()).expect("binds");
    let mut printer =
        Printer::from_settings(&settings(listener.local_addr().expect("addr")), options())
            .expect("ok");
    let err = printer.print(JOB).expect_err("no answer");
    assert!(
        matches!(err, PrintError::Timeout { sent: false }),
        "{err:?}"
    );
    assert!(err.user_message().starts_with("Printer tidak menjawab"));
}

#[test]
fn a_printer_that_hangs_after_a_job_times_out_on_the_next() {
    let vp = VirtualPrinter::new(VirtualConfig::in_memory(384)).expect("virtual printer");
    let server = serve_tcp(vp, loopback()).expect("listens");
    let mut printer =
        Printer::from_settings(&settings(server.addr()), options()).expect("settings");
    printer.print(JOB).expect("prints while healthy");
    server.printer().set_state(VirtualState::Unresponsive);
    let err = printer.print(JOB).expect_err("hung");
    assert!(
        matches!(err, PrintError::Timeout { sent: false }),
        "{err:?}"
    );
}

#[test]
fn a_printer_that_went_away_is_reported_and_found_again() {
    let vp = VirtualPrinter::new(VirtualConfig::in_memory(384)).expect("virtual printer");
    let server = serve_tcp(vp.clone(), loopback()).expect("listens");
    let addr = server.addr();
    let mut printer = Printer::from_settings(&settings(addr), options()).expect("settings");
    printer.print(JOB).expect("prints");
    server.stop();
    let err = printer.print(JOB).expect_err("gone");
    assert!(
        matches!(
            err,
            PrintError::Disconnected { sent: false }
                | PrintError::Unavailable {
                    sent: false,
                    source: TransportError::NoDevice
                }
        ),
        "{err:?}"
    );
    let _back = serve_tcp(vp.clone(), addr).expect("listens again on the same port");
    printer.print(JOB).expect("prints after it came back");
    assert_eq!(
        vp.wait_for_jobs(2, std::time::Duration::from_secs(5)).len(),
        2
    );
}

#[test]
fn nothing_listening_is_no_device() {
    let free = TcpListener::bind(loopback())
        .expect("binds")
        .local_addr()
        .expect("addr");
    // The listener is dropped: the port refuses connections.
    let mut printer = Printer::from_settings(&settings(free), options()).expect("settings");
    let err = printer.print(JOB).expect_err("refused");
    assert!(
        matches!(
            err,
            PrintError::Unavailable {
                sent: false,
                source: TransportError::NoDevice
            }
        ),
        "{err:?}"
    );
}
