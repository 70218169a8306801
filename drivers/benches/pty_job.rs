//! Benchmark: a ticket-sized job (~600 bytes) to the virtual printer over a pty pair, status read before and after.
//!
//! Prints p50/p99 of per-job latency from a fixed number of jobs, then runs criterion on the same
//! path. The reference is the same job through the in-process virtual transport (no kernel, no
//! thread hop), so the ratio is the cost of the serial link itself.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use loket_drivers::{
    Printer, PrinterOptions, PrinterSettings, SerialSettings, TcpSettings, VirtualConfig,
    VirtualPrinter, serve_pty, serve_tcp,
};

/// A queue ticket as loket sends it on 80 mm paper, without a logo: about 600 bytes.
fn ticket_job() -> Vec<u8> {
    let mut j = Vec::new();
    j.extend_from_slice(
        b"\x1b@\x1bt\x13\x1ba\x01\x1bE\x01POS INDONESIA\n\x1bE\x00KCU Bandung 40000\n",
    );
    j.extend_from_slice(b"Jl. Asia Afrika No. 49, Bandung\n\x1ba\x00");
    j.extend_from_slice(&[b'-'; 48]);
    j.extend_from_slice(
        b"\n\x1ba\x01\x1bE\x01NOMOR ANTREAN\n\x1bd\x01\x1d!\x33A-007\n\x1d!\x00\x1bd\x01",
    );
    j.extend_from_slice(b"\x1d!\x01Meterai Elektronik\n\x1d!\x00\x1bE\x00\x1ba\x00");
    j.extend_from_slice(&[b'-'; 48]);
    j.extend_from_slice(b"\n");
    for (label, value) in [
        (&b"Tanggal"[..], &b"Jumat, 20 November 2026"[..]),
        (b"Jam", b"09:14 WIB"),
        (b"Antrean di depan Anda", b"12"),
        (b"Perkiraan tunggu", b"\xf1 10-20 menit"),
    ] {
        let pad = 48 - label.len() - value.len();
        j.extend_from_slice(label);
        j.extend(std::iter::repeat_n(b' ', pad));
        j.extend_from_slice(value);
        j.push(b'\n');
    }
    j.extend_from_slice(&[b'-'; 48]);
    j.extend_from_slice(b"\n\x1ba\x01Mohon tunggu sampai nomor Anda dipanggil. Tiket\nhanya berlaku hari ini.\n\x1bd\x01");
    let url = b"https://loket.example/antrean/KCU40000/A-007";
    j.extend_from_slice(b"\x1d(k\x04\x001A2\x00\x1d(k\x03\x001C\x04\x1d(k\x03\x001E1");
    j.extend_from_slice(&[
        0x1D,
        b'(',
        b'k',
        u8::try_from(url.len() + 3).expect("a short address"),
        0,
        49,
        80,
        48,
    ]);
    j.extend_from_slice(url);
    j.extend_from_slice(
        b"\x1d(k\x03\x001Q0Pindai untuk melihat posisi antrean\n\x1bd\x04\x1dVB\x00",
    );
    j
}

/// The printer as a device: no PNG drawing, which a real printer does not do on loket's time.
fn bench_config() -> VirtualConfig {
    VirtualConfig {
        pictures: false,
        ..VirtualConfig::in_memory(576)
    }
}

fn options() -> PrinterOptions {
    PrinterOptions {
        status_timeout_ms: 1000,
        ..PrinterOptions::default()
    }
}

fn percentiles(name: &str, printer: &mut Printer, job: &[u8], runs: usize) -> (Duration, Duration) {
    for _ in 0..50 {
        printer.print(job).expect("warm-up job prints");
    }
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            printer.print(job).expect("job prints");
            start.elapsed()
        })
        .collect();
    times.sort();
    let p50 = times[runs / 2];
    let p99 = times[runs * 99 / 100];
    println!(
        "{name}: {runs} jobs of {} bytes, p50 {p50:?}, p99 {p99:?}",
        job.len()
    );
    (p50, p99)
}

fn pty_printer() -> (loket_drivers::PtyPrinter, Printer) {
    let vp = VirtualPrinter::new(bench_config()).expect("virtual printer");
    let pty = serve_pty(vp).expect("pty pair");
    let settings = PrinterSettings::Serial(SerialSettings::new(pty.path().to_string_lossy()));
    let printer = Printer::from_settings(&settings, options()).expect("settings");
    (pty, printer)
}

fn report() {
    let job = ticket_job();
    let runs = 1000;
    let (_pty, mut pty_printer) = pty_printer();
    let (pty50, pty99) = percentiles(
        "pty (serial) to virtual printer",
        &mut pty_printer,
        &job,
        runs,
    );

    let vp = VirtualPrinter::new(bench_config()).expect("virtual printer");
    let tcp = serve_tcp(vp, SocketAddr::from(([127, 0, 0, 1], 0))).expect("listens");
    let mut s = TcpSettings::new("127.0.0.1");
    s.port = tcp.addr().port();
    let mut tcp_printer =
        Printer::from_settings(&PrinterSettings::Tcp(s), options()).expect("settings");
    percentiles(
        "tcp loopback to virtual printer",
        &mut tcp_printer,
        &job,
        runs,
    );

    let vp = VirtualPrinter::new(bench_config()).expect("virtual printer");
    let mut in_process = Printer::virtual_in_process(vp);
    let (ref50, ref99) = percentiles(
        "reference: in-process virtual transport",
        &mut in_process,
        &job,
        runs,
    );
    println!(
        "ratio pty/reference: p50 {:.1}x, p99 {:.1}x",
        pty50.as_secs_f64() / ref50.as_secs_f64(),
        pty99.as_secs_f64() / ref99.as_secs_f64()
    );
}

fn bench(c: &mut Criterion) {
    let job = ticket_job();
    let (_pty, mut printer) = pty_printer();
    c.bench_function("ticket job over pty with status before and after", |b| {
        b.iter(|| printer.print(black_box(&job)).expect("prints"))
    });
    let vp = VirtualPrinter::new(bench_config()).expect("virtual printer");
    let mut in_process = Printer::virtual_in_process(vp);
    c.bench_function("reference: ticket job in process", |b| {
        b.iter(|| in_process.print(black_box(&job)).expect("prints"))
    });
}

criterion_group!(benches, bench);

fn main() {
    report();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
