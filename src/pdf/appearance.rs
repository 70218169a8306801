//! The e-Meterai visual: a vector Form XObject (frame, texts, QR code as `re` operators) for the widget's `/AP /N`.

use lopdf::{Dictionary, Object, Stream};
use qrcode::{Color, EcLevel, QrCode};

use super::geometry::count_to_f64;

/// Verification address put in the QR code; `{sn}` is replaced by the serial number. Peruri does not publish its
/// QR payload, so deployments set their own template; this default points at Peruri's public verification site.
pub const DEFAULT_VERIFY_URL_TEMPLATE: &str = "https://verification.peruri.co.id/?sn={sn}";

/// What the stamp shows besides the serial number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppearanceOptions {
    /// QR payload template with `{sn}`.
    pub verify_url_template: String,
    /// Draw a "SPESIMEN" mark across the stamp (training/local provider).
    pub specimen: bool,
}

impl Default for AppearanceOptions {
    fn default() -> Self {
        AppearanceOptions {
            verify_url_template: DEFAULT_VERIFY_URL_TEMPLATE.to_string(),
            specimen: true,
        }
    }
}

/// The stamp could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum AppearanceError {
    /// The QR payload is too long for a QR code.
    QrTooLong(#[source] qrcode::types::QrError),
}

/// The QR payload for `sn`.
pub fn verification_url(template: &str, sn: &str) -> String {
    template.replace("{sn}", sn)
}

/// Design units: the stamp is drawn on a 100 × 100 grid and scaled to the widget.
const GRID: f64 = 100.0;
const PINK_DARK: &str = "0.741 0.094 0.369";
const PINK_LIGHT: &str = "1 0.925 0.949";

/// Advance widths (1/1000 em) of the standard-14 Helvetica faces for the characters the stamp uses.
fn glyph_width(bold: bool, c: char) -> f64 {
    let w = match (c, bold) {
        (' ', _) | ('I', _) | ('.', _) | (',', _) => 278,
        ('0'..='9', _) => 556,
        ('A' | 'B' | 'K', true) => 722,
        ('A' | 'B' | 'K', false) => 667,
        ('C' | 'D' | 'H' | 'N' | 'R' | 'U', _) => 722,
        ('E' | 'P' | 'S' | 'V' | 'X' | 'Y', _) => 667,
        ('F' | 'T' | 'Z', _) => 611,
        ('G' | 'O' | 'Q', _) => 778,
        ('J', true) => 556,
        ('J', false) => 500,
        ('L', true) => 611,
        ('L', false) => 556,
        ('M', _) => 833,
        ('W', _) => 944,
        ('-', _) => 333,
        _ => 556,
    };
    f64::from(w)
}

/// Width of `text` at `size` in the given face.
pub(crate) fn text_width(bold: bool, text: &str, size: f64) -> f64 {
    text.chars().map(|c| glyph_width(bold, c)).sum::<f64>() * size / 1000.0
}

/// Format a number for a content stream: at most 3 decimals, no trailing zeros.
pub(crate) fn num(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// A PDF literal string body with `(`, `)` and `\` escaped; non-ASCII is replaced because the fonts are
/// WinAnsi standard-14 faces.
fn pdf_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

/// Centred text line in design units, shrinking the size so it fits `max_width`.
fn centred_text(
    out: &mut String,
    font: &str,
    bold: bool,
    text: &str,
    size: f64,
    baseline: f64,
    max_width: f64,
) {
    let mut size = size;
    let mut w = text_width(bold, text, size);
    if w > max_width && w > 0.0 {
        size *= max_width / w;
        w = max_width;
    }
    let x = (GRID - w) / 2.0;
    out.push_str(&format!(
        "BT /{font} {} Tf {} {} Td ({}) Tj ET\n",
        num(size),
        num(x),
        num(baseline),
        pdf_literal(text)
    ));
}

/// The content stream of the stamp in design units (pure; the caller scales it).
pub fn stamp_content(sn: &str, opts: &AppearanceOptions) -> Result<Vec<u8>, AppearanceError> {
    let url = verification_url(&opts.verify_url_template, sn);
    let qr = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
        .map_err(AppearanceError::QrTooLong)?;
    let mut s = String::with_capacity(4096);

    // Background and double frame, in the e-Meterai's pink.
    s.push_str(&format!(
        "{PINK_LIGHT} rg 0 0 {g} {g} re f\n",
        g = num(GRID)
    ));
    s.push_str(&format!("{PINK_DARK} RG 2.4 w 1.2 1.2 97.6 97.6 re S\n"));
    s.push_str("0.6 w 4.2 4.2 91.6 91.6 re S\n");
    s.push_str(&format!("{PINK_DARK} rg\n"));
    centred_text(&mut s, "F2", true, "METERAI ELEKTRONIK", 7.2, 88.0, 78.0);

    // QR code on a white quiet zone, dark modules merged into horizontal runs.
    let (qx, qy, qsize) = (28.0, 36.0, 44.0);
    s.push_str(&format!(
        "1 1 1 rg {} {} {} {} re f\n",
        num(qx),
        num(qy),
        num(qsize),
        num(qsize)
    ));
    let n = qr.width();
    let quiet = 2.0;
    let module = (qsize - 2.0 * quiet) / count_to_f64(n);
    let colors = qr.to_colors();
    s.push_str("0 0 0 rg\n");
    for row in 0..n {
        let mut col = 0;
        while col < n {
            if colors[row * n + col] == Color::Dark {
                let start = col;
                while col < n && colors[row * n + col] == Color::Dark {
                    col += 1;
                }
                let x = qx + quiet + count_to_f64(start) * module;
                let y = qy + quiet + count_to_f64(n - 1 - row) * module;
                s.push_str(&format!(
                    "{} {} {} {} re\n",
                    num(x),
                    num(y),
                    num(count_to_f64(col - start) * module),
                    num(module)
                ));
            } else {
                col += 1;
            }
        }
    }
    s.push_str("f\n");

    s.push_str(&format!("{PINK_DARK} rg\n"));
    centred_text(&mut s, "F2", true, "10000", 15.0, 20.5, 80.0);
    centred_text(&mut s, "F2", true, "SEPULUH RIBU RUPIAH", 5.6, 13.5, 80.0);
    s.push_str("0.1 0.1 0.1 rg\n");
    centred_text(&mut s, "F1", false, sn, 5.6, 6.8, 86.0);

    if opts.specimen {
        // Diagonal, half-transparent red mark; GS0 sets the opacity.
        let text = "SPESIMEN";
        let size = 17.0;
        let w = text_width(true, text, size);
        let (sin, cos) = 35f64.to_radians().sin_cos();
        s.push_str(&format!(
            "q /GS0 gs 0.86 0.08 0.08 rg {} {} {} {} 50 50 cm BT /F2 {} Tf {} -6 Td ({text}) Tj ET Q\n",
            num(cos),
            num(sin),
            num(-sin),
            num(cos),
            num(size),
            num(-w / 2.0)
        ));
    }
    Ok(s.into_bytes())
}

fn font(base: &str) -> Object {
    let mut d = Dictionary::new();
    d.set("Type", Object::Name(b"Font".to_vec()));
    d.set("Subtype", Object::Name(b"Type1".to_vec()));
    d.set("BaseFont", Object::Name(base.as_bytes().to_vec()));
    d.set("Encoding", Object::Name(b"WinAnsiEncoding".to_vec()));
    Object::Dictionary(d)
}

/// The appearance Form XObject for a widget of `width` × `height` points.
pub fn appearance_stream(
    sn: &str,
    width: f64,
    height: f64,
    opts: &AppearanceOptions,
) -> Result<Stream, AppearanceError> {
    let body = stamp_content(sn, opts)?;
    let mut content = format!(
        "q {} 0 0 {} 0 0 cm\n",
        num(width / GRID),
        num(height / GRID)
    )
    .into_bytes();
    content.extend_from_slice(&body);
    content.extend_from_slice(b"Q\n");

    let mut fonts = Dictionary::new();
    fonts.set("F1", font("Helvetica"));
    fonts.set("F2", font("Helvetica-Bold"));
    let mut gs = Dictionary::new();
    gs.set("Type", Object::Name(b"ExtGState".to_vec()));
    gs.set("ca", Object::Real(0.55));
    gs.set("CA", Object::Real(0.55));
    let mut gstates = Dictionary::new();
    gstates.set("GS0", Object::Dictionary(gs));
    let mut resources = Dictionary::new();
    resources.set("Font", Object::Dictionary(fonts));
    resources.set("ExtGState", Object::Dictionary(gstates));

    let mut dict = Dictionary::new();
    dict.set("Type", Object::Name(b"XObject".to_vec()));
    dict.set("Subtype", Object::Name(b"Form".to_vec()));
    dict.set(
        "BBox",
        Object::Array(vec![
            0.into(),
            0.into(),
            // lopdf keeps reals as f32: a box of some hundred points keeps its size to well
            // under a thousandth of a point.
            Object::from(width),
            Object::from(height),
        ]),
    );
    dict.set("Resources", Object::Dictionary(resources));
    let mut stream = Stream::new(dict, content);
    // Compression cannot fail on an in-memory buffer; if it ever did, the stream stays valid uncompressed.
    let _ = stream.compress();
    Ok(stream)
}
