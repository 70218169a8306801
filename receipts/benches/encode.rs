//! Benchmark: encoding a 40-line sale receipt to ESC/POS (target below 1 ms), against the `escpos` crate alone; and QR slips.

use std::cell::RefCell;
use std::hint::black_box;
use std::rc::Rc;

use criterion::{Criterion, criterion_group, criterion_main};
use escpos::driver::Driver;
use escpos::printer::Printer;
use escpos::printer_options::PrinterOptions;
use escpos::utils::{PageCode, Protocol};
use loket_receipts::{
    Kind, Line, Profile, encode, layout, preview, sample, sample_forty_line_sale,
};

#[derive(Clone, Default)]
struct Sink(Rc<RefCell<Vec<u8>>>);

impl Driver for Sink {
    fn name(&self) -> String {
        "sink".into()
    }
    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        self.0.borrow_mut().extend_from_slice(data);
        Ok(())
    }
    fn read(&self, _buf: &mut [u8]) -> escpos::errors::Result<usize> {
        Ok(0)
    }
    fn flush(&self) -> escpos::errors::Result<()> {
        Ok(())
    }
}

fn bench(c: &mut Criterion) {
    let doc = sample_forty_line_sale();
    let profile = Profile::mm80_48();
    let lines: Vec<String> = layout(&doc, &profile)
        .expect("lays out")
        .into_iter()
        .filter_map(|l| match l {
            Line::Text { runs, .. } => Some(runs.into_iter().map(|r| r.text).collect()),
            _ => None,
        })
        .collect();
    assert_eq!(lines.len(), 40);

    let mut group = c.benchmark_group("receipt-40-lines");
    group.bench_function("loket encode (layout + escpos bytes)", |b| {
        b.iter(|| encode(black_box(&doc), black_box(&profile)).expect("encodes"))
    });
    group.bench_function("loket preview (layout + text)", |b| {
        b.iter(|| preview(black_box(&doc), black_box(&profile)).expect("lays out"))
    });
    group.bench_function(
        "reference: escpos crate writeln of the same 40 lines",
        |b| {
            b.iter(|| {
                let sink = Sink::default();
                let options = PrinterOptions::new(Some(PageCode::PC858), None, 48);
                let mut p = Printer::new(sink.clone(), Protocol::default(), Some(options));
                p.init().expect("init");
                for l in &lines {
                    p.writeln(black_box(l)).expect("write");
                }
                p.cut().expect("cut").print().expect("print");
                drop(p);
                sink.0.take()
            })
        },
    );
    group.finish();

    // QR codes: a native-QR profile only sizes the symbol; a raster-QR profile draws it.
    let ticket = sample(Kind::Qris);
    let mut group = c.benchmark_group("qris-slip");
    for profile in [Profile::mm80_48(), Profile::mm58()] {
        group.bench_function(
            format!("loket encode on {} ({:?} QR)", profile.name, profile.qr),
            |b| b.iter(|| encode(black_box(&ticket), black_box(&profile)).expect("encodes")),
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
