//! Printer profiles: paper width in columns and dots, code page, QR mode, cut and drawer settings.

use serde::{Deserialize, Serialize};

use crate::codepage::CodePage;

/// Width of one Font A character in dots; every ESC/POS thermal printer loket targets uses 12 × 24.
pub const FONT_A_DOTS: u16 = 12;

/// How QR codes are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QrMode {
    /// The printer draws the symbol itself (`GS ( k`, model 2).
    Native,
    /// loket draws the symbol and sends it as a raster image (`GS v 0`), for printers without `GS ( k`.
    Raster,
}

/// How the paper is cut at the end of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CutMode {
    /// No cutter: only feed so the paper can be torn off.
    None,
    /// Full cut (`GS V 65 n`).
    Full,
    /// Partial cut, one point left uncut (`GS V 66 n`); many cutters only do this.
    Partial,
}

/// Cash drawer kick settings for `ESC p m t1 t2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawerKick {
    /// Connector pin: 2 or 5.
    pub pin: u8,
    /// On time in units of 2 ms.
    pub on: u8,
    /// Off time in units of 2 ms.
    pub off: u8,
}

impl DrawerKick {
    /// The five bytes `ESC p m t1 t2`; pin 5 selects m = 1, anything else pin 2 (m = 0).
    ///
    /// ```
    /// use loket_receipts::DrawerKick;
    /// let kick = DrawerKick { pin: 2, on: 25, off: 250 };
    /// assert_eq!(kick.command(), [0x1B, 0x70, 0x00, 25, 250]);
    /// ```
    pub fn command(&self) -> [u8; 5] {
        let m = if self.pin == 5 { 1 } else { 0 };
        [0x1B, b'p', m, self.on, self.off]
    }
}

/// Everything loket needs to know about one kind of printer to lay out and encode a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Short name used in configuration (`58mm`, `80mm-42`, `80mm-48`).
    pub name: String,
    /// Characters per line at normal width (Font A).
    pub columns: u16,
    /// Printable width of the head in dots.
    pub dots: u16,
    /// Single-byte character table selected with `ESC t` and used to encode text.
    pub code_page: CodePage,
    /// Native or raster QR codes.
    pub qr: QrMode,
    /// Cutter behaviour.
    pub cut: CutMode,
    /// Lines fed before the cut so the last printed line clears the cutter.
    pub feed_before_cut: u8,
    /// Drawer connector and pulse timing.
    pub drawer: DrawerKick,
    /// Maximum rows per `GS v 0` strip; long images are split so slow links do not time out.
    pub strip_rows: u16,
}

impl Profile {
    /// 58 mm paper, 32 columns, 384 dots; cheap printers: raster QR, partial cut, PC858.
    pub fn mm58() -> Profile {
        Profile {
            name: "58mm".into(),
            columns: 32,
            dots: 384,
            code_page: CodePage::Pc858,
            qr: QrMode::Raster,
            cut: CutMode::Partial,
            feed_before_cut: 3,
            drawer: DrawerKick {
                pin: 2,
                on: 25,
                off: 250,
            },
            strip_rows: 128,
        }
    }

    /// 80 mm paper laid out in 42 columns (printers set to 42 columns, such as the TM-T88 family),
    /// 576 dots; native QR, partial cut, WPC1252.
    pub fn mm80_42() -> Profile {
        Profile {
            name: "80mm-42".into(),
            columns: 42,
            dots: 576,
            code_page: CodePage::Wpc1252,
            qr: QrMode::Native,
            cut: CutMode::Partial,
            feed_before_cut: 4,
            drawer: DrawerKick {
                pin: 2,
                on: 25,
                off: 250,
            },
            strip_rows: 128,
        }
    }

    /// 80 mm paper, 48 columns, 576 dots; native QR, full cut, PC858, drawer on pin 5.
    pub fn mm80_48() -> Profile {
        Profile {
            name: "80mm-48".into(),
            columns: 48,
            dots: 576,
            code_page: CodePage::Pc858,
            qr: QrMode::Native,
            cut: CutMode::Full,
            feed_before_cut: 4,
            drawer: DrawerKick {
                pin: 5,
                on: 50,
                off: 250,
            },
            strip_rows: 128,
        }
    }

    /// The built-in profiles, in the order above.
    pub fn builtin() -> Vec<Profile> {
        vec![Profile::mm58(), Profile::mm80_42(), Profile::mm80_48()]
    }

    /// A built-in profile by name.
    ///
    /// ```
    /// use loket_receipts::Profile;
    /// assert_eq!(Profile::by_name("80mm-48").map(|p| p.columns), Some(48));
    /// assert!(Profile::by_name("57mm").is_none());
    /// ```
    pub fn by_name(name: &str) -> Option<Profile> {
        Profile::builtin().into_iter().find(|p| p.name == name)
    }

    /// Width in dots of the area the layout uses: `columns` Font A characters, never more than the head.
    pub fn area_dots(&self) -> u16 {
        self.columns.saturating_mul(FONT_A_DOTS).min(self.dots)
    }

    /// Left margin in dots that centres the layout area on the head (0 when the layout fills it).
    pub fn left_margin_dots(&self) -> u16 {
        (self.dots - self.area_dots()) / 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_and_margin() {
        let p = Profile::mm80_42();
        assert_eq!(p.area_dots(), 504);
        assert_eq!(p.left_margin_dots(), 36);
        let p = Profile::mm80_48();
        assert_eq!((p.area_dots(), p.left_margin_dots()), (576, 0));
        let p = Profile::mm58();
        assert_eq!((p.area_dots(), p.left_margin_dots()), (384, 0));
    }

    #[test]
    fn drawer_kick_is_five_bytes_with_timing() {
        let p = Profile::mm80_48();
        assert_eq!(p.drawer.command(), [0x1B, 0x70, 0x01, 50, 250]);
    }
}
