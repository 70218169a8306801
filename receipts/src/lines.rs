//! Lays a document out for one profile: folds text into the code page, wraps it, pads rows, fits QR codes.
//!
//! The preview and the ESC/POS encoder both print from this one layout, so they cannot disagree.

use crate::model::{Align, Block, Document, Raster, Style};
use crate::profile::{Profile, QrMode};
use crate::qr::Symbol;

/// Why a document cannot be printed on a profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The QR payload is longer than a version-40 symbol holds at level M.
    #[error("qr payload of {len} bytes does not fit in a qr code")]
    QrTooLong {
        /// Payload length in bytes.
        len: usize,
    },
    /// The image is wider than the printable area.
    #[error("image {width} dots wide does not fit in {max} dots")]
    ImageTooWide {
        /// Image width.
        width: u32,
        /// Printable width of the profile.
        max: u16,
    },
    /// The QR payload contains characters a printer's `GS ( k` cannot take in one byte each.
    #[error("qr payload is not ascii")]
    QrNotAscii,
}

/// A run of characters sharing one style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// Character style.
    pub style: Style,
    /// Text, already folded into the profile's code page.
    pub text: String,
}

/// One printed line or graphic of a laid-out document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A line of text that fits the profile's width.
    Text {
        /// Alignment on the paper.
        align: Align,
        /// Styled runs, left to right.
        runs: Vec<Run>,
    },
    /// Blank lines.
    Feed(u8),
    /// A QR code the printer draws (`GS ( k`), with its fitted module size.
    Qr {
        /// Payload.
        data: String,
        /// Dots per module, fitted to the paper.
        module: u8,
    },
    /// A centred bitmap (images and QR codes on raster-QR profiles).
    Image(Raster),
    /// Cash-drawer pulse.
    DrawerPulse,
    /// Paper cut.
    Cut,
}

impl Line {
    fn text(align: Align, style: Style, text: String) -> Line {
        Line::Text {
            align,
            runs: vec![Run { style, text }],
        }
    }
}

/// Printed width of a run in columns: every character takes `width` columns.
pub fn run_columns(run: &Run) -> usize {
    run.text.chars().count() * run.style.columns_per_char()
}

/// Lays `doc` out for `profile`.
pub fn layout(doc: &Document, profile: &Profile) -> Result<Vec<Line>, RenderError> {
    let columns = usize::from(profile.columns.max(1));
    let mut lines = Vec::with_capacity(doc.blocks().len() + 8);
    for block in doc.blocks() {
        match block {
            Block::Text { text, style, align } => {
                let avail = (columns / style.columns_per_char()).max(1);
                let folded = profile.code_page.fold(text);
                for l in wrap(&folded, avail) {
                    lines.push(Line::text(*align, *style, l));
                }
            }
            Block::Row {
                label,
                value,
                style,
            } => {
                let avail = (columns / style.columns_per_char()).max(1);
                let label = profile.code_page.fold(label).replace('\n', " ");
                let value = profile.code_page.fold(value).replace('\n', " ");
                for l in row(&label, &value, avail) {
                    lines.push(Line::text(Align::Left, *style, l));
                }
            }
            Block::Separator(ch) => {
                let folded = profile.code_page.fold(&ch.to_string());
                let ch = match folded.chars().next() {
                    Some(c) if folded.chars().count() == 1 && c != ' ' && c != '?' => c,
                    _ => '-',
                };
                lines.push(Line::text(
                    Align::Left,
                    Style::NORMAL,
                    std::iter::repeat_n(ch, columns).collect(),
                ));
            }
            Block::Qr { data, module } => {
                if !data.is_ascii() {
                    return Err(RenderError::QrNotAscii);
                }
                let too_long = RenderError::QrTooLong { len: data.len() };
                lines.push(match profile.qr {
                    QrMode::Native => {
                        let width = Symbol::width_for(data).ok_or(too_long)?;
                        Line::Qr {
                            data: data.clone(),
                            module: crate::qr::fit_module(width, *module, profile.area_dots()),
                        }
                    }
                    QrMode::Raster => {
                        let symbol = Symbol::new(data).ok_or(too_long)?;
                        Line::Image(symbol.raster(symbol.fit_module(*module, profile.area_dots())))
                    }
                });
            }
            Block::Image(raster) => {
                if raster.width() > u32::from(profile.area_dots()) {
                    return Err(RenderError::ImageTooWide {
                        width: raster.width(),
                        max: profile.area_dots(),
                    });
                }
                lines.push(Line::Image(raster.clone()));
            }
            Block::Feed(n) => lines.push(Line::Feed(*n)),
            Block::Cut => lines.push(Line::Cut),
            Block::DrawerPulse => lines.push(Line::DrawerPulse),
        }
    }
    Ok(lines)
}

/// Word-wraps `text` to lines of at most `width` characters. Runs of spaces collapse to one;
/// `\n` starts a new line (an empty paragraph gives an empty line); words longer than a line are
/// split.
///
/// ```
/// use loket_receipts::wrap;
/// assert_eq!(wrap("Terima kasih atas kunjungan Anda", 12), ["Terima kasih", "atas", "kunjungan", "Anda"]);
/// assert_eq!(wrap("ABCDEFGHIJ", 4), ["ABCD", "EFGH", "IJ"]);
/// ```
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    for paragraph in text.split('\n') {
        // Leading spaces indent every line of the paragraph (item details under an item name).
        let indent = (paragraph.len() - paragraph.trim_start_matches(' ').len()).min(width / 2);
        let width = width - indent;
        let start = out.len();
        let mut line = String::new();
        let mut len = 0;
        for word in paragraph.split_whitespace() {
            let mut word: Vec<char> = word.chars().collect();
            loop {
                let gap = usize::from(len > 0);
                if len + gap + word.len() <= width {
                    if gap == 1 {
                        line.push(' ');
                    }
                    line.extend(word.iter());
                    len += gap + word.len();
                    break;
                }
                if len > 0 {
                    out.push(std::mem::take(&mut line));
                    len = 0;
                    continue;
                }
                // The word alone is longer than the line: hard-split it.
                let rest = word.split_off(width);
                out.push(word.iter().collect());
                word = rest;
            }
        }
        if len > 0 || out.is_empty() || paragraph.trim().is_empty() {
            out.push(line);
        }
        if indent > 0 {
            for l in &mut out[start..] {
                if !l.is_empty() {
                    l.insert_str(0, &" ".repeat(indent));
                }
            }
        }
    }
    out
}

/// Lays out a two-column row in `width` characters: the label wraps; the value goes flush right on
/// the label's last line, or on a line of its own when there is no room beside it.
///
/// ```
/// use loket_receipts::row;
/// assert_eq!(row("Total", "Rp10.000", 20), ["Total       Rp10.000"]);
/// assert_eq!(row("Meterai elektronik", "Rp10.000", 20), ["Meterai elektronik", "            Rp10.000"]);
/// ```
pub fn row(label: &str, value: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let value_len = value.chars().count();
    let mut lines = if label.trim().is_empty() {
        Vec::new()
    } else {
        wrap(label, width)
    };
    if value_len == 0 {
        return if lines.is_empty() {
            vec![String::new()]
        } else {
            lines
        };
    }
    let fits_beside = lines
        .last()
        .is_some_and(|last| last.chars().count() + 1 + value_len <= width);
    if fits_beside {
        if let Some(last) = lines.last_mut() {
            let pad = width - last.chars().count() - value_len;
            last.extend(std::iter::repeat_n(' ', pad));
            last.push_str(value);
        }
    } else {
        for part in wrap(value, width) {
            let pad = width - part.chars().count();
            lines.push(format!("{}{part}", " ".repeat(pad)));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_wrap(text: &str, width: usize, expected: &[&str]) {
        assert_eq!(wrap(text, width), expected, "wrap({text:?}, {width})");
    }

    #[test]
    fn wrapping() {
        check_wrap("", 10, &[""]);
        check_wrap("satu", 10, &["satu"]);
        check_wrap("satu dua tiga", 8, &["satu dua", "tiga"]);
        check_wrap("satu  dua   tiga", 20, &["satu dua tiga"]);
        check_wrap("a\n\nb", 10, &["a", "", "b"]);
        check_wrap("ab cdefghijkl m", 4, &["ab", "cdef", "ghij", "kl m"]);
        check_wrap("x", 0, &["x"]);
        check_wrap("exactly10c", 10, &["exactly10c"]);
        check_wrap("  2 x Rp10.000", 10, &["  2 x", "  Rp10.000"]);
        check_wrap("        x", 4, &["  x"]);
    }

    fn check_row(label: &str, value: &str, width: usize, expected: &[&str]) {
        let got = row(label, value, width);
        assert_eq!(got, expected, "row({label:?}, {value:?}, {width})");
        for l in &got {
            assert!(l.chars().count() <= width, "{l:?} wider than {width}");
        }
    }

    #[test]
    fn rows() {
        check_row("Tunai", "Rp50.000", 16, &["Tunai   Rp50.000"]);
        check_row("Tunai", "Rp50.000", 14, &["Tunai Rp50.000"]);
        check_row("Tunai", "Rp50.000", 13, &["Tunai", "     Rp50.000"]);
        check_row("", "Rp5", 6, &["   Rp5"]);
        check_row(
            "  2 x Rp10.000",
            "Rp20.000",
            24,
            &["  2 x Rp10.000  Rp20.000"],
        );
        check_row("Label", "", 8, &["Label"]);
        check_row(
            "Kembali",
            "Rp1.000.000.000",
            8,
            &["Kembali", "Rp1.000.", " 000.000"],
        );
    }

    #[test]
    fn layout_folds_and_fits() {
        let mut doc = Document::new();
        doc.text("A–007", Style::size(4, 4), Align::Center)
            .separator('—')
            .row("Total", "Rp10.000", Style::DOUBLE);
        let lines = layout(&doc, &Profile::mm58()).expect("plain text lays out");
        let texts: Vec<String> = lines
            .iter()
            .map(|l| match l {
                Line::Text { runs, .. } => runs.iter().map(|r| r.text.as_str()).collect(),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(texts, ["A-007", &"-".repeat(32), "Total   Rp10.000"]);
    }

    #[test]
    fn oversized_images_and_payloads_are_errors() {
        let mut doc = Document::new();
        doc.image(Raster::blank(400, 8));
        assert_eq!(
            layout(&doc, &Profile::mm58()),
            Err(RenderError::ImageTooWide {
                width: 400,
                max: 384
            })
        );
        assert!(layout(&doc, &Profile::mm80_48()).is_ok());
        let mut doc = Document::new();
        doc.qr("x".repeat(5000), 4);
        assert_eq!(
            layout(&doc, &Profile::mm80_48()),
            Err(RenderError::QrTooLong { len: 5000 })
        );
        let mut doc = Document::new();
        doc.qr("é", 4);
        assert_eq!(
            layout(&doc, &Profile::mm80_48()),
            Err(RenderError::QrNotAscii)
        );
    }
}
