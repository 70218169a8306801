//! The printer-neutral document: blocks of styled text, rows, separators, QR codes, images, feeds, cuts.

use serde::{Deserialize, Serialize};

/// Horizontal alignment of a text block, QR code or image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Align {
    /// Flush left (the printer's default).
    #[default]
    Left,
    /// Centred on the paper.
    Center,
    /// Flush right.
    Right,
}

/// Character style: emphasis and the printer's character magnification.
///
/// `width` and `height` are multipliers of the base font (1 to 8, as `GS !` allows).
/// A character printed `width` times wide takes `width` columns of the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Style {
    /// Emphasised (bold) printing.
    pub bold: bool,
    /// Horizontal magnification, 1..=8.
    pub width: u8,
    /// Vertical magnification, 1..=8.
    pub height: u8,
}

impl Default for Style {
    fn default() -> Self {
        Self::NORMAL
    }
}

impl Style {
    /// Plain text.
    pub const NORMAL: Style = Style {
        bold: false,
        width: 1,
        height: 1,
    };
    /// Bold text at normal size.
    pub const BOLD: Style = Style {
        bold: true,
        width: 1,
        height: 1,
    };
    /// Bold, double width and double height: headings and totals.
    pub const DOUBLE: Style = Style {
        bold: true,
        width: 2,
        height: 2,
    };
    /// Normal width, double height: prominent without taking more columns.
    pub const TALL: Style = Style {
        bold: true,
        width: 1,
        height: 2,
    };

    /// A style with the given magnification, clamped to the printer's range 1..=8.
    ///
    /// ```
    /// use loket_receipts::Style;
    /// let huge = Style::size(4, 4);
    /// assert_eq!((huge.width, huge.height), (4, 4));
    /// assert_eq!(Style::size(0, 12).width, 1);
    /// ```
    pub fn size(width: u8, height: u8) -> Style {
        Style {
            bold: true,
            width: width.clamp(1, 8),
            height: height.clamp(1, 8),
        }
    }

    /// Width multiplier clamped to 1..=8 (fields are public, so a caller may have set 0).
    pub fn columns_per_char(&self) -> usize {
        usize::from(self.width.clamp(1, 8))
    }
}

/// A monochrome bitmap, one bit per printer dot, rows packed MSB first (the `GS v 0` layout).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Raster {
    width: u32,
    height: u32,
    bits: Vec<u8>,
}

impl Raster {
    /// An all-white raster of `width` × `height` dots.
    pub fn blank(width: u32, height: u32) -> Raster {
        let row = width.div_ceil(8) as usize;
        Raster {
            width,
            height,
            bits: vec![0; row * height as usize],
        }
    }

    /// Builds a raster from packed rows; `None` when `bits` does not hold exactly
    /// `ceil(width / 8) × height` bytes.
    pub fn from_packed(width: u32, height: u32, bits: Vec<u8>) -> Option<Raster> {
        let expected = (width.div_ceil(8) as usize).checked_mul(height as usize)?;
        (bits.len() == expected).then_some(Raster {
            width,
            height,
            bits,
        })
    }

    /// Width in dots.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in dots.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Bytes per row (`ceil(width / 8)`).
    pub fn row_bytes(&self) -> usize {
        self.width.div_ceil(8) as usize
    }

    /// The packed rows, top to bottom.
    pub fn packed(&self) -> &[u8] {
        &self.bits
    }

    /// Whether the dot at (`x`, `y`) is black; dots outside the raster are white.
    pub fn get(&self, x: u32, y: u32) -> bool {
        if x >= self.width || y >= self.height {
            return false;
        }
        let byte = self.bits[y as usize * self.row_bytes() + (x / 8) as usize];
        byte & (0x80 >> (x % 8)) != 0
    }

    /// Sets the dot at (`x`, `y`); dots outside the raster are ignored.
    pub fn set(&mut self, x: u32, y: u32, black: bool) {
        if x >= self.width || y >= self.height {
            return;
        }
        let index = y as usize * self.row_bytes() + (x / 8) as usize;
        let mask = 0x80 >> (x % 8);
        if black {
            self.bits[index] |= mask;
        } else {
            self.bits[index] &= !mask;
        }
    }
}

/// One block of a document, printed top to bottom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Block {
    /// A paragraph, word-wrapped to the line width available at its style.
    Text {
        /// The words; `\n` forces a line break.
        text: String,
        /// Character style for the whole paragraph.
        style: Style,
        /// Alignment of every wrapped line.
        align: Align,
    },
    /// A two-column row: the label flush left, the value flush right.
    Row {
        /// Left column; wraps onto further lines when it does not fit beside the value.
        label: String,
        /// Right column, kept on one line.
        value: String,
        /// Character style for both columns.
        style: Style,
    },
    /// A full-width line of one repeated character, such as `-` or `=`.
    Separator(char),
    /// A QR code; `module` is the size of one module in dots (1..=16).
    Qr {
        /// The payload, ASCII (QRIS strings, URLs).
        data: String,
        /// Dots per module.
        module: u8,
    },
    /// A bitmap, centred.
    Image(Raster),
    /// Blank lines.
    Feed(u8),
    /// Cut the paper here (the profile decides full or partial and how far to feed first).
    Cut,
    /// Pulse the cash drawer (pin and timing come from the profile).
    DrawerPulse,
}

/// A printer-neutral document: what a ticket or receipt says and in which order.
///
/// ```
/// use loket_receipts::{Align, Document, Style};
/// let mut doc = Document::new();
/// doc.text("KANTOR POS BANDUNG", Style::BOLD, Align::Center)
///     .separator('-')
///     .row("Total", "Rp10.000", Style::NORMAL)
///     .cut();
/// assert_eq!(doc.blocks().len(), 4);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    blocks: Vec<Block>,
}

impl Document {
    /// An empty document.
    pub fn new() -> Document {
        Document::default()
    }

    /// The blocks in print order.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// Appends any block.
    pub fn push(&mut self, block: Block) -> &mut Self {
        self.blocks.push(block);
        self
    }

    /// Appends a paragraph.
    pub fn text(&mut self, text: impl Into<String>, style: Style, align: Align) -> &mut Self {
        self.push(Block::Text {
            text: text.into(),
            style,
            align,
        })
    }

    /// Appends a two-column row.
    pub fn row(
        &mut self,
        label: impl Into<String>,
        value: impl Into<String>,
        style: Style,
    ) -> &mut Self {
        self.push(Block::Row {
            label: label.into(),
            value: value.into(),
            style,
        })
    }

    /// Appends a full-width separator line.
    pub fn separator(&mut self, ch: char) -> &mut Self {
        self.push(Block::Separator(ch))
    }

    /// Appends a QR code with `module` dots per module.
    pub fn qr(&mut self, data: impl Into<String>, module: u8) -> &mut Self {
        self.push(Block::Qr {
            data: data.into(),
            module,
        })
    }

    /// Appends a bitmap.
    pub fn image(&mut self, raster: Raster) -> &mut Self {
        self.push(Block::Image(raster))
    }

    /// Appends `lines` blank lines.
    pub fn feed(&mut self, lines: u8) -> &mut Self {
        self.push(Block::Feed(lines))
    }

    /// Appends a cut.
    pub fn cut(&mut self) -> &mut Self {
        self.push(Block::Cut)
    }

    /// Appends a cash-drawer pulse.
    pub fn drawer_pulse(&mut self) -> &mut Self {
        self.push(Block::DrawerPulse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raster_bits_round_trip() {
        let mut r = Raster::blank(10, 3);
        assert_eq!(r.row_bytes(), 2);
        r.set(0, 0, true);
        r.set(9, 2, true);
        r.set(10, 0, true); // outside: ignored
        assert!(r.get(0, 0));
        assert!(r.get(9, 2));
        assert!(!r.get(1, 0));
        assert_eq!(r.packed(), &[0x80, 0, 0, 0, 0, 0x40]);
        r.set(0, 0, false);
        assert!(!r.get(0, 0));
    }

    #[test]
    fn from_packed_checks_length() {
        assert!(Raster::from_packed(9, 2, vec![0; 4]).is_some());
        assert!(Raster::from_packed(9, 2, vec![0; 3]).is_none());
    }
}
