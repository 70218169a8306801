//! Page geometry: rectangles in PDF points and the millimetre conversions the clerk's input needs.

use serde::{Deserialize, Serialize};

/// Points per millimetre (1 pt = 1/72 inch, 1 inch = 25.4 mm).
pub const PT_PER_MM: f64 = 72.0 / 25.4;

/// Default stamp edge: 30 mm (≈ 85 pt).
///
/// Integrators use 100 pt (≈ 35 mm, Peruri's sample box) down to 54 pt (≈ 19 mm). At 30 mm the QR code
/// (version 3–4, 29–33 modules, drawn over ~46 % of the edge) keeps modules of ~0.42 mm — scannable by a phone
/// after printing at 300 dpi — while the stamp still fits beside a typical "Hormat saya" signature block without
/// covering it. 19 mm makes the 22-character SN ~1 mm tall on paper; 35 mm crowds the signature space of an A4
/// letter's last quarter.
pub const DEFAULT_STAMP_MM: f64 = 30.0;

/// Millimetres to points.
pub fn mm_to_pt(mm: f64) -> f64 {
    mm * PT_PER_MM
}

/// Points to millimetres.
pub fn pt_to_mm(pt: f64) -> f64 {
    pt / PT_PER_MM
}

/// An axis-aligned rectangle in PDF user space (points, origin bottom-left).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rect {
    /// Left edge.
    pub x0: f64,
    /// Bottom edge.
    pub y0: f64,
    /// Right edge.
    pub x1: f64,
    /// Top edge.
    pub y1: f64,
}

impl Rect {
    /// From two corners in any order.
    pub fn new(ax: f64, ay: f64, bx: f64, by: f64) -> Rect {
        Rect {
            x0: ax.min(bx),
            y0: ay.min(by),
            x1: ax.max(bx),
            y1: ay.max(by),
        }
    }

    /// From the lower-left corner and a size.
    pub fn from_origin_size(x: f64, y: f64, w: f64, h: f64) -> Rect {
        Rect::new(x, y, x + w, y + h)
    }

    /// From a lower-left corner and size given in millimetres.
    pub fn from_mm(x_mm: f64, y_mm: f64, w_mm: f64, h_mm: f64) -> Rect {
        Rect::from_origin_size(
            mm_to_pt(x_mm),
            mm_to_pt(y_mm),
            mm_to_pt(w_mm),
            mm_to_pt(h_mm),
        )
    }

    /// Width in points.
    pub fn width(&self) -> f64 {
        self.x1 - self.x0
    }

    /// Height in points.
    pub fn height(&self) -> f64 {
        self.y1 - self.y0
    }

    /// Whether the two rectangles share an area larger than a hair (touching edges do not count).
    pub fn intersects(&self, other: &Rect) -> bool {
        const EPS: f64 = 0.01;
        self.x0 < other.x1 - EPS
            && other.x0 < self.x1 - EPS
            && self.y0 < other.y1 - EPS
            && other.y0 < self.y1 - EPS
    }

    /// Whether `other` lies completely inside `self`.
    pub fn contains(&self, other: &Rect) -> bool {
        const EPS: f64 = 0.01;
        other.x0 >= self.x0 - EPS
            && other.y0 >= self.y0 - EPS
            && other.x1 <= self.x1 + EPS
            && other.y1 <= self.y1 + EPS
    }

    /// Shrunk by `d` on every side.
    pub fn inset(&self, d: f64) -> Rect {
        Rect {
            x0: self.x0 + d,
            y0: self.y0 + d,
            x1: self.x1 - d,
            y1: self.y1 - d,
        }
    }

    /// Moved by (dx, dy).
    pub fn translate(&self, dx: f64, dy: f64) -> Rect {
        Rect {
            x0: self.x0 + dx,
            y0: self.y0 + dy,
            x1: self.x1 + dx,
            y1: self.y1 + dy,
        }
    }

    /// The smallest rectangle holding both.
    pub fn union(&self, other: &Rect) -> Rect {
        Rect {
            x0: self.x0.min(other.x0),
            y0: self.y0.min(other.y0),
            x1: self.x1.max(other.x1),
            y1: self.y1.max(other.y1),
        }
    }

    /// Whether every coordinate is finite and the size positive.
    pub fn is_valid(&self) -> bool {
        [self.x0, self.y0, self.x1, self.y1]
            .iter()
            .all(|v| v.is_finite())
            && self.width() > 0.0
            && self.height() > 0.0
    }
}

/// A 2-D affine matrix `[a b c d e f]` as PDF writes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Matrix(pub [f64; 6]);

impl Matrix {
    /// The identity.
    pub const IDENTITY: Matrix = Matrix([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);

    /// `self × other` in PDF's row-vector convention (apply `self` first, then `other`).
    pub fn then(&self, other: &Matrix) -> Matrix {
        let [a, b, c, d, e, f] = self.0;
        let [a2, b2, c2, d2, e2, f2] = other.0;
        Matrix([
            a * a2 + b * c2,
            a * b2 + b * d2,
            c * a2 + d * c2,
            c * b2 + d * d2,
            e * a2 + f * c2 + e2,
            e * b2 + f * d2 + f2,
        ])
    }

    /// Transform a point.
    pub fn apply(&self, x: f64, y: f64) -> (f64, f64) {
        let [a, b, c, d, e, f] = self.0;
        (a * x + c * y + e, b * x + d * y + f)
    }

    /// The vertical scale factor (length of the transformed unit y vector).
    pub fn y_scale(&self) -> f64 {
        let [_, _, c, d, _, _] = self.0;
        (c * c + d * d).sqrt()
    }

    /// A translation.
    pub fn translate(tx: f64, ty: f64) -> Matrix {
        Matrix([1.0, 0.0, 0.0, 1.0, tx, ty])
    }
}
