//! Shared fixtures for the stamping tests: the generated corpus, the training PKI and the independent validators.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use loket::pdf::intake::{IntakeOptions, intake};
use loket::pdf::pki::{TrainingPkiPaths, generate_training_pki};
use loket::pdf::stamp::{StampSpec, StampedPdf, stamp};
use loket::pdf::{AppearanceOptions, LocalTsa, Rect, SerialNumber, SignatureProfile, Signer};
use lopdf::xref::XrefType;
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, dictionary};

pub const VENV_BIN: &str = "/opt/loket-venv/bin";

/// A program the tests need; fails the test with the install command when missing.
pub fn tool(name: &str) -> PathBuf {
    let (path, install) = match name {
        "pyhanko" | "python" => (
            PathBuf::from(VENV_BIN).join(name),
            "sudo bash .ci/install.d/pdf.sh",
        ),
        "pdfsig" | "pdftoppm" | "pdftotext" => (
            PathBuf::from("/usr/bin").join(name),
            "apt-get install -y poppler-utils",
        ),
        "qpdf" => (PathBuf::from("/usr/bin/qpdf"), "apt-get install -y qpdf"),
        other => (
            PathBuf::from("/usr/bin").join(other),
            "apt-get install -y <package>",
        ),
    };
    assert!(
        path.exists(),
        "{name} is missing at {}: install it with `{install}`",
        path.display()
    );
    path
}

/// A temp dir that lives as long as the test process.
fn process_dir(name: &str) -> PathBuf {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    SWEPT.call_once(sweep_dead_process_dirs);
    let dir = std::env::temp_dir()
        .join(format!("loket-pdf-tests-{}", std::process::id()))
        .join(name);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Each test process keeps its corpus in `loket-pdf-tests-<pid>` (a process's tests share it) and
/// cannot remove it when it exits; the next process removes those of processes that are gone, so
/// the folders never pile up beyond the processes running now.
fn sweep_dead_process_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix("loket-pdf-tests-") else {
            continue;
        };
        let alive = Path::new("/proc").join(pid).exists();
        if !alive && pid.bytes().all(|b| b.is_ascii_digit()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Fresh scratch dir for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = process_dir("scratch").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

pub struct Pki {
    pub paths: TrainingPkiPaths,
    pub signer: Signer,
    pub tsa: LocalTsa,
    /// A second, unrelated PKI ("another signer").
    pub other: TrainingPkiPaths,
}

pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let paths = generate_training_pki(&process_dir("pki"), "KCU Jakarta").expect("pki");
        let other =
            generate_training_pki(&process_dir("pki-other"), "Notaris Lain").expect("other pki");
        let signer = Signer::from_files(&paths.signer_key, &paths.signer_chain).expect("signer");
        let tsa = LocalTsa::from_files(&paths.tsa_key, &paths.tsa_chain).expect("tsa");
        Pki {
            paths,
            signer,
            tsa,
            other,
        }
    })
}

/// A page of positioned text: (x, y, size, text).
pub type PageText = Vec<(f64, f64, f64, String)>;

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('(', "\\(")
        .replace(')', "\\)")
}

/// Build a text PDF with lopdf; `classic` selects a classic xref table instead of an xref stream.
pub fn text_pdf(pages: &[PageText], media: (f64, f64), classic: bool, version: &str) -> Vec<u8> {
    let mut doc = Document::with_version(version);
    if classic {
        doc.reference_table.cross_reference_type = XrefType::CrossReferenceTable;
    }
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding",
    });
    let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let mut kids = Vec::new();
    for page in pages {
        let mut content = String::new();
        for (x, y, size, text) in page {
            content.push_str(&format!(
                "BT /F1 {size} Tf {x} {y} Td ({}) Tj ET\n",
                escape(text)
            ));
        }
        let mut stream = Stream::new(Dictionary::new(), content.into_bytes());
        let _ = stream.compress();
        let content_id = doc.add_object(stream);
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content_id, "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), Object::from(media.0), Object::from(media.1)],
        });
        kids.push(Object::Reference(page_id));
    }
    finish(doc, pages_id, kids)
}

/// A hybrid-reference file (PDF 1.5, §7.5.8.4), written byte by byte because no tool here makes
/// one: a classic xref table for the plain objects and, through the trailer's `/XRefStm`, an xref
/// stream for the font, which lives in an object stream. The classic table lists the font's number
/// as free, so a reader that ignores `/XRefStm` cannot find it — exactly what such files do.
pub fn hybrid_xref_pdf(page: &PageText) -> Vec<u8> {
    let mut content = String::new();
    for (x, y, size, text) in page {
        content.push_str(&format!(
            "BT /F1 {size} Tf {x} {y} Td ({}) Tj ET\n",
            escape(text)
        ));
    }
    let font = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>";
    let objstm_header = "5 0 ";
    let objstm_body = format!("{objstm_header}{font}");
    let mut out: Vec<u8> = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = [0usize; 8];
    let obj = |out: &mut Vec<u8>, n: usize, body: &[u8], offsets: &mut [usize; 8]| {
        offsets[n] = out.len();
        out.extend_from_slice(format!("{n} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    };
    obj(
        &mut out,
        1,
        b"<< /Type /Catalog /Pages 2 0 R >>",
        &mut offsets,
    );
    obj(
        &mut out,
        2,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        &mut offsets,
    );
    obj(
        &mut out,
        3,
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
            A4.0, A4.1
        )
        .as_bytes(),
        &mut offsets,
    );
    obj(
        &mut out,
        4,
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        )
        .as_bytes(),
        &mut offsets,
    );
    obj(
        &mut out,
        6,
        format!(
            "<< /Type /ObjStm /N 1 /First {} /Length {} >>\nstream\n{objstm_body}\nendstream",
            objstm_header.len(),
            objstm_body.len()
        )
        .as_bytes(),
        &mut offsets,
    );
    // The xref stream covers object 5 only: type 2 (compressed), in object stream 6, index 0.
    let entries: [u8; 4] = [2, 0, 6, 0];
    let mut xref_stream =
        b"<< /Type /XRef /Size 8 /W [1 2 1] /Index [5 1] /Length 4 >>\nstream\n".to_vec();
    xref_stream.extend_from_slice(&entries);
    xref_stream.extend_from_slice(b"\nendstream");
    obj(&mut out, 7, &xref_stream, &mut offsets);
    let xref_at = out.len();
    out.extend_from_slice(b"xref\n0 8\n0000000000 65535 f\r\n");
    for (n, offset) in offsets.iter().enumerate().skip(1) {
        let line = if n == 5 {
            // Free in the table; found through /XRefStm.
            "0000000000 00001 f\r\n".to_string()
        } else {
            format!("{offset:010} 00000 n\r\n")
        };
        out.extend_from_slice(line.as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size 8 /Root 1 0 R /XRefStm {} >>\nstartxref\n{xref_at}\n%%EOF\n",
            offsets[7]
        )
        .as_bytes(),
    );
    out
}

/// A pixel coordinate or count on a rendered page, to compare with points.
// fits: pictures are a few thousand pixels across, exact as f64.
#[allow(clippy::cast_precision_loss)]
pub fn px_f64(n: usize) -> f64 {
    n as f64
}

/// Writes the page tree (`pages_id` over `kids`) and the catalog, and saves the document.
fn finish(mut doc: Document, pages_id: ObjectId, kids: Vec<Object>) -> Vec<u8> {
    let count = i64::try_from(kids.len()).expect("a few pages");
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save");
    out
}

pub const A4: (f64, f64) = (595.276, 841.89);

/// A one-page application letter with "Hormat saya," and the signer's name near the bottom.
pub fn letter_text() -> PageText {
    let mut t: PageText = vec![
        (360.0, 780.0, 11.0, "Jakarta, 2 September 2024".into()),
        (72.0, 740.0, 11.0, "Kepada Yth.".into()),
        (72.0, 726.0, 11.0, "Panitia Seleksi CASN 2024".into()),
        (72.0, 690.0, 12.0, "SURAT PERNYATAAN".into()),
    ];
    for i in 0..20 {
        t.push((
            72.0,
            660.0 - 16.0 * f64::from(i),
            11.0,
            format!("Baris isi surat nomor {i} yang menyatakan kesediaan mengikuti seleksi."),
        ));
    }
    t.push((360.0, 300.0, 11.0, "Hormat saya,".into()));
    t.push((360.0, 200.0, 11.0, "Budi Santoso".into()));
    t
}

/// Deterministic noise (xorshift64*), so the scanned corpus is the same on every run.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A "scanned" document: each page one uncompressed noise image (noise does not compress anyway).
pub fn scanned_pdf(pages: usize, image_bytes: usize) -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let width = 1200usize;
    let height = image_bytes / (width * 3);
    let mut kids = Vec::new();
    for p in 0..pages {
        let img = Stream::new(
            dictionary! {
                "Type" => "XObject", "Subtype" => "Image", "Width" => i64::try_from(width).expect("width"), "Height" => i64::try_from(height).expect("height"),
                "ColorSpace" => "DeviceRGB", "BitsPerComponent" => 8,
            },
            noise(p as u64 + 7, width * height * 3),
        );
        let img_id = doc.add_object(img);
        let content = format!(
            "q {} 0 0 {} 0 0 cm /Im0 Do Q\nBT /F1 9 Tf 40 30 Td (Halaman {}) Tj ET\n",
            A4.0,
            A4.1,
            p + 1
        );
        let content_id = doc.add_object(Stream::new(Dictionary::new(), content.into_bytes()));
        let font_id = doc.add_object(
            dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" },
        );
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
            "Resources" => dictionary! { "XObject" => dictionary! { "Im0" => img_id }, "Font" => dictionary! { "F1" => font_id } },
            "MediaBox" => vec![0.into(), 0.into(), Object::from(A4.0), Object::from(A4.1)],
        });
        kids.push(Object::Reference(page_id));
    }
    finish(doc, pages_id, kids)
}

pub fn run(cmd: &mut Command) -> (i32, String) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("could not run {cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn qpdf(args: &[&str]) {
    let (rc, out) = run(Command::new(tool("qpdf")).args(args));
    assert!(rc == 0 || rc == 3, "qpdf {args:?} failed ({rc}): {out}");
}

pub fn pyhanko_sign(input: &Path, output: &Path, field: &str, mode: &str, box_spec: Option<&str>) {
    let other = &pki().other;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pdf/pyhanko_sign.py");
    let mut cmd = Command::new(tool("python"));
    cmd.arg(script)
        .arg(&other.signer_key)
        .arg(&other.signer_chain)
        .arg(&other.ca_cert)
        .arg(input)
        .arg(output)
        .arg(field)
        .arg(mode);
    if let Some(b) = box_spec {
        cmd.arg(b);
    }
    let (rc, out) = run(&mut cmd);
    assert_eq!(rc, 0, "pyHanko signing failed: {out}");
}

/// The generated corpus, built once per test run.
pub struct Corpus {
    pub dir: PathBuf,
}

impl Corpus {
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
    pub fn bytes(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap_or_else(|e| panic!("corpus file {name}: {e}"))
    }
}

pub const USER_PASSWORD: &str = "rahasia123";

pub fn corpus() -> &'static Corpus {
    static CORPUS: OnceLock<Corpus> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let dir = process_dir("corpus");
        let p = |n: &str| dir.join(n);
        let s = |path: PathBuf| path.to_string_lossy().into_owned();
        std::fs::write(p("letter.pdf"), text_pdf(&[letter_text()], A4, true, "1.7"))
            .expect("write");
        std::fs::write(
            p("letter-xrefstream.pdf"),
            text_pdf(&[letter_text()], A4, false, "1.7"),
        )
        .expect("write");
        std::fs::write(
            p("letter-us-1.4.pdf"),
            text_pdf(&[letter_text()], (612.0, 792.0), true, "1.4"),
        )
        .expect("write");
        std::fs::write(p("blank.pdf"), text_pdf(&[vec![]], A4, true, "1.7")).expect("write");
        std::fs::write(p("letter-hybrid.pdf"), hybrid_xref_pdf(&letter_text())).expect("write");
        let hundred: Vec<PageText> = (1..=100)
            .map(|i| {
                let mut t = vec![(72.0, 780.0, 12.0, format!("Lampiran halaman {i}"))];
                for l in 0..30 {
                    t.push((
                        72.0,
                        740.0 - 20.0 * f64::from(l),
                        10.0,
                        format!("Isi lampiran {i}.{l} tentang data pelamar."),
                    ));
                }
                if i == 100 {
                    t.push((380.0, 140.0, 11.0, "Tanda tangan pelamar".into()));
                }
                t
            })
            .collect();
        std::fs::write(p("hundred.pdf"), text_pdf(&hundred, A4, false, "1.7")).expect("write");
        qpdf(&[
            "--object-streams=generate",
            &s(p("letter.pdf")),
            &s(p("letter-objstm.pdf")),
        ]);
        qpdf(&[
            "--linearize",
            &s(p("letter.pdf")),
            &s(p("letter-linearized.pdf")),
        ]);
        qpdf(&[
            "--linearize",
            "--object-streams=generate",
            &s(p("hundred.pdf")),
            &s(p("hundred-linearized-objstm.pdf")),
        ]);
        qpdf(&[
            "--encrypt",
            "",
            "pemilik",
            "256",
            "--",
            &s(p("letter.pdf")),
            &s(p("letter-enc-empty.pdf")),
        ]);
        qpdf(&[
            "--encrypt",
            USER_PASSWORD,
            "pemilik",
            "256",
            "--",
            &s(p("letter.pdf")),
            &s(p("letter-enc-user.pdf")),
        ]);
        qpdf(&[
            "--allow-weak-crypto",
            "--encrypt",
            "",
            "pemilik",
            "128",
            "--use-aes=n",
            "--",
            &s(p("letter.pdf")),
            &s(p("letter-enc-rc4.pdf")),
        ]);
        pyhanko_sign(
            &p("letter.pdf"),
            &p("letter-signed.pdf"),
            "TTD_Pelamar",
            "sign",
            Some("1/360,210,520,290"),
        );
        pyhanko_sign(
            &p("letter-hybrid.pdf"),
            &p("letter-hybrid-signed.pdf"),
            "TTD_Pelamar",
            "sign",
            Some("1/360,210,520,290"),
        );
        pyhanko_sign(
            &p("letter.pdf"),
            &p("letter-certified-p1.pdf"),
            "Sertifikasi",
            "certify-nochanges",
            None,
        );
        pyhanko_sign(
            &p("letter.pdf"),
            &p("letter-certified-p2.pdf"),
            "Sertifikasi",
            "certify-formfill",
            None,
        );

        // Damaged cross-reference data: every offset shifted by bytes inserted after the header.
        let letter = std::fs::read(p("letter.pdf")).expect("letter");
        let header_end = letter
            .iter()
            .position(|&b| b == b'\n')
            .expect("header line")
            + 1;
        let mut shifted = letter[..header_end].to_vec();
        shifted.extend_from_slice(
            b"% padding inserted by a broken mail gateway ....................\n",
        );
        shifted.extend_from_slice(&letter[header_end..]);
        std::fs::write(p("letter-shifted.pdf"), shifted).expect("write");
        // Garbage startxref.
        let pos = letter
            .windows(9)
            .rposition(|w| w == b"startxref")
            .expect("startxref");
        let mut garbage = letter[..pos].to_vec();
        garbage.extend_from_slice(b"startxref\n99999999\n%%EOF\n");
        std::fs::write(p("letter-badstartxref.pdf"), garbage).expect("write");
        std::fs::write(p("letter-truncated.pdf"), &letter[..letter.len() / 2]).expect("write");
        std::fs::write(
            p("not-a-pdf.pdf"),
            b"PK\x03\x04 this is a zip file, not a PDF at all",
        )
        .expect("write");
        std::fs::write(p("empty.pdf"), b"").expect("write");
        Corpus { dir }
    })
}

/// The ~25 MB scanned document (built on first use only).
pub fn scanned_25mb() -> PathBuf {
    static SCAN: OnceLock<PathBuf> = OnceLock::new();
    SCAN.get_or_init(|| {
        let path = process_dir("corpus-scan").join("scan-25mb.pdf");
        std::fs::write(&path, scanned_pdf(10, 2_500_000)).expect("write scan");
        path
    })
    .clone()
}

pub fn spec(page: u32, rect: Rect) -> StampSpec {
    StampSpec {
        page,
        rect,
        serial: SerialNumber::training(),
        reason: "Surat Pernyataan".into(),
        location: "Jakarta".into(),
        signing_time: time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+7)),
        appearance: AppearanceOptions::default(),
        profile: SignatureProfile::CadesDetached,
    }
}

/// Intake + stamp with the training signer, no timestamp.
pub fn stamp_with(
    input: Vec<u8>,
    password: Option<&str>,
    spec: &StampSpec,
    tsa: bool,
) -> StampedPdf {
    let opts = IntakeOptions {
        password: password.map(str::to_string),
        ..IntakeOptions::default()
    };
    let prepared = intake(input, &opts).unwrap_or_else(|e| panic!("intake: {e} ({e:?})"));
    let tsa_ref: Option<&dyn loket::pdf::TimestampSource> =
        if tsa { Some(&pki().tsa) } else { None };
    stamp(prepared, spec, &pki().signer, tsa_ref).unwrap_or_else(|e| panic!("stamp: {e} ({e:?})"))
}

/// pdfsig's verdict per signature: (valid, total document signed).
pub fn pdfsig(path: &Path, password: Option<&str>) -> Vec<(bool, bool, String)> {
    let mut cmd = Command::new(tool("pdfsig"));
    if let Some(pw) = password {
        cmd.arg("-upw").arg(pw);
    }
    let (_, out) = run(cmd.arg(path));
    // pdfsig exits 0 even on broken signatures: read its text.
    out.split("\nSignature #")
        .skip(1)
        .map(|block| {
            (
                block.contains("Signature Validation: Signature is Valid."),
                block.contains("Total document signed"),
                block.to_string(),
            )
        })
        .collect()
}

pub fn qpdf_check(path: &Path, password: Option<&str>) -> (i32, String) {
    let mut cmd = Command::new(tool("qpdf"));
    if let Some(pw) = password {
        cmd.arg(format!("--password={pw}"));
    }
    run(cmd.arg("--check").arg(path))
}

pub fn pyhanko_validate(path: &Path, password: Option<&str>, strict: bool) -> (i32, String) {
    let mut cmd = Command::new(tool("pyhanko"));
    cmd.args([
        "sign",
        "validate",
        "--no-revocation-check",
        "--trust-replace",
    ])
    .arg("--trust")
    .arg(&pki().paths.ca_cert)
    .arg("--trust")
    .arg(&pki().other.ca_cert);
    if !strict {
        cmd.arg("--no-strict-syntax");
    }
    if let Some(pw) = password {
        cmd.arg("--password").arg(pw);
    }
    run(cmd.arg(path))
}

/// Every independent validator on a stamped file with `expected` signatures, the last one covering the file.
pub fn assert_validators_accept(path: &Path, password: Option<&str>, expected: usize) {
    let sigs = pdfsig(path, password);
    assert_eq!(
        sigs.len(),
        expected,
        "pdfsig saw {} signatures, expected {expected}: {sigs:#?}",
        sigs.len()
    );
    for (i, (valid, _, block)) in sigs.iter().enumerate() {
        assert!(valid, "pdfsig: signature #{} not valid:\n{block}", i + 1);
    }
    assert!(
        sigs.last().is_some_and(|s| s.1),
        "pdfsig: last signature does not cover the whole document"
    );
    let (rc, out) = qpdf_check(path, password);
    assert_eq!(rc, 0, "qpdf --check rc {rc}: {out}");
    let (rc, out) = pyhanko_validate(path, password, true);
    assert_eq!(rc, 0, "pyhanko sign validate rc {rc}:\n{out}");
}

pub fn write(dir: &Path, name: &str, stamped: &StampedPdf) -> PathBuf {
    let path = dir.join(name);
    loket::pdf::io::write_stamped(&path, stamped, false)
        .unwrap_or_else(|e| panic!("write_stamped: {e} ({e:?})"));
    path
}
