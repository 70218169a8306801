//! The device-file transport on a real file, and the virtual printer reading captured output.

use loket_drivers::{
    FileSettings, FileTransport, PrintError, Printer, PrinterOptions, PrinterSettings, StatusMode,
    Transport, TransportError, VirtualConfig, interpret_file,
};

use crate::{JOB, job_text};

#[test]
fn a_one_way_device_file_gets_the_job_and_the_virtual_printer_reads_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("lp0");
    std::fs::write(&path, b"").expect("create");
    let options = PrinterOptions {
        status: StatusMode::None,
        status_timeout_ms: 50,
    };
    let mut printer =
        Printer::from_settings(&PrinterSettings::File(FileSettings::new(&path)), options)
            .expect("ok");
    printer.print(JOB).expect("sent");
    printer.print(JOB).expect("sent");
    assert_eq!(
        std::fs::read(&path).expect("read back"),
        [JOB, JOB].concat()
    );

    let out = dir.path().join("out");
    let jobs =
        interpret_file(&path, VirtualConfig::writing_to(384, out.clone())).expect("interprets");
    assert_eq!(jobs.len(), 2);
    assert_eq!(
        std::fs::read_to_string(out.join("0002.txt")).expect("job file"),
        job_text()
    );
}

#[test]
fn status_on_a_file_that_never_answers_times_out() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("lp0");
    std::fs::write(&path, b"").expect("create");
    let mut printer = Printer::from_settings(
        &PrinterSettings::File(FileSettings::new(&path)),
        PrinterOptions {
            status: StatusMode::DleEot,
            status_timeout_ms: 50,
        },
    )
    .expect("ok");
    assert!(matches!(
        printer.print(JOB),
        Err(PrintError::Timeout { sent: false })
    ));
    let quiet = dir.path().join("quiet");
    std::fs::write(&quiet, b"").expect("create");
    let mut t = FileTransport::open(&FileSettings::new(&quiet)).expect("opens");
    let mut buf = [0u8; 1];
    assert!(matches!(
        t.read(&mut buf, std::time::Duration::from_millis(10)),
        Err(TransportError::Timeout)
    ));
    assert!(matches!(
        FileTransport::open(&FileSettings::new(dir.path().join("missing"))),
        Err(TransportError::NoDevice)
    ));
}
