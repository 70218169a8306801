//! The virtual printer's paper: applies print commands to modes, lines and pictures, and renders jobs as text and PNG.
//!
//! Text follows the same rules as loket's receipt preview: a character `w` times wide is the
//! character and `w - 1` spaces; centred lines get `(columns - width) / 2` spaces; a native QR
//! code is `[QR]`, a bitmap `[gambar WxH]`; trailing spaces and trailing blank lines are dropped.

use super::codepage;
use super::parse::Cmd;

/// Width of a Font A character in dots.
const FONT_A_DOTS: u16 = 12;
/// Blank dots between pictures in the PNG.
const PNG_GAP: u32 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Center,
    Right,
}

/// A monochrome picture placed on the paper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    /// Dots from the left edge of the head.
    pub x: u32,
    /// Width in dots.
    pub width: u32,
    /// Height in dots.
    pub height: u32,
    /// Row-major, `true` = black.
    pub dots: Vec<bool>,
}

/// What a finished job looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Text, one `\n`-terminated line per printed line.
    pub text: String,
    /// Pictures (raster images and QR codes), top to bottom.
    pub pictures: Vec<Picture>,
}

struct RasterAcc {
    row_bytes: u16,
    rows: u32,
    data: Vec<u8>,
    align: Align,
}

/// Printer modes and the current job's content.
pub struct Page {
    dots: u16,
    pictures_on: bool,
    margin: u16,
    area: Option<u16>,
    table: u8,
    bold: bool,
    size: (u8, u8),
    align: Align,
    line: Vec<(char, u8)>,
    line_align: Align,
    lines: Vec<String>,
    raster: Option<RasterAcc>,
    pictures: Vec<Picture>,
    qr_data: Vec<u8>,
    qr_module: u8,
    qr_level: u8,
    /// Commands the virtual printer did not know, for diagnostics.
    pub unknown: Vec<(u8, u8)>,
}

impl Page {
    /// A page for a head `dots` wide, in the power-on state. Without `pictures` QR codes and
    /// images only leave their text placeholder (drawing a QR symbol costs a millisecond or two).
    pub fn new(dots: u16, pictures: bool) -> Page {
        Page {
            dots,
            pictures_on: pictures,
            margin: 0,
            area: None,
            table: 0,
            bold: false,
            size: (1, 1),
            align: Align::Left,
            line: Vec::new(),
            line_align: Align::Left,
            lines: Vec::new(),
            raster: None,
            pictures: Vec::new(),
            qr_data: Vec::new(),
            qr_module: 3,
            qr_level: 48,
            unknown: Vec::new(),
        }
    }

    fn area_dots(&self) -> u16 {
        let available = self.dots.saturating_sub(self.margin);
        self.area.map_or(available, |a| a.min(available))
    }

    fn columns(&self) -> usize {
        usize::from((self.area_dots() / FONT_A_DOTS).max(1))
    }

    /// Whether the current job has printed anything yet.
    pub fn has_content(&self) -> bool {
        !self.lines.is_empty()
            || !self.line.is_empty()
            || self.raster.is_some()
            || !self.pictures.is_empty()
    }

    /// Applies a print command (not status requests or drawer kicks, which the caller handles).
    pub fn apply(&mut self, cmd: &Cmd<'_>) {
        if !matches!(
            cmd,
            Cmd::Raster { .. }
                | Cmd::Bold(_)
                | Cmd::Size(_)
                | Cmd::PrintMode(_)
                | Cmd::Justify(_)
                | Cmd::CodePage(_)
                | Cmd::Ignored
        ) {
            self.finish_raster();
        }
        match cmd {
            Cmd::Text(bytes) => {
                if self.line.is_empty() {
                    self.line_align = self.align;
                }
                let w = self.size.0;
                self.line
                    .extend(bytes.iter().map(|b| (codepage::decode(self.table, *b), w)));
            }
            Cmd::Tab => {
                if self.line.is_empty() {
                    self.line_align = self.align;
                }
                self.line.push((' ', self.size.0));
            }
            Cmd::LineFeed | Cmd::FeedDots => self.print_line(),
            Cmd::FeedLines(n) => {
                let blank = if self.line.is_empty() {
                    usize::from(*n)
                } else {
                    self.print_line();
                    usize::from(n.saturating_sub(1))
                };
                self.lines.extend(std::iter::repeat_n(String::new(), blank));
            }
            Cmd::Init => {
                let (keep_dots, keep_pictures) = (self.dots, self.pictures_on);
                let lines = std::mem::take(&mut self.lines);
                let pictures = std::mem::take(&mut self.pictures);
                let unknown = std::mem::take(&mut self.unknown);
                // ESC @ clears the line buffer and all modes, but not what is already on paper.
                *self = Page::new(keep_dots, keep_pictures);
                self.lines = lines;
                self.pictures = pictures;
                self.unknown = unknown;
            }
            Cmd::CodePage(n) => self.table = *n,
            Cmd::Bold(on) => self.bold = *on,
            Cmd::PrintMode(n) => {
                self.bold = n & 0x08 != 0;
                self.size = (1 + u8::from(n & 0x20 != 0), 1 + u8::from(n & 0x10 != 0));
            }
            Cmd::Justify(n) => {
                self.align = match n {
                    1 | 49 => Align::Center,
                    2 | 50 => Align::Right,
                    _ => Align::Left,
                }
            }
            Cmd::Size(n) => self.size = ((n >> 4) + 1, (n & 0x0F) + 1),
            Cmd::LeftMargin(m) => self.margin = *m,
            Cmd::AreaWidth(w) => self.area = Some(*w),
            Cmd::Raster {
                row_bytes,
                rows,
                data,
            } => match &mut self.raster {
                Some(acc) if acc.row_bytes == *row_bytes => {
                    acc.rows += u32::from(*rows);
                    acc.data.extend_from_slice(data);
                }
                _ => {
                    self.finish_raster();
                    self.raster = Some(RasterAcc {
                        row_bytes: *row_bytes,
                        rows: u32::from(*rows),
                        data: data.to_vec(),
                        align: self.align,
                    });
                }
            },
            Cmd::Qr { function, params } => self.qr(*function, params),
            Cmd::Cut { .. }
            | Cmd::DrawerKick { .. }
            | Cmd::RealTimeKick { .. }
            | Cmd::StatusRequest(_)
            | Cmd::TransmitStatus(_)
            | Cmd::Ignored => {}
            Cmd::Unknown(a, b) => self.unknown.push((*a, *b)),
        }
    }

    fn qr(&mut self, function: u8, params: &[u8]) {
        match (function, params) {
            (67, [n, ..]) => self.qr_module = *n,
            (69, [n, ..]) => self.qr_level = *n,
            (80, [_m, data @ ..]) => self.qr_data = data.to_vec(),
            (81, _) => {
                if self.line.is_empty() {
                    self.line_align = self.align;
                }
                if !self.pictures_on {
                    self.placeholder("[QR]".into(), self.align);
                    return;
                }
                let level = match self.qr_level {
                    48 => qrcode::EcLevel::L,
                    50 => qrcode::EcLevel::Q,
                    51 => qrcode::EcLevel::H,
                    _ => qrcode::EcLevel::M,
                };
                match qrcode::QrCode::with_error_correction_level(&self.qr_data, level) {
                    Ok(code) => {
                        let m = u32::from(self.qr_module.max(1));
                        // fits: a QR code is at most 177 modules wide.
                        #[allow(clippy::cast_possible_truncation)]
                        let side = code.width() as u32;
                        let colors = code.to_colors();
                        let size = side * m;
                        let mut dots = vec![false; (size * size) as usize];
                        for y in 0..size {
                            for x in 0..size {
                                let c = colors[((y / m) * side + x / m) as usize];
                                dots[(y * size + x) as usize] = c == qrcode::Color::Dark;
                            }
                        }
                        self.place(size, size, dots, self.align);
                        self.placeholder("[QR]".into(), self.align);
                    }
                    Err(_) => self.placeholder("[QR tidak valid]".into(), self.align),
                }
            }
            _ => {}
        }
    }

    fn place(&mut self, width: u32, height: u32, dots: Vec<bool>, align: Align) {
        let area = u32::from(self.area_dots());
        let free = area.saturating_sub(width);
        let pad = match align {
            Align::Left => 0,
            Align::Center => free / 2,
            Align::Right => free,
        };
        self.pictures.push(Picture {
            x: u32::from(self.margin) + pad,
            width,
            height,
            dots,
        });
    }

    fn placeholder(&mut self, text: String, align: Align) {
        let columns = self.columns();
        let free = columns.saturating_sub(text.chars().count());
        let pad = match align {
            Align::Left => 0,
            Align::Center => free / 2,
            Align::Right => free,
        };
        self.lines.push(format!("{}{text}", " ".repeat(pad)));
    }

    fn finish_raster(&mut self) {
        let Some(acc) = self.raster.take() else {
            return;
        };
        let width = u32::from(acc.row_bytes) * 8;
        if !self.pictures_on {
            self.placeholder(format!("[gambar {}x{}]", width, acc.rows), acc.align);
            return;
        }
        let rb = usize::from(acc.row_bytes);
        let mut dots = Vec::with_capacity((width * acc.rows) as usize);
        for row in acc.data.chunks(rb.max(1)) {
            for x in 0..width as usize {
                dots.push(row[x / 8] & (0x80 >> (x % 8)) != 0);
            }
        }
        // The command carries whole bytes; loket's own images are padded to them too, so the
        // text shows the padded width, as the receipt preview does.
        self.place(width, acc.rows, dots, acc.align);
        self.placeholder(format!("[gambar {}x{}]", width, acc.rows), acc.align);
    }

    fn print_line(&mut self) {
        if self.line.is_empty() {
            self.lines.push(String::new());
            return;
        }
        let columns = self.columns();
        let line = std::mem::take(&mut self.line);
        // A line wider than the paper wraps, as on the printer.
        let mut chunk: Vec<(char, u8)> = Vec::new();
        let mut width = 0usize;
        let mut chunks = Vec::new();
        for (c, w) in line {
            let w_cols = usize::from(w.max(1));
            if width + w_cols > columns && !chunk.is_empty() {
                chunks.push((std::mem::take(&mut chunk), width));
                width = 0;
            }
            chunk.push((c, w));
            width += w_cols;
        }
        chunks.push((chunk, width));
        for (chunk, width) in chunks {
            let free = columns.saturating_sub(width);
            let pad = match self.line_align {
                Align::Left => 0,
                Align::Center => free / 2,
                Align::Right => free,
            };
            let mut s = " ".repeat(pad);
            for (c, w) in chunk {
                s.push(c);
                s.extend(std::iter::repeat_n(' ', usize::from(w.max(1)) - 1));
            }
            self.lines.push(s);
        }
    }

    /// Ends the job: what was printed so far. A line still in the buffer (no LF yet) is
    /// printed only when `flush_line` is set (a cut prints it; paper running out loses it).
    pub fn take_job(&mut self, flush_line: bool, marker: Option<&str>) -> Rendered {
        if flush_line && !self.line.is_empty() {
            self.print_line();
        }
        self.line.clear();
        self.finish_raster();
        let mut lines = std::mem::take(&mut self.lines);
        if let Some(m) = marker {
            lines.push(m.to_string());
        }
        for l in &mut lines {
            let keep = l.trim_end().len();
            l.truncate(keep);
        }
        while lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        let mut text = lines.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        Rendered {
            text,
            pictures: std::mem::take(&mut self.pictures),
        }
    }
}

/// Renders pictures stacked top to bottom on a head `dots` wide as a 1-bit grey PNG.
pub fn render_png(pictures: &[Picture], dots: u16) -> Result<Vec<u8>, png::EncodingError> {
    let width = u32::from(dots).max(pictures.iter().map(|p| p.x + p.width).max().unwrap_or(1));
    let height: u32 = pictures.iter().map(|p| p.height + PNG_GAP).sum::<u32>() + PNG_GAP;
    let row_bytes = width.div_ceil(8) as usize;
    // 1-bit grey: a set bit is white, so start all white and clear the black dots.
    let mut rows = vec![0xFFu8; row_bytes * height as usize];
    let mut top = PNG_GAP;
    for p in pictures {
        for y in 0..p.height {
            let row = (top + y) as usize * row_bytes;
            for x in 0..p.width {
                if p.dots[(y * p.width + x) as usize] {
                    let px = (p.x + x) as usize;
                    rows[row + px / 8] &= !(0x80 >> (px % 8));
                }
            }
        }
        top += p.height + PNG_GAP;
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::One);
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&rows)?;
        writer.finish()?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse;
    use super::*;

    fn run(bytes: &[u8]) -> Rendered {
        run_on(384, bytes)
    }

    fn run_on(dots: u16, bytes: &[u8]) -> Rendered {
        let mut page = Page::new(dots, true);
        let mut rest = bytes;
        while !rest.is_empty() {
            let (cmd, n) = parse(rest).expect("complete test input");
            page.apply(&cmd);
            rest = &rest[n..];
        }
        page.take_job(true, None)
    }

    #[test]
    fn text_alignment_sizes_and_code_page() {
        let r = run(
            b"\x1b@\x1bt\x13\x1ba\x01AB\n\x1ba\x02\x1d!\x11XY\n\x1ba\x00\x1d!\x00\x82t\xe9\n\n\n",
        );
        assert_eq!(
            r.text,
            format!("{}AB\n{}X Y\nétÚ\n", " ".repeat(15), " ".repeat(28))
        );
    }

    #[test]
    fn feed_lines_and_wrapping() {
        let r = run(b"a\x1bd\x02b\n\x1bd\x02c\n");
        assert_eq!(r.text, "a\n\nb\n\n\nc\n");
        let long = vec![b'x'; 40];
        let r = run(&[long.as_slice(), b"\n"].concat());
        assert_eq!(r.text, format!("{}\n{}\n", "x".repeat(32), "x".repeat(8)));
    }

    #[test]
    fn raster_strips_merge_into_one_picture() {
        let r = run(
            b"\x1ba\x01\x1dv0\x00\x02\x00\x01\x00\xff\xff\x1dv0\x00\x02\x00\x01\x00\x80\x01\nz\n",
        );
        assert_eq!(
            r.text,
            format!("{}[gambar 16x2]\n\n{}z\n", " ".repeat(9), " ".repeat(15))
        );
        assert_eq!(r.pictures.len(), 1);
        let p = &r.pictures[0];
        assert_eq!((p.x, p.width, p.height), ((384 - 16) / 2, 16, 2));
        assert!(p.dots[16] && !p.dots[17] && p.dots[31]);
    }

    #[test]
    fn qr_codes_print_a_placeholder_and_a_picture() {
        let r = run(b"\x1ba\x01\x1d(k\x04\x001A2\x00\x1d(k\x03\x001C\x04\x1d(k\x08\x001P0A-007\x1d(k\x03\x001Q0");
        assert_eq!(r.text, format!("{}[QR]\n", " ".repeat(14)));
        assert_eq!(r.pictures[0].width, 21 * 4);
        let png = render_png(&r.pictures, 384).expect("encodes");
        assert!(png.starts_with(b"\x89PNG"));
    }

    #[test]
    fn print_area_sets_columns() {
        let r = run_on(576, b"\x1dL\x24\x00\x1dW\xf8\x01\x1ba\x02ab\n");
        assert_eq!(r.text, format!("{}ab\n", " ".repeat(40)));
    }

    #[test]
    fn an_unfinished_line_is_lost_when_paper_runs_out() {
        let mut page = Page::new(384, true);
        for cmd in [Cmd::Text(b"done"), Cmd::LineFeed, Cmd::Text(b"half")] {
            page.apply(&cmd);
        }
        assert_eq!(
            page.take_job(false, Some("[KERTAS HABIS]")).text,
            "done\n[KERTAS HABIS]\n"
        );
    }
}
