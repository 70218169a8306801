//! The plain-text preview: what a document prints, in fixed-width characters, as the TUI and tests show it.
//!
//! Rules (the virtual printer in `loket-drivers` renders received ESC/POS by the same rules):
//! - a character `w` times wide is the character followed by `w - 1` spaces; height is not shown;
//! - centred lines get `(columns - printed width) / 2` leading spaces, right-aligned lines the rest;
//! - a native QR code is the line `[QR]`, an image (or a raster QR) `[gambar WxH]` with its size in
//!   dots (width rounded up to whole bytes, as the printer receives it), both centred;
//! - trailing spaces of each line and trailing blank lines of the document are dropped;
//! - cuts and drawer pulses print nothing.

use crate::lines::{Line, RenderError, layout, run_columns};
use crate::model::{Align, Document};
use crate::profile::Profile;

/// The text preview of `doc` on `profile`, one `\n`-terminated line per printed line.
///
/// ```
/// use loket_receipts::{preview, Align, Document, Profile, Style};
/// let mut doc = Document::new();
/// doc.text("A-007", Style::size(2, 1), Align::Center).row("Layanan", "Meterai", Style::NORMAL);
/// let text = preview(&doc, &Profile::mm58()).unwrap();
/// let expected = format!("{}A - 0 0 7\nLayanan{}Meterai\n", " ".repeat(11), " ".repeat(18));
/// assert_eq!(text, expected);
/// ```
pub fn preview(doc: &Document, profile: &Profile) -> Result<String, RenderError> {
    let columns = usize::from(profile.columns);
    let mut out: Vec<String> = Vec::new();
    for line in layout(doc, profile)? {
        match line {
            Line::Text { align, runs } => {
                let width: usize = runs.iter().map(run_columns).sum();
                let mut s = String::with_capacity(columns + 8);
                push_pad(&mut s, align, width, columns);
                for run in &runs {
                    let extra = run.style.columns_per_char() - 1;
                    for c in run.text.chars() {
                        s.push(c);
                        s.extend(std::iter::repeat_n(' ', extra));
                    }
                }
                out.push(s);
            }
            Line::Feed(n) => out.extend(std::iter::repeat_n(String::new(), usize::from(n))),
            Line::Qr { .. } => out.push(placeholder("[QR]", columns)),
            Line::Image(r) => out.push(placeholder(
                // The printer receives whole bytes per row, so it sees the width rounded up to 8.
                &format!("[gambar {}x{}]", r.row_bytes() * 8, r.height()),
                columns,
            )),
            Line::DrawerPulse | Line::Cut => {}
        }
    }
    Ok(finish(out))
}

fn push_pad(s: &mut String, align: Align, width: usize, columns: usize) {
    let free = columns.saturating_sub(width);
    let pad = match align {
        Align::Left => 0,
        Align::Center => free / 2,
        Align::Right => free,
    };
    s.extend(std::iter::repeat_n(' ', pad));
}

fn placeholder(text: &str, columns: usize) -> String {
    let mut s = String::new();
    push_pad(&mut s, Align::Center, text.chars().count(), columns);
    s.push_str(text);
    s
}

fn finish(mut lines: Vec<String>) -> String {
    for l in &mut lines {
        let trimmed = l.trim_end().len();
        l.truncate(trimmed);
    }
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    let mut text = lines.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Raster, Style};

    #[test]
    fn alignment_and_width() {
        let mut doc = Document::new();
        doc.text("ab", Style::NORMAL, Align::Right)
            .text("ab", Style::NORMAL, Align::Center)
            .text("abc", Style::size(3, 3), Align::Center)
            .feed(2)
            .image(Raster::blank(16, 4))
            .feed(3)
            .cut();
        let mut p = Profile::mm58();
        p.columns = 10;
        assert_eq!(
            preview(&doc, &p).expect("lays out"),
            "        ab\n    ab\na  b  c\n\n\n[gambar 16x4]\n"
        );
    }
}
