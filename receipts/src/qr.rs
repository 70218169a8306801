//! QR symbols: checking that a payload fits and drawing it as a raster for printers without `GS ( k`.

use qrcode::{EcLevel, QrCode};

use crate::model::Raster;

/// Error-correction level loket uses for every QR code: M survives a smudge and keeps QRIS
/// payloads (about 200 bytes) small enough for 58 mm paper.
pub const EC_LEVEL: EcLevel = EcLevel::M;

/// Largest module size loket sends; the `escpos` crate clamps `GS ( k` size to 15.
pub const MAX_MODULE: u8 = 15;

/// A QR symbol: `width` × `width` modules, row-major, `true` = dark.
#[derive(Debug, Clone)]
pub struct Symbol {
    /// Modules per side.
    pub width: usize,
    modules: Vec<bool>,
}

impl Symbol {
    /// Encodes `data` at level M; `None` when it does not fit in a version-40 symbol.
    pub fn new(data: &str) -> Option<Symbol> {
        let code = QrCode::with_error_correction_level(data.as_bytes(), EC_LEVEL).ok()?;
        Some(Symbol {
            width: code.width(),
            modules: code
                .to_colors()
                .into_iter()
                .map(|c| c == qrcode::Color::Dark)
                .collect(),
        })
    }

    /// Modules per side of the symbol for `data`, without drawing it (choosing the mask pattern
    /// is most of the work of drawing, and printers with `GS ( k` draw it themselves).
    pub fn width_for(data: &str) -> Option<usize> {
        let bits = qrcode::bits::encode_auto(data.as_bytes(), EC_LEVEL).ok()?;
        usize::try_from(bits.version().width()).ok()
    }

    /// The module size actually used: the requested one, clamped to 1..=[`MAX_MODULE`], and made
    /// smaller when the symbol would not fit in `area_dots`.
    pub fn fit_module(&self, requested: u8, area_dots: u16) -> u8 {
        fit_module(self.width, requested, area_dots)
    }

    /// Draws the symbol with `module` dots per module and no quiet zone (the paper around it is
    /// blank, as with printers that draw QR codes themselves).
    pub fn raster(&self, module: u8) -> Raster {
        let m = u32::from(module.max(1));
        // fits: a QR code is at most 177 modules wide.
        #[allow(clippy::cast_possible_truncation)]
        let side = self.width as u32 * m;
        let mut r = Raster::blank(side, side);
        for (my, row) in (0u32..).zip(self.modules.chunks(self.width.max(1))) {
            for (mx, &dark) in (0u32..).zip(row) {
                if !dark {
                    continue;
                }
                for y in my * m..(my + 1) * m {
                    for x in mx * m..(mx + 1) * m {
                        r.set(x, y, true);
                    }
                }
            }
        }
        r
    }
}

/// [`Symbol::fit_module`] for a symbol `width` modules wide.
pub fn fit_module(width: usize, requested: u8, area_dots: u16) -> u8 {
    let fit = (usize::from(area_dots) / width.max(1)).clamp(1, usize::from(MAX_MODULE));
    requested
        .clamp(1, MAX_MODULE)
        .min(u8::try_from(fit).unwrap_or(MAX_MODULE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raster_scales_modules() {
        let s = Symbol::new("A-007").expect("short payload fits");
        assert_eq!(s.width, 21);
        let r = s.raster(3);
        assert_eq!((r.width(), r.height()), (63, 63));
        // Finder pattern: top-left module dark, the module at (1,1) light, (2,2) dark.
        assert!(r.get(0, 0) && r.get(2, 2));
        assert!(!r.get(3, 3) && !r.get(5, 5));
        assert!(r.get(6, 6));
    }

    #[test]
    fn module_is_fitted_to_the_paper() {
        let s = Symbol::new(&"x".repeat(200)).expect("fits");
        assert!(s.width > 40);
        assert_eq!(s.fit_module(8, 576), 8);
        assert_eq!(
            s.fit_module(8, 384),
            u8::try_from(384 / s.width).expect("a few dots")
        );
        assert_eq!(s.fit_module(0, 576), 1);
        assert_eq!(s.fit_module(20, 2000), MAX_MODULE);
    }

    #[test]
    fn width_without_drawing_matches_the_drawn_symbol() {
        for data in ["A-007", &"x".repeat(200), crate::SAMPLE_QRIS_PAYLOAD] {
            assert_eq!(Symbol::width_for(data), Symbol::new(data).map(|s| s.width));
        }
    }

    #[test]
    fn too_long_payload_is_rejected() {
        assert!(Symbol::new(&"x".repeat(3000)).is_none());
        assert!(Symbol::width_for(&"x".repeat(3000)).is_none());
    }
}
