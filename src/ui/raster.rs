//! Page pictures for the placement preview: each page of the customer's PDF rasterised small
//! (hayro, pure Rust) into how dark each pixel is, for the screen to draw with half-blocks.

use crate::ui::flow::Raster;
use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::Pdf;
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::{PixmapSettings, RenderCache, RenderSettings};

/// Width of a page picture in pixels: more than the widest preview needs (one pixel per column),
/// few enough to render a page in a few milliseconds.
pub const WIDTH_PX: f32 = 120.0;

/// Pages rendered per document; later pages show the text preview instead.
pub const MAX_PAGES: usize = 30;

/// One picture per page (up to [`MAX_PAGES`]), `None` for a page that could not be drawn. Empty
/// when the rasterizer cannot read the file (an encrypted PDF, for one); the screen then shows the
/// text preview.
pub fn pages(bytes: &[u8]) -> Vec<Option<Raster>> {
    // The rasterizer is young; a panic inside it must cost the picture, not the counter's worker
    // or the clerk's screen: the panic is caught here, and the panic hook (see `contained_panic`)
    // leaves the terminal alone while it happens.
    contained(|| render_all(bytes))
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

fn render_all(bytes: &[u8]) -> Vec<Option<Raster>> {
    let Ok(pdf) = Pdf::new(bytes.to_vec()) else {
        return Vec::new();
    };
    let cache = RenderCache::new();
    let interpreter = InterpreterSettings::default();
    let settings = RenderSettings::default();
    pdf.pages()
        .iter()
        .take(MAX_PAGES)
        .map(|page| {
            let (w, h) = page.render_dimensions();
            if !(w >= 1.0 && h >= 1.0) {
                return None;
            }
            // The rasterizer truncates width × scale to whole pixels; half a pixel more keeps
            // the picture exactly WIDTH_PX wide.
            let scale = (WIDTH_PX + 0.5) / w;
            let pixmap = hayro::render(
                page,
                &cache,
                &interpreter,
                &settings,
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
        })
        .collect()
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
