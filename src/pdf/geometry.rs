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

/// A count (glyphs, grid steps, QR modules, pixels) as a length factor.
// fits: every integer below 2^53 is an exact `f64`, and nothing on a page is counted that high.
#[allow(clippy::cast_precision_loss)]
pub(crate) fn count_to_f64(n: usize) -> f64 {
    n as f64
}

/// A length measured in grid steps or pixels as a count, rounded toward zero. NaN and negative
/// lengths count as 0, lengths past `usize::MAX` as `usize::MAX`: the saturating conversion Rust
/// defines for float to integer, which is what a loop bound or a picture size wants.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub(crate) fn f64_to_count(x: f64) -> usize {
    x as usize
}

/// A PDF number written where an integer is meant (`/Rotate`, `/P`, matrix entries of 0 and ±1) as
/// that integer, rounded toward zero; NaN is 0 and values past the `i64` range saturate (Rust's float
/// to integer conversion). Writers put `90.0` where they mean `90`.
#[allow(clippy::cast_possible_truncation)]
pub(crate) fn f64_to_whole(x: f64) -> i64 {
    x as i64
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

/// A page as a reader shows it: the visible box in user space and the clockwise turn of its
/// `/Rotate` (0, 90, 180 or 270). Display coordinates have their origin at the lower left of the page
/// as shown, in points, y upwards.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PageFrame {
    /// The visible box (CropBox within MediaBox) in user space.
    pub page_box: Rect,
    /// Clockwise rotation in degrees: 0, 90, 180 or 270.
    pub rotate: u16,
}

impl PageFrame {
    /// From a page box and a `/Rotate` value; values that are not multiples of 90 count as 0, as
    /// readers treat them.
    pub fn new(page_box: Rect, rotate: i64) -> PageFrame {
        let r = rotate.rem_euclid(360);
        let rotate = if r % 90 == 0 {
            u16::try_from(r).unwrap_or(0)
        } else {
            0
        };
        PageFrame { page_box, rotate }
    }

    /// Width and height of the page as shown.
    pub fn display_size(&self) -> (f64, f64) {
        let (w, h) = (self.page_box.width(), self.page_box.height());
        if self.rotate % 180 == 90 {
            (h, w)
        } else {
            (w, h)
        }
    }

    /// A user-space point in display coordinates.
    pub fn point_to_display(&self, x: f64, y: f64) -> (f64, f64) {
        let b = &self.page_box;
        match self.rotate {
            90 => (y - b.y0, b.x1 - x),
            180 => (b.x1 - x, b.y1 - y),
            270 => (b.y1 - y, x - b.x0),
            _ => (x - b.x0, y - b.y0),
        }
    }

    /// A display point in user space.
    pub fn point_to_user(&self, dx: f64, dy: f64) -> (f64, f64) {
        let b = &self.page_box;
        match self.rotate {
            90 => (b.x1 - dy, b.y0 + dx),
            180 => (b.x1 - dx, b.y1 - dy),
            270 => (b.x0 + dy, b.y1 - dx),
            _ => (b.x0 + dx, b.y0 + dy),
        }
    }

    /// A user-space rectangle as shown.
    pub fn to_display(&self, r: &Rect) -> Rect {
        let (ax, ay) = self.point_to_display(r.x0, r.y0);
        let (bx, by) = self.point_to_display(r.x1, r.y1);
        Rect::new(ax, ay, bx, by)
    }

    /// A rectangle as shown, in user space.
    pub fn to_user(&self, r: &Rect) -> Rect {
        let (ax, ay) = self.point_to_user(r.x0, r.y0);
        let (bx, by) = self.point_to_user(r.x1, r.y1);
        Rect::new(ax, ay, bx, by)
    }

    /// The square of edge `size_pt` whose top-left corner is `x_mm`, `y_mm` from the top-left corner
    /// of the page as shown (how the clerk gives a place with `--at`), in user space.
    pub fn square_from_top_left_mm(&self, x_mm: f64, y_mm: f64, size_pt: f64) -> Rect {
        let (_, h) = self.display_size();
        let x0 = mm_to_pt(x_mm);
        let y1 = h - mm_to_pt(y_mm);
        self.to_user(&Rect::new(x0, y1 - size_pt, x0 + size_pt, y1))
    }

    /// The matrix an appearance drawn upright on the page as shown needs in user space: the page's
    /// turn undone (counter-clockwise by `rotate`).
    pub fn upright_matrix(&self) -> Matrix {
        match self.rotate {
            90 => Matrix([0.0, 1.0, -1.0, 0.0, 0.0, 0.0]),
            180 => Matrix([-1.0, 0.0, 0.0, -1.0, 0.0, 0.0]),
            270 => Matrix([0.0, -1.0, 1.0, 0.0, 0.0, 0.0]),
            _ => Matrix::IDENTITY,
        }
    }
}

#[cfg(test)]
mod frame_tests {
    use super::*;

    #[test]
    fn display_and_user_space_round_trip_for_every_turn() {
        let b = Rect::new(10.0, 20.0, 610.0, 820.0);
        // (rotate, the user point shown at the display's lower right)
        let check = |rotate: i64, lower_right_user: (f64, f64)| {
            let f = PageFrame::new(b, rotate);
            let (w, h) = f.display_size();
            assert_eq!(f.point_to_user(w, 0.0), lower_right_user, "{rotate}");
            for (x, y) in [(10.0, 20.0), (610.0, 820.0), (100.0, 700.0)] {
                let (dx, dy) = f.point_to_display(x, y);
                assert!(
                    (0.0..=w).contains(&dx) && (0.0..=h).contains(&dy),
                    "{rotate}"
                );
                assert_eq!(f.point_to_user(dx, dy), (x, y), "{rotate}");
            }
            let r = Rect::new(100.0, 200.0, 150.0, 290.0);
            assert_eq!(f.to_user(&f.to_display(&r)), r, "{rotate}");
        };
        check(0, (610.0, 20.0));
        // Turned clockwise: the page's lower left is shown at the upper left, its upper left at the
        // upper right, its upper right at the lower right.
        check(90, (610.0, 820.0));
        check(180, (10.0, 820.0));
        check(270, (10.0, 20.0));
        check(-90, (10.0, 20.0));
        check(450, (610.0, 820.0));
        assert_eq!(PageFrame::new(b, 45).rotate, 0);
        assert_eq!(PageFrame::new(b, 90).display_size(), (800.0, 600.0));
    }
}
