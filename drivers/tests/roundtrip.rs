//! Round trip: ESC/POS produced by loket-receipts (fixtures), printed by the virtual printer,
//! must read exactly like the receipt preview.

use loket_drivers::{Printer, VirtualConfig, VirtualPrinter};

#[test]
fn every_receipt_kind_prints_as_its_preview() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures folder") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "escpos") {
            continue;
        }
        let name = path
            .file_stem()
            .expect("name")
            .to_string_lossy()
            .to_string();
        let dots = if name.ends_with("58mm") { 384 } else { 576 };
        let bytes = std::fs::read(&path).expect("fixture");
        let preview = std::fs::read_to_string(path.with_extension("txt")).expect("preview fixture");
        let vp = VirtualPrinter::new(VirtualConfig::in_memory(dots)).expect("virtual printer");
        let mut printer = Printer::virtual_in_process(vp.clone());
        printer.print(&bytes).expect("prints");
        let jobs = vp.jobs();
        assert_eq!(jobs.len(), 1, "{name}: one cut, one job");
        assert_eq!(jobs[0].text, preview, "{name}");
        assert!(jobs[0].complete);
        assert!(jobs[0].cut.is_some());
        let has_pictures = preview.contains("[QR]") || preview.contains("[gambar");
        assert_eq!(jobs[0].png.is_some(), has_pictures, "{name}");
        if name.starts_with("sale-") && !name.starts_with("sale-copy") {
            assert_eq!(
                jobs[0].kicks.len(),
                1,
                "{name}: a cash sale opens the drawer"
            );
        } else {
            assert!(jobs[0].kicks.is_empty(), "{name}: no drawer kick");
        }
        checked += 1;
    }
    assert_eq!(checked, 30, "10 kinds on 3 profiles");
}

#[test]
fn pictures_come_out_as_a_png_of_the_head_width() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let out = tempfile::tempdir().expect("temp dir");
    let bytes = std::fs::read(dir.join("ticket-58mm.escpos")).expect("fixture");
    let vp =
        VirtualPrinter::new(VirtualConfig::writing_to(384, out.path())).expect("virtual printer");
    vp.feed(&bytes);
    let job = &vp.jobs()[0];
    let file = std::fs::read(out.path().join("0001.png")).expect("png written beside 0001.txt");
    assert_eq!(Some(&file), job.png.as_ref());
    let decoder = png::Decoder::new(std::io::Cursor::new(file));
    let mut reader = decoder.read_info().expect("valid png");
    let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut pixels).expect("decodes");
    assert_eq!(info.width, 384);
    // Logo (160x64) and the raster QR, stacked with gaps.
    assert_eq!(job.pictures.len(), 2);
    // 1-bit grey: a clear bit is a black dot.
    let black: usize = pixels[..info.buffer_size()]
        .iter()
        .map(|b| b.count_zeros() as usize)
        .sum();
    let dots: usize = job
        .pictures
        .iter()
        .map(|p| p.dots.iter().filter(|d| **d).count())
        .sum();
    assert_eq!(black, dots);
    assert!(dots > 1000);
    if let Ok(keep) = std::env::var("LOKET_KEEP_PNG") {
        std::fs::copy(out.path().join("0001.png"), keep).expect("copy for a look");
    }
}

#[test]
fn without_pictures_the_text_is_the_same_and_no_png_is_made() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for name in ["qris-58mm", "qris-80mm-48", "ticket-80mm-42"] {
        let bytes = std::fs::read(dir.join(format!("{name}.escpos"))).expect("fixture");
        let preview = std::fs::read_to_string(dir.join(format!("{name}.txt"))).expect("fixture");
        let dots = if name.ends_with("58mm") { 384 } else { 576 };
        let vp = VirtualPrinter::new(VirtualConfig {
            pictures: false,
            ..VirtualConfig::in_memory(dots)
        })
        .expect("virtual printer");
        vp.feed(&bytes);
        let job = &vp.jobs()[0];
        assert_eq!(job.text, preview, "{name}");
        assert!(job.png.is_none() && job.pictures.is_empty(), "{name}");
    }
}
