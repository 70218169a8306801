//! Generated files for issue 17 that the stamping tests and the stamping benchmark share (the
//! benchmark includes this file by path, so it uses nothing but std): a letter followed by a million
//! objects nothing refers to, a page tree nested thousands deep whose page inherits everything, and
//! a scanned page (a picture only, no text layer).

use std::io::Write;

/// The one line of the letter pages, where the proposal anchors the stamp.
const LETTER_LINE: &str = "BT /F1 11 Tf 360 200 Td (Hormat saya,) Tj ET";

/// `objects` (each `N 0 obj ... endobj`, numbered from 1 in order) under a classic table and a
/// trailer whose catalog is object 1.
fn with_table(objects: impl ExactSizeIterator<Item = String>) -> Vec<u8> {
    let total = objects.len();
    let mut out = Vec::with_capacity(total * 48);
    out.extend_from_slice(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n");
    let mut offsets = Vec::with_capacity(total);
    for (i, body) in objects.enumerate() {
        offsets.push(out.len());
        let _ = write!(out, "{} 0 obj\n{body}\nendobj\n", i + 1);
    }
    let xref = out.len();
    let _ = write!(out, "xref\n0 {}\n0000000000 65535 f \n", total + 1);
    for o in offsets {
        let _ = writeln!(out, "{o:010} 00000 n ");
    }
    let _ = write!(
        out,
        "trailer\n<</Size {}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n",
        total + 1
    );
    out
}

fn stream(content: &[u8]) -> String {
    format!(
        "<</Length {}>>\nstream\n{}\nendstream",
        content.len(),
        String::from_utf8_lossy(content)
    )
}

/// A one-page letter followed by `count` small objects nothing refers to (`<</N n>>`), with a
/// classic table: memory must stay bounded by the file's size, not by its object count.
pub fn million_objects(count: usize) -> Vec<u8> {
    let fixed = [
        "<</Type/Catalog/Pages 2 0 R>>".to_string(),
        "<</Type/Pages/Kids[3 0 R]/Count 1>>".to_string(),
        "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>"
            .to_string(),
        stream(LETTER_LINE.as_bytes()),
        "<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>".to_string(),
    ];
    let total = fixed.len() + count;
    with_table((0..total).map(move |i| match fixed.get(i) {
        Some(body) => body.clone(),
        None => format!("<</N {}>>", i + 1),
    }))
}

/// A letter whose only page sits under `depth` nested `/Pages` nodes and inherits its media box,
/// its rotation (`rotate`) and its resources from the outermost one.
pub fn nested_page_tree(depth: usize, rotate: i64) -> Vec<u8> {
    // 1 catalog, 2 font, 3 content, 4.. the page tree nodes from the root down, then the page.
    let first = 4;
    let page = first + depth;
    let node = move |i: usize| {
        let n = first + i;
        let parent = if i == 0 {
            String::new()
        } else {
            format!("/Parent {} 0 R", n - 1)
        };
        let inherited = if i == 0 {
            format!("/MediaBox[0 0 595 842]/Rotate {rotate}/Resources<</Font<</F1 2 0 R>>>>")
        } else {
            String::new()
        };
        format!(
            "<</Type/Pages/Kids[{} 0 R]/Count 1{parent}{inherited}>>",
            n + 1
        )
    };
    let objects = (1..=page).map(move |n| match n {
        1 => format!("<</Type/Catalog/Pages {first} 0 R>>"),
        2 => "<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>".to_string(),
        3 => stream(LETTER_LINE.as_bytes()),
        n if n == page => format!("<</Type/Page/Parent {} 0 R/Contents 3 0 R>>", n - 1),
        n => node(n - first),
    });
    with_table(objects.collect::<Vec<_>>().into_iter())
}

/// Pixels of the scanned page as shown, upright.
pub const SCAN_PX: (usize, usize) = (600, 848);

/// A scanned A4 page: one grey picture (`SCAN_PX`, drawn as the page is shown) and no text layer.
/// `ink(x, y)` says which pixels (from the top-left corner as shown) are dark. With `rotate` 90
/// the page is stored landscape and turned for display, the picture drawn turned the other way,
/// so readers show it upright.
pub fn scanned_page(rotate: i64, ink: impl Fn(usize, usize) -> bool) -> Vec<u8> {
    let (w, h) = SCAN_PX;
    let mut pixels = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            // Paper is not quite white on a scan.
            pixels.push(if ink(x, y) { 30 } else { 246 });
        }
    }
    let (media, placed) = match rotate {
        90 => ("[0 0 842 595]", "0 595 -842 0 842 0 cm"),
        _ => ("[0 0 595 842]", "595 0 0 842 0 0 cm"),
    };
    let content = format!("q {placed} /Im0 Do Q");
    let mut image = format!(
        "<</Type/XObject/Subtype/Image/Width {w}/Height {h}/ColorSpace/DeviceGray/BitsPerComponent 8/Length {}>>\nstream\n",
        pixels.len()
    )
    .into_bytes();
    image.extend_from_slice(&pixels);
    image.extend_from_slice(b"\nendstream");
    let objects = [
        "<</Type/Catalog/Pages 2 0 R>>".to_string(),
        "<</Type/Pages/Kids[3 0 R]/Count 1>>".to_string(),
        format!(
            "<</Type/Page/Parent 2 0 R/MediaBox{media}/Rotate {rotate}/Contents 4 0 R/Resources<</XObject<</Im0 5 0 R>>>>>>"
        ),
        stream(content.as_bytes()),
    ];
    // The picture is binary: written as bytes, not through `String`.
    let mut out = Vec::new();
    out.extend_from_slice(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n");
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        let _ = write!(out, "{} 0 obj\n{body}\nendobj\n", i + 1);
    }
    offsets.push(out.len());
    out.extend_from_slice(b"5 0 obj\n");
    out.extend_from_slice(&image);
    out.extend_from_slice(b"\nendobj\n");
    let xref = out.len();
    let _ = write!(out, "xref\n0 6\n0000000000 65535 f \n");
    for o in offsets {
        let _ = writeln!(out, "{o:010} 00000 n ");
    }
    let _ = write!(
        out,
        "trailer\n<</Size 6/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n"
    );
    out
}
