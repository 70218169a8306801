//! Page pictures: a page of the customer's PDF rasterised small (hayro, pure Rust) into how dark
//! each pixel is, as the reader shows the page (turned by `/Rotate`). The counter's placement
//! preview draws them with half-blocks; the proposal looks for the emptiest part of a scanned page
//! on one ([`super::placement`]).

use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::{Pdf, PdfData};
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::{PixmapSettings, RenderCache, RenderSettings};

/// A page drawn small: how dark each pixel is, 0 paper to 255 ink, row by row from the top.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raster {
    pub width: u16,
    pub height: u16,
    pub ink: Vec<u8>,
}

impl Raster {
    /// The darkest pixel of the part of the page from `(x0, y0)` to `(x1, y1)`, given as fractions
    /// `numerator / denominator` of the page's width and height (at least one pixel is read). The
    /// darkest, not the mean: a short line of small type must still show in a cell that covers
    /// several millimetres.
    pub fn darkest(&self, x0: i64, x1: i64, y0: i64, y1: i64, wden: i64, hden: i64) -> u8 {
        let (w, h) = (i64::from(self.width), i64::from(self.height));
        if w == 0 || h == 0 || wden <= 0 || hden <= 0 {
            return 0;
        }
        let px0 = (x0 * w / wden).clamp(0, w - 1);
        let px1 = ((x1 * w + wden - 1) / wden).clamp(px0 + 1, w);
        let py0 = (y0 * h / hden).clamp(0, h - 1);
        let py1 = ((y1 * h + hden - 1) / hden).clamp(py0 + 1, h);
        (py0..py1)
            .flat_map(|y| (px0..px1).map(move |x| y * w + x))
            .filter_map(|i| self.ink.get(usize::try_from(i).ok()?).copied())
            .max()
            .unwrap_or(0)
    }
}

/// Width of a page picture in pixels: more than the widest preview needs (one pixel per column),
/// few enough to render a page in a few milliseconds.
pub const WIDTH_PX: f32 = 120.0;

/// Pages rendered per document; later pages show the text preview instead.
pub const MAX_PAGES: usize = 30;

/// One picture per page (up to [`MAX_PAGES`]), `None` for a page that could not be drawn. Empty
/// when the rasterizer cannot read the file (an encrypted PDF, for one); the screen then shows the
/// text preview.
///
/// `data` is shared, not copied (a scan can be 50 MB): pass an `Arc` of the bytes.
pub fn pages(data: impl Into<PdfData>) -> Vec<Option<Raster>> {
    // The rasterizer is young; a panic inside it must cost the picture, not the counter's worker
    // or the clerk's screen: the panic is caught here, and the panic hook (see `contained_panic`)
    // leaves the terminal alone while it happens.
    let data = data.into();
    contained(|| render_all(data))
}

/// The 0-based page `index` drawn `width_px` pixels wide, or `None` when it cannot be drawn.
pub(crate) fn page(data: impl Into<PdfData>, index: usize, width_px: f32) -> Option<Raster> {
    let data = data.into();
    contained(|| {
        let pdf = Pdf::new(data).ok()?;
        let page = pdf.pages().get(index)?;
        draw(page, &RenderCache::new(), width_px)
    })
}

/// Runs `f`, turning a panic into `T::default()` and marking the thread for the panic hook.
fn contained<T: Default>(f: impl FnOnce() -> T) -> T {
    RENDERING.with(|r| r.set(true));
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_default();
    RENDERING.with(|r| r.set(false));
    out
}

thread_local! {
    /// Set while this thread is inside the rasterizer.
    static RENDERING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the panic being reported happens inside [`pages`], which catches it. The UI's panic
/// hook uses this to skip restoring the terminal (and printing over the screen) for a panic that
/// only costs a page picture.
pub fn contained_panic() -> bool {
    RENDERING.with(std::cell::Cell::get)
}

fn render_all(data: PdfData) -> Vec<Option<Raster>> {
    let Ok(pdf) = Pdf::new(data) else {
        return Vec::new();
    };
    let cache = RenderCache::new();
    pdf.pages()
        .iter()
        .take(MAX_PAGES)
        .map(|page| draw(page, &cache, WIDTH_PX))
        .collect()
}

fn draw<'a>(
    page: &'a hayro::hayro_syntax::page::Page<'a>,
    cache: &RenderCache<'a>,
    width_px: f32,
) -> Option<Raster> {
    let (w, h) = page.render_dimensions();
    if !(w >= 1.0 && h >= 1.0) {
        return None;
    }
    // The rasterizer truncates width × scale to whole pixels; half a pixel more keeps the
    // picture exactly `width_px` wide.
    let scale = (width_px + 0.5) / w;
    let pixmap = hayro::render(
        page,
        cache,
        &InterpreterSettings::default(),
        &RenderSettings::default(),
        &PixmapSettings {
            x_scale: scale,
            y_scale: scale,
            bg_color: WHITE,
        },
    );
    let ink = pixmap
        .data()
        .iter()
        .map(|p| {
            // Luma of the pixel over white paper (premultiplied: add the paper's share).
            let paper = 255 - u32::from(p.a);
            let luma = (299 * (u32::from(p.r) + paper)
                + 587 * (u32::from(p.g) + paper)
                + 114 * (u32::from(p.b) + paper))
                / 1000;
            255 - luma.min(255) as u8
        })
        .collect();
    Some(Raster {
        width: pixmap.width(),
        height: pixmap.height(),
        ink,
    })
}

#[cfg(test)]
mod guard_tests {
    use super::*;

    #[test]
    fn a_panic_inside_the_guard_is_contained_and_marked() {
        assert!(!contained_panic());
        let seen_inside = std::cell::Cell::new(false);
        let out: Vec<u8> = contained(|| {
            seen_inside.set(contained_panic());
            panic!("rasterizer failure");
        });
        assert!(out.is_empty(), "a panic gives the empty default");
        assert!(seen_inside.get(), "the hook can see the panic is contained");
        assert!(!contained_panic(), "the mark is cleared after the guard");
        assert_eq!(
            contained(|| vec![1u8]),
            vec![1u8],
            "no panic, the value passes through"
        );
    }
}
