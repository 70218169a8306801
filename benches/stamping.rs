//! Stamping benchmark driver: generates the corpus, and runs one stamp, the I/O floor, or an in-process loop.
//!
//! `bench/stamping/run.sh` calls it (release build) next to pyHanko and records the figures in BENCHMARKS.md:
//! - `gen DIR`                      letter (1 page), hundred (100 pages), scan-25mb, scan-50mb + training PKI
//! - `floor IN OUT`                 read the file, SHA-256 over it, write it out: the least any stamper must do
//! - `phases DATA IN OUT`          one stamp with the time of each phase
//! - `place IN`                     print the proposed page and box (so pyHanko stamps at the same place)
//! - `stamp DATA IN OUT`            read, intake, propose a place, stamp, write and read back (one process)
//! - `stamp-no-readback DATA IN OUT` the same without the read-back check (to show what it costs)
//! - `loop DATA IN OUT N`           the same N times in-process; prints the median and minimum in ms
//! - `gen-hostile DIR`              what `gen` makes, and many-fields (a 40 MB scan, stamped, then 5,000
//!   signature fields sharing its signature dictionary) and million (one page and a million small objects)
//! - `verify IN`                    `loket verify`'s check of every signature (one process)

use std::path::{Path, PathBuf};
use std::time::Instant;

use loket::pdf::intake::{IntakeOptions, intake};
use loket::pdf::io::{read_input, write_stamped};
use loket::pdf::pki::{TrainingPkiPaths, generate_training_pki};
use loket::pdf::placement::{PlacementOptions, propose};
use loket::pdf::{AppearanceOptions, SerialNumber, SignatureProfile, Signer, StampSpec, stamp};
use lopdf::xref::XrefType;
use lopdf::{Dictionary, Document, Object, Stream, dictionary};
use sha2::{Digest, Sha256};

/// The hostile files the tests use too (shared by path: a bench cannot use the test crate).
#[path = "../tests/pdf/hostile_files.rs"]
#[allow(dead_code)]
mod hostile_files;

type BoxError = Box<dyn std::error::Error>;

fn letter(pages: usize, classic: bool) -> Result<Vec<u8>, BoxError> {
    let mut doc = Document::with_version("1.7");
    if classic {
        doc.reference_table.cross_reference_type = XrefType::CrossReferenceTable;
    }
    let pages_id = doc.new_object_id();
    let font = doc.add_object(
        dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" },
    );
    let mut kids = Vec::new();
    for p in 0..pages {
        let mut c = String::new();
        for l in 0..30 {
            c.push_str(&format!(
                "BT /F1 10 Tf 72 {} Td (Halaman {p} baris {l} isi surat pernyataan.) Tj ET\n",
                760 - 16 * l
            ));
        }
        if p + 1 == pages {
            c.push_str("BT /F1 11 Tf 360 200 Td (Hormat saya,) Tj ET\nBT /F1 11 Tf 360 110 Td (Budi Santoso) Tj ET\n");
        }
        let content = doc.add_object(Stream::new(Dictionary::new(), c.into_bytes()));
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content,
            "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
            "MediaBox" => vec![0.into(), 0.into(), Object::Real(595.276), Object::Real(841.89)],
        });
        kids.push(Object::Reference(page));
    }
    finish(doc, pages_id, kids)
}

fn finish(mut doc: Document, pages_id: (u32, u16), kids: Vec<Object>) -> Result<Vec<u8>, BoxError> {
    let count = i64::try_from(kids.len())?;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out)?;
    Ok(out)
}

fn scan(pages: usize) -> Result<Vec<u8>, BoxError> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let (w, h) = (1200usize, 694usize);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut kids = Vec::new();
    for _ in 0..pages {
        let mut pixels = Vec::with_capacity(w * h * 3 + 8);
        while pixels.len() < w * h * 3 {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            pixels.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
        }
        pixels.truncate(w * h * 3);
        let img = doc.add_object(Stream::new(
            dictionary! { "Type" => "XObject", "Subtype" => "Image", "Width" => i64::try_from(w)?, "Height" => i64::try_from(h)?,
                          "ColorSpace" => "DeviceRGB", "BitsPerComponent" => 8 },
            pixels,
        ));
        let content = doc.add_object(Stream::new(
            Dictionary::new(),
            b"q 595.276 0 0 841.89 0 0 cm /Im0 Do Q".to_vec(),
        ));
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content,
            "Resources" => dictionary! { "XObject" => dictionary! { "Im0" => img } },
            "MediaBox" => vec![0.into(), 0.into(), Object::Real(595.276), Object::Real(841.89)],
        });
        kids.push(Object::Reference(page));
    }
    finish(doc, pages_id, kids)
}

fn generate(dir: &Path) -> Result<(), BoxError> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("letter.pdf"), letter(1, true)?)?;
    std::fs::write(dir.join("hundred.pdf"), letter(100, false)?)?;
    std::fs::write(dir.join("scan-25mb.pdf"), scan(10)?)?;
    std::fs::write(dir.join("scan-50mb.pdf"), scan(20)?)?;
    if !TrainingPkiPaths::in_dir(&dir.join("pki")).exists() {
        generate_training_pki(&dir.join("pki"), "Benchmark")?;
    }
    Ok(())
}

/// `stamped` with an update adding `extra` signature fields whose `/V` is its signature dictionary.
fn many_fields(stamped: &[u8], extra: usize) -> Result<Vec<u8>, BoxError> {
    let doc = Document::load_mem(stamped)?;
    let root_id = doc.trailer.get(b"Root")?.as_reference()?;
    let mut catalog = doc.get_dictionary(root_id)?.clone();
    let mut acroform = catalog.get(b"AcroForm")?.as_dict()?.clone();
    let mut fields = acroform.get(b"Fields")?.as_array()?.clone();
    let widget = fields.first().ok_or("no field")?.as_reference()?;
    let sig = doc.get_dictionary(widget)?.get(b"V")?.clone();
    let mut inc = lopdf::IncrementalDocument::create_from(stamped.to_vec(), doc);
    for i in 0..extra {
        let field = dictionary! { "FT" => "Sig", "T" => Object::string_literal(format!("Salinan_{i}")), "V" => sig.clone() };
        fields.push(Object::Reference(inc.new_document.add_object(field)));
    }
    acroform.set("Fields", Object::Array(fields));
    catalog.set("AcroForm", Object::Dictionary(acroform));
    inc.new_document
        .set_object(root_id, Object::Dictionary(catalog));
    let mut out = Vec::new();
    inc.save_to(&mut out)?;
    Ok(out)
}

fn generate_hostile(dir: &Path) -> Result<(), BoxError> {
    generate(dir)?;
    let scan40 = dir.join("scan-40mb.pdf");
    std::fs::write(&scan40, scan(16)?)?;
    let stamped = dir.join("scan-40mb-stamped.pdf");
    stamp_once(&signer(dir)?, &scan40, &stamped)?;
    std::fs::write(
        dir.join("many-fields.pdf"),
        many_fields(&std::fs::read(&stamped)?, 4_999)?,
    )?;
    std::fs::write(
        dir.join("million.pdf"),
        hostile_files::million_objects(1_000_000),
    )?;
    Ok(())
}

fn verify(input: &Path) -> Result<(), BoxError> {
    let bytes = std::fs::read(input)?;
    let t = Instant::now();
    let report = loket::pdf::verify_pdf(&bytes, None, None)?;
    let valid = report
        .signatures
        .iter()
        .filter(|s| s.digest_matches && s.signature_valid)
        .count();
    if valid != report.signatures.len() || valid == 0 {
        return Err(format!("{valid} of {} signatures verify", report.signatures.len()).into());
    }
    println!(
        "signatures={} verify_ms={:.1}",
        report.signatures.len(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}

fn floor(input: &Path, output: &Path) -> Result<(), BoxError> {
    let bytes = std::fs::read(input)?;
    let digest = Sha256::digest(&bytes);
    std::fs::write(output, &bytes)?;
    std::hint::black_box(digest);
    Ok(())
}

fn stamp_once(signer: &Signer, input: &Path, output: &Path) -> Result<(), BoxError> {
    stamp_inner(signer, input, output, true)
}

/// `read_back`: the production path reads the written file back and checks it; without it the figure shows
/// what that check costs.
fn stamp_inner(
    signer: &Signer,
    input: &Path,
    output: &Path,
    read_back: bool,
) -> Result<(), BoxError> {
    let opts = IntakeOptions::default();
    let bytes = read_input(input, opts.max_bytes)?;
    let prepared = intake(bytes, &opts)?;
    let place = propose(&prepared, &PlacementOptions::default());
    let spec = StampSpec {
        page: place.page,
        rect: place.rect,
        serial: SerialNumber::training(),
        reason: "Surat Pernyataan".into(),
        location: "Jakarta".into(),
        signing_time: time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+7)),
        appearance: AppearanceOptions::default(),
        profile: SignatureProfile::CadesDetached,
    };
    let stamped = stamp(prepared, &spec, signer, None)?;
    if read_back {
        // No fsync: the floor does not sync either.
        write_stamped(output, &stamped, false)?;
    } else {
        let mut f = std::fs::File::create(output)?;
        stamped.write_to(&mut f)?;
    }
    Ok(())
}

fn signer(data: &Path) -> Result<Signer, BoxError> {
    let p = TrainingPkiPaths::in_dir(&data.join("pki"));
    Ok(Signer::from_files(&p.signer_key, &p.signer_chain)?)
}

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let path = |i: usize| -> Result<PathBuf, BoxError> {
        Ok(PathBuf::from(args.get(i).ok_or("missing argument")?))
    };
    match args.first().map(String::as_str) {
        Some("gen") => generate(&path(1)?),
        Some("gen-hostile") => generate_hostile(&path(1)?),
        Some("verify") => verify(&path(1)?),
        Some("floor") => floor(&path(1)?, &path(2)?),
        Some("stamp") => stamp_once(&signer(&path(1)?)?, &path(2)?, &path(3)?),
        Some("phases") => {
            let s = signer(&path(1)?)?;
            let (input, output) = (path(2)?, path(3)?);
            let t = Instant::now();
            let bytes = std::fs::read(&input)?;
            let t_read = t.elapsed();
            let prepared = intake(bytes, &IntakeOptions::default())?;
            let t_intake = t.elapsed();
            let place = propose(&prepared, &PlacementOptions::default());
            let t_place = t.elapsed();
            let spec = StampSpec {
                page: place.page,
                rect: place.rect,
                serial: SerialNumber::training(),
                reason: "Surat Pernyataan".into(),
                location: "Jakarta".into(),
                signing_time: time::OffsetDateTime::now_utc(),
                appearance: AppearanceOptions::default(),
                profile: SignatureProfile::CadesDetached,
            };
            let stamped = stamp(prepared, &spec, &s, None)?;
            let t_stamp = t.elapsed();
            let mut f = std::fs::File::create(&output)?;
            stamped.write_to(&mut f)?;
            drop(f);
            let t_write = t.elapsed();
            let back = std::fs::read(&output)?;
            loket::pdf::verify::check_written(&back, &stamped)?;
            let t_check = t.elapsed();
            let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
            println!(
                "read={:.1} intake(parse||sha256)={:.1} propose={:.1} stamp={:.1} write={:.1} readback+check={:.1} total={:.1}",
                ms(t_read),
                ms(t_intake - t_read),
                ms(t_place - t_intake),
                ms(t_stamp - t_place),
                ms(t_write - t_stamp),
                ms(t_check - t_write),
                ms(t_check)
            );
            Ok(())
        }
        Some("stamp-no-readback") => stamp_inner(&signer(&path(1)?)?, &path(2)?, &path(3)?, false),
        Some("place") => {
            let prepared = intake(std::fs::read(path(1)?)?, &IntakeOptions::default())?;
            let p = propose(&prepared, &PlacementOptions::default());
            println!(
                "{} {:.0},{:.0},{:.0},{:.0}",
                p.page, p.rect.x0, p.rect.y0, p.rect.x1, p.rect.y1
            );
            Ok(())
        }
        Some("loop") => {
            let s = signer(&path(1)?)?;
            let n: usize = args.get(4).ok_or("missing N")?.parse()?;
            let mut times = Vec::with_capacity(n);
            for _ in 0..n {
                let t = Instant::now();
                stamp_once(&s, &path(2)?, &path(3)?)?;
                times.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            times.sort_by(f64::total_cmp);
            println!("median_ms={:.2} min_ms={:.2}", times[n / 2], times[0]);
            Ok(())
        }
        _ => {
            // `cargo bench` without arguments: a quick smoke run so the target is exercised.
            let dir = std::env::temp_dir().join("loket-stamping-bench-smoke");
            std::fs::create_dir_all(&dir)?;
            std::fs::write(dir.join("letter.pdf"), letter(1, true)?)?;
            if !TrainingPkiPaths::in_dir(&dir.join("pki")).exists() {
                generate_training_pki(&dir.join("pki"), "Benchmark")?;
            }
            let t = Instant::now();
            stamp_once(
                &signer(&dir)?,
                &dir.join("letter.pdf"),
                &dir.join("out.pdf"),
            )?;
            println!(
                "stamping smoke run: 1-page letter in {:.2} ms (use bench/stamping/run.sh for the figures)",
                t.elapsed().as_secs_f64() * 1000.0
            );
            Ok(())
        }
    }
}
