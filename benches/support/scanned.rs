//! Test documents for the UI benchmarks: a letter page followed by "scanned" pages, each a grey
//! image of deterministic noise (xorshift64*), built with lopdf.

/// A PDF whose first page draws `letter` (content-stream text operators using font `/F1`,
/// Helvetica, not embedded) and whose next `scans` pages each carry a `width` × `height` grey
/// image of noise, as a scanned attachment would.
pub fn letter_with_scans(letter: &str, scans: usize, width: u32, height: u32) -> Vec<u8> {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let image_bytes = (width * height) as usize;
    let mut kids = Vec::new();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..=scans {
        let (content, resources) = if i == 0 {
            (
                letter.to_string(),
                dictionary! { "Font" => dictionary! { "F1" => font } },
            )
        } else {
            let mut noise = Vec::with_capacity(image_bytes + 8);
            while noise.len() < image_bytes {
                x ^= x >> 12;
                x ^= x << 25;
                x ^= x >> 27;
                noise.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
            }
            noise.truncate(image_bytes);
            let img = doc.add_object(Stream::new(
                dictionary! { "Type" => "XObject", "Subtype" => "Image", "Width" => width, "Height" => height,
                "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8 },
                noise,
            ));
            (
                "q 500 0 0 700 50 70 cm /Im0 Do Q".to_string(),
                dictionary! { "XObject" => dictionary! { "Im0" => img } },
            )
        };
        let content = doc.add_object(Stream::new(dictionary! {}, content.into_bytes()));
        kids.push(Object::Reference(doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content, "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        })));
    }
    let count = i64::try_from(kids.len()).expect("a few pages");
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save");
    out
}
