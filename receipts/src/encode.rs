//! ESC/POS bytes for a document on a profile, through the `escpos` crate where its bytes are right.
//!
//! Sent directly instead (see the comment at each spot): text (the crate's PC858 table is wrong),
//! the drawer kick (the crate sends three bytes), the partial cut (the crate sends a full cut),
//! raster images (the crate needs the `image` crate and does not split strips) and the print area.

use std::cell::RefCell;
use std::rc::Rc;

use escpos::driver::Driver;
use escpos::printer::Printer;
use escpos::printer_options::PrinterOptions;
use escpos::utils::{
    JustifyMode, PageCode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption,
};

use crate::codepage::CodePage;
use crate::lines::{Line, RenderError, layout};
use crate::model::{Align, Document, Raster, Style};
use crate::profile::{CutMode, Profile};

/// Why a document could not be encoded.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// The document does not fit the profile.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The `escpos` encoder refused a command.
    #[error("escpos encoder refused a command")]
    Escpos(#[source] escpos::errors::PrinterError),
}

impl From<escpos::errors::PrinterError> for EncodeError {
    fn from(e: escpos::errors::PrinterError) -> Self {
        EncodeError::Escpos(e)
    }
}

/// Collects what the `escpos` printer would send; nothing leaves the process.
#[derive(Clone, Default)]
struct Capture(Rc<RefCell<Vec<u8>>>);

impl Driver for Capture {
    fn name(&self) -> String {
        "capture".into()
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

fn page_code(cp: CodePage) -> PageCode {
    match cp {
        CodePage::Pc858 => PageCode::PC858,
        CodePage::Wpc1252 => PageCode::WPC1252,
    }
}

fn justify(align: Align) -> JustifyMode {
    match align {
        Align::Left => JustifyMode::LEFT,
        Align::Center => JustifyMode::CENTER,
        Align::Right => JustifyMode::RIGHT,
    }
}

/// Tracks the printer's modes so each command is only sent when something changes.
struct Modes {
    align: Align,
    bold: bool,
    size: (u8, u8),
}

/// Encodes `doc` for `profile` as one buffer of ESC/POS, starting with `ESC @` and the code page.
///
/// ```
/// use loket_receipts::{encode, Align, Document, Profile, Style};
/// let mut doc = Document::new();
/// doc.text("A-007", Style::NORMAL, Align::Left).drawer_pulse();
/// let bytes = encode(&doc, &Profile::mm58()).unwrap();
/// assert_eq!(bytes, b"\x1b@\x1bt\x13A-007\n\x1bp\x00\x19\xfa");
/// ```
pub fn encode(doc: &Document, profile: &Profile) -> Result<Vec<u8>, EncodeError> {
    let lines = layout(doc, profile)?;
    let capture = Capture::default();
    let options = PrinterOptions::new(
        Some(page_code(profile.code_page)),
        None,
        profile.columns.min(255) as u8,
    );
    let mut p = Printer::new(capture.clone(), Protocol::default(), Some(options));
    // `init` sends ESC @ then ESC t n for the page code.
    p.init()?;
    let margin = profile.left_margin_dots();
    if margin > 0 {
        // GS L (left margin) and GS W (print area width), which the crate does not offer: they make
        // ESC a centre within the profile's columns when the head is wider than the layout.
        let [ml, mh] = margin.to_le_bytes();
        let [wl, wh] = profile.area_dots().to_le_bytes();
        p.custom(&[0x1D, b'L', ml, mh, 0x1D, b'W', wl, wh])?;
    }
    let mut modes = Modes {
        align: Align::Left,
        bold: false,
        size: (1, 1),
    };
    for line in &lines {
        match line {
            Line::Text { align, runs } => {
                set_align(&mut p, &mut modes, *align)?;
                let mut text = Vec::with_capacity(64);
                for run in runs {
                    set_style(&mut p, &mut modes, run.style)?;
                    // Text is encoded here, not with `Printer::write`: see the module comment.
                    text.clear();
                    text.extend(profile.code_page.encode(&run.text));
                    p.custom(&text)?;
                }
                p.custom(b"\n")?;
            }
            Line::Feed(n) => {
                if *n > 0 {
                    p.feeds(*n)?;
                }
            }
            Line::Qr { data, module } => {
                set_align(&mut p, &mut modes, Align::Center)?;
                // Model 2 explicitly: the crate's default option is model 1.
                p.qrcode_option(
                    data,
                    QRCodeOption::new(QRCodeModel::Model2, *module, QRCodeCorrectionLevel::M),
                )?;
            }
            Line::Image(raster) => {
                set_align(&mut p, &mut modes, Align::Center)?;
                for strip in strips(raster, profile.strip_rows) {
                    p.custom(&strip)?;
                }
            }
            Line::DrawerPulse => {
                // Five bytes: the crate's `cash_drawer` omits t1 and t2, and the printer would then
                // swallow the next two bytes of the job.
                p.custom(&profile.drawer.command())?;
            }
            Line::Cut => {
                if profile.feed_before_cut > 0 {
                    p.feeds(profile.feed_before_cut)?;
                }
                match profile.cut {
                    CutMode::None => {}
                    CutMode::Full => {
                        // GS V 65 0: feed to the cutter, full cut.
                        p.custom(&[0x1D, b'V', 65, 0])?;
                    }
                    CutMode::Partial => {
                        // GS V 66 0: feed to the cutter, partial cut (the crate sends 65, a full cut).
                        p.custom(&[0x1D, b'V', 66, 0])?;
                    }
                }
            }
        }
    }
    p.print()?;
    drop(p);
    Ok(capture.0.take())
}

fn set_align(p: &mut Printer<Capture>, modes: &mut Modes, align: Align) -> Result<(), EncodeError> {
    if modes.align != align {
        p.justify(justify(align))?;
        modes.align = align;
    }
    Ok(())
}

fn set_style(p: &mut Printer<Capture>, modes: &mut Modes, style: Style) -> Result<(), EncodeError> {
    if modes.bold != style.bold {
        p.bold(style.bold)?;
        modes.bold = style.bold;
    }
    let size = (style.width.clamp(1, 8), style.height.clamp(1, 8));
    if modes.size != size {
        p.size(size.0, size.1)?;
        modes.size = size;
    }
    Ok(())
}

/// `GS v 0` commands for `raster`, at most `max_rows` rows each, top to bottom.
///
/// ```
/// use loket_receipts::{raster_strips, Raster};
/// let strips = raster_strips(&Raster::blank(16, 5), 2);
/// assert_eq!(strips.len(), 3);
/// assert_eq!(&strips[0][..8], &[0x1D, 0x76, 0x30, 0x00, 2, 0, 2, 0]);
/// assert_eq!(&strips[2][..8], &[0x1D, 0x76, 0x30, 0x00, 2, 0, 1, 0]);
/// ```
pub fn strips(raster: &Raster, max_rows: u16) -> Vec<Vec<u8>> {
    let row_bytes = raster.row_bytes();
    let max_rows = usize::from(max_rows.max(1));
    // fits: a raster put on a receipt is at most the printable width, a u16 of dots (checked when
    // its line is built), so its row is at most 8 192 bytes.
    #[allow(clippy::cast_possible_truncation)]
    let [xl, xh] = (row_bytes as u16).to_le_bytes();
    raster
        .packed()
        .chunks(row_bytes.max(1) * max_rows)
        .map(|chunk| {
            // fits: a chunk holds at most `max_rows` rows, which came as a u16.
            #[allow(clippy::cast_possible_truncation)]
            let rows = (chunk.len() / row_bytes.max(1)) as u16;
            let [yl, yh] = rows.to_le_bytes();
            let mut cmd = Vec::with_capacity(8 + chunk.len());
            cmd.extend_from_slice(&[0x1D, b'v', b'0', 0, xl, xh, yl, yh]);
            cmd.extend_from_slice(chunk);
            cmd
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_are_sent_only_on_change() {
        let mut doc = Document::new();
        doc.text("a", Style::BOLD, Align::Center)
            .text("b", Style::BOLD, Align::Center)
            .text("c", Style::size(2, 3), Align::Left)
            .text("d", Style::NORMAL, Align::Left);
        let bytes = encode(&doc, &Profile::mm58()).expect("encodes");
        let expected: &[u8] = b"\x1b@\x1bt\x13\
            \x1ba\x01\x1bE\x01a\nb\n\
            \x1ba\x00\x1d!\x12c\n\
            \x1bE\x00\x1d!\x00d\n";
        assert_eq!(bytes, expected);
    }

    #[test]
    fn cut_partial_full_none() {
        let mut doc = Document::new();
        doc.cut();
        let tail = |p: Profile| {
            let b = encode(&doc, &p).expect("encodes");
            b[b.len() - 4..].to_vec()
        };
        assert_eq!(tail(Profile::mm58()), [0x1D, 0x56, 66, 0]);
        assert_eq!(tail(Profile::mm80_48()), [0x1D, 0x56, 65, 0]);
        let mut p = Profile::mm58();
        p.cut = CutMode::None;
        assert_eq!(tail(p), [19, 0x1B, 0x64, 3]);
    }

    #[test]
    fn native_qr_is_model_2() {
        let mut doc = Document::new();
        doc.qr("A-007", 6);
        let bytes = encode(&doc, &Profile::mm80_48()).expect("encodes");
        let model2 = [0x1D, 0x28, 0x6B, 4, 0, 49, 65, 50, 0];
        assert!(
            bytes.windows(model2.len()).any(|w| w == model2),
            "{bytes:02x?}"
        );
        let store = [
            0x1D, 0x28, 0x6B, 8, 0, 49, 80, 48, b'A', b'-', b'0', b'0', b'7',
        ];
        assert!(bytes.windows(store.len()).any(|w| w == store));
    }

    #[test]
    fn print_area_is_set_when_layout_is_narrower_than_the_head() {
        let bytes = encode(&Document::new(), &Profile::mm80_42()).expect("encodes");
        assert_eq!(bytes, b"\x1b@\x1bt\x10\x1dL\x24\x00\x1dW\xf8\x01");
    }
}
