//! Applying an e-Meterai: signature field, widget with the stamp appearance and a CMS signature, written as an
//! incremental update so the original bytes (and any earlier signature) stay untouched.

use std::collections::HashSet;
use std::io::{self, Write};
use std::time::SystemTime;

use lopdf::{Dictionary, IncrementalDocument, Object, ObjectId, StringFormat};
use sha2::Digest;
use time::OffsetDateTime;

use super::appearance::{AppearanceError, AppearanceOptions, appearance_stream};
use super::geometry::{PageFrame, Rect, f64_to_whole, pt_to_mm};
use super::intake::PreparedDocument;
use super::load;
use super::objects;
use super::serial::SerialNumber;
use super::sign::{SignError, SignatureProfile, Signer, build_cms};
use super::splice;
use super::tsa::TimestampSource;

/// Bytes reserved for the CMS blob at first (a P-256 CMS is ~1.4 KB, ~3.4 KB with a timestamp token); a larger
/// blob makes the stamp be rebuilt with room to spare.
pub const DEFAULT_SIGNATURE_RESERVE: usize = 8 * 1024;

/// Everything about one stamp except the document and the keys.
#[derive(Debug, Clone)]
pub struct StampSpec {
    /// 1-based page.
    pub page: u32,
    /// Widget rectangle in PDF points (user space of the page).
    pub rect: Rect,
    /// The serial number printed on the stamp and prefixed to the reason.
    pub serial: SerialNumber,
    /// Signature reason without the `[SN]` prefix (document type, e.g. "Surat Pernyataan").
    pub reason: String,
    /// Signature location (branch city).
    pub location: String,
    /// Signing time, in the branch's UTC offset (written to `/M`).
    pub signing_time: OffsetDateTime,
    /// QR template and SPESIMEN mark.
    pub appearance: AppearanceOptions,
    /// CMS flavour.
    pub profile: SignatureProfile,
}

/// Why a stamp could not be applied. `Display` is the Indonesian sentence for the clerk.
#[derive(Debug, thiserror::Error)]
pub enum StampError {
    /// The page number is outside the document.
    PageOutOfRange {
        /// Requested page.
        page: u32,
        /// Pages in the document.
        pages: u32,
    },
    /// The rectangle is empty, not finite or outside the page.
    BadPlacement,
    /// The stamp is larger than the page as shown.
    PageTooSmall {
        /// The page.
        page: u32,
        /// Its width and height as shown, in millimetres.
        page_mm: (f64, f64),
        /// The stamp's edge in millimetres.
        stamp_mm: f64,
        /// The largest edge that fits on the page with a small margin.
        fits_mm: f64,
    },
    /// The appearance could not be drawn.
    Appearance(#[from] AppearanceError),
    /// The CMS signature could not be built.
    Sign(#[from] SignError),
    /// lopdf could not serialise the update (a bug or an unsupported file).
    Write(#[source] std::io::Error),
    /// The document structure lacks what a signature needs (no catalog or page object).
    Structure(#[source] lopdf::Error),
    /// In an encrypted document, the update does not decrypt to what was written (the file's
    /// encryption or structure is damaged in a way the engine cannot follow).
    EncryptedReadBack,
    /// The placeholder could not be found again in the written update (a bug).
    Placeholder,
}

/// A stamped document: the untouched previous bytes followed by the appended update.
#[derive(Clone)]
pub struct StampedPdf {
    prefix: Vec<u8>,
    tail: Vec<u8>,
    /// Name of the new signature field.
    pub field_name: String,
    /// The signature's /ByteRange.
    pub byte_range: [u64; 4],
    /// The serial number stamped.
    pub serial: SerialNumber,
    /// SHA-256 over the byte range (what the CMS signs).
    pub digest: [u8; 32],
    /// For an encrypted document: what the update's encrypted strings and stream must decrypt to.
    pub(crate) encrypted: Option<EncryptedUpdate>,
}

/// The plain values of an encrypted update, which the read-back decrypts and compares.
#[derive(Clone)]
pub(crate) struct EncryptedUpdate {
    /// The password the document was opened with.
    pub password: Option<String>,
    /// `/M`, `/Reason` and `/Location` of the signature dictionary, as written.
    pub sig_strings: Vec<(&'static [u8], Vec<u8>)>,
    /// The appearance stream's bytes before encryption.
    pub appearance: Vec<u8>,
}

impl std::fmt::Debug for StampedPdf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StampedPdf")
            .field("prefix_len", &self.prefix.len())
            .field("tail_len", &self.tail.len())
            .field("field_name", &self.field_name)
            .field("byte_range", &self.byte_range)
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

impl StampedPdf {
    /// Total length in bytes.
    pub fn len(&self) -> usize {
        self.prefix.len() + self.tail.len()
    }

    /// Never empty: a stamped PDF has at least its update.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The previous revision's bytes (unchanged input).
    pub fn prefix(&self) -> &[u8] {
        &self.prefix
    }

    /// The appended incremental update.
    pub fn tail(&self) -> &[u8] {
        &self.tail
    }

    /// Write the whole file.
    pub fn write_to(&self, w: &mut impl Write) -> io::Result<()> {
        w.write_all(&self.prefix)?;
        w.write_all(&self.tail)
    }

    /// The whole file as one buffer (copies; prefer [`StampedPdf::write_to`] for large files).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.len());
        v.extend_from_slice(&self.prefix);
        v.extend_from_slice(&self.tail);
        v
    }

    /// Give back the buffers (prefix, tail).
    pub fn into_parts(self) -> (Vec<u8>, Vec<u8>) {
        (self.prefix, self.tail)
    }
}

/// `save_to` sink that drops the first `skip` bytes (the previous revision, which we already hold) so only the
/// appended update is materialised.
struct TailWriter {
    skip: usize,
    tail: Vec<u8>,
}

impl Write for TailWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.skip >= buf.len() {
            self.skip -= buf.len();
        } else {
            self.tail.extend_from_slice(&buf[self.skip..]);
            self.skip = 0;
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `D:YYYYMMDDHHmmSS+HH'mm'`.
pub fn pdf_date(t: OffsetDateTime) -> String {
    let off = t.offset();
    let (h, m, _) = off.as_hms();
    let sign = if off.is_negative() { '-' } else { '+' };
    format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}{}{:02}'{:02}'",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        sign,
        h.unsigned_abs(),
        m.unsigned_abs()
    )
}

/// A field name not used yet in the document.
fn unique_field_name(existing: &HashSet<String>, sn: &SerialNumber) -> String {
    let base = format!("eMeterai_{sn}");
    if !existing.contains(&base) {
        return base;
    }
    (2..)
        .map(|i| format!("{base}_{i}"))
        .find(|n| !existing.contains(n))
        .unwrap_or(base)
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Positions inside the tail of the ByteRange array brackets and the Contents hex string delimiters.
struct Placeholders {
    byte_range: (usize, usize),
    contents: (usize, usize),
}

fn locate(tail: &[u8], sig_id: ObjectId) -> Option<Placeholders> {
    let header = format!("{} {} obj\n", sig_id.0, sig_id.1);
    let mut from = 0;
    let start = loop {
        let p = find(tail, header.as_bytes(), from)?;
        if p == 0 || matches!(tail[p - 1], b'\n' | b'\r') {
            break p;
        }
        from = p + 1;
    };
    let end = find(tail, b"endobj", start)?;
    let br = find(tail, b"/ByteRange", start).filter(|&p| p < end)?;
    let br_open = find(tail, b"[", br)?;
    let br_close = find(tail, b"]", br_open)?;
    let ct = find(tail, b"/Contents", start).filter(|&p| p < end)?;
    let lt = find(tail, b"<", ct)?;
    let gt = find(tail, b">", lt)?;
    (br_close < end && gt < end).then_some(Placeholders {
        byte_range: (br_open, br_close),
        contents: (lt, gt),
    })
}

/// An object of the update written from the original's text with one entry changed (see
/// [`splice`]): lopdf writes a name of the same length in its place, which is then overwritten.
struct RawObject {
    placeholder: Vec<u8>,
    text: Vec<u8>,
}

/// The original text of the dictionary object `id` when it is a plain indirect object of the file
/// (`body` counts from `%PDF-`), not one inside an object stream.
fn original_text<'a>(prev: &lopdf::Document, body: &'a [u8], id: ObjectId) -> Option<&'a [u8]> {
    match prev.reference_table.entries.get(&id.0)? {
        lopdf::xref::XrefEntry::Normal { offset, generation } if *generation == id.1 => {
            splice::indirect_dictionary(body, *offset as usize, id)
        }
        _ => None,
    }
}

fn pdf_text_of(obj: &Object) -> Vec<u8> {
    let mut v = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = lopdf::Writer::write_object(&mut v, obj);
    v
}

/// Put `object` into the update as `id`: from the original's text with `edit` applied when that
/// works, else as lopdf writes it.
fn set_preserving(
    new: &mut lopdf::Document,
    raws: &mut Vec<RawObject>,
    original: Option<&[u8]>,
    edit: impl FnOnce(&[u8]) -> Option<Vec<u8>>,
    id: ObjectId,
    object: Object,
) {
    let tag = format!("LoketRaw{}x", raws.len());
    match original.and_then(edit) {
        Some(text) if text.len() > tag.len() + 1 => {
            let mut name = tag.into_bytes();
            name.resize(text.len() - 1, b'x');
            let mut placeholder = b"/".to_vec();
            placeholder.extend_from_slice(&name);
            new.set_object(id, Object::Name(name));
            raws.push(RawObject { placeholder, text });
        }
        _ => {
            new.set_object(id, object);
        }
    }
}

/// Build the update objects into `inc` and return the signature dictionary id and the field name.
///
/// A page, catalog or form dictionary the update must change is written from the original's text
/// with only `/Annots`, `/AcroForm`, `/Fields` or `/SigFlags` changed, so an earlier signature's
/// modification policy sees nothing else change (the returned [`RawObject`]s).
fn build_update(
    inc: &mut IncrementalDocument,
    body: &[u8],
    spec: &StampSpec,
    signer: &Signer,
    page_id: ObjectId,
    reserve: usize,
) -> Result<(ObjectId, String, EncryptedUpdate, Vec<RawObject>), StampError> {
    let prev = inc.get_prev_documents();
    let existing: HashSet<String> = objects::fields(prev)
        .into_iter()
        .map(|f| f.full_name)
        .collect();
    let field_name = unique_field_name(&existing, &spec.serial);
    let root_id = prev
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(StampError::Structure)?;
    let catalog = prev
        .get_dictionary(root_id)
        .map_err(StampError::Structure)?
        .clone();
    let page = prev
        .get_dictionary(page_id)
        .map_err(StampError::Structure)?
        .clone();

    // Where the widget reference goes: the page's /Annots (direct or its own object).
    let annots_ref = page.get(b"Annots").ok().and_then(|o| o.as_reference().ok());
    let annots_prev = match annots_ref {
        Some(id) => prev
            .get_object(id)
            .ok()
            .and_then(|o| o.as_array().ok())
            .cloned(),
        None => page
            .get(b"Annots")
            .ok()
            .and_then(|o| o.as_array().ok())
            .cloned(),
    };
    // The AcroForm may be direct in the catalog or its own object, and its /Fields likewise.
    let acroform_ref = catalog
        .get(b"AcroForm")
        .ok()
        .and_then(|o| o.as_reference().ok());
    let acroform_prev: Option<Dictionary> = match acroform_ref {
        Some(id) => prev.get_dictionary(id).ok().cloned(),
        None => catalog
            .get(b"AcroForm")
            .ok()
            .and_then(|o| o.as_dict().ok())
            .cloned(),
    };
    let fields_ref = acroform_prev
        .as_ref()
        .and_then(|a| a.get(b"Fields").ok())
        .and_then(|o| o.as_reference().ok());
    let fields_prev: Vec<Object> = match (fields_ref, &acroform_prev) {
        (Some(id), _) => prev
            .get_object(id)
            .ok()
            .and_then(|o| o.as_array().ok())
            .cloned()
            .unwrap_or_default(),
        (None, Some(a)) => a
            .get(b"Fields")
            .ok()
            .and_then(|o| o.as_array().ok())
            .cloned()
            .unwrap_or_default(),
        (None, None) => Vec::new(),
    };

    // Drawn upright on the page as the reader shows it: the appearance is laid out at the size it
    // has there, and its matrix undoes the page's /Rotate.
    let frame = objects::page_frame(prev, page_id);
    let shown = frame.to_display(&spec.rect);
    let mut ap = appearance_stream(
        spec.serial.as_str(),
        shown.width(),
        shown.height(),
        &spec.appearance,
    )?;
    if frame.rotate != 0 {
        ap.dict.set(
            "Matrix",
            Object::Array(
                frame
                    .upright_matrix()
                    .0
                    .iter()
                    .map(|&v| Object::Integer(f64_to_whole(v)))
                    .collect(),
            ),
        );
    }
    let appearance = ap.content.clone();
    let page_text = original_text(prev, body, page_id);
    let catalog_text = original_text(prev, body, root_id);
    let acroform_text = acroform_ref.and_then(|id| original_text(prev, body, id));
    let mut raws = Vec::new();
    let new = &mut inc.new_document;
    let ap_id = new.add_object(Object::Stream(ap));

    let mut sig = Dictionary::new();
    sig.set("Type", Object::Name(b"Sig".to_vec()));
    sig.set("Filter", Object::Name(b"Adobe.PPKLite".to_vec()));
    sig.set(
        "SubFilter",
        Object::Name(spec.profile.sub_filter().as_bytes().to_vec()),
    );
    sig.set("Name", objects::pdf_text(&signer.subject_name()));
    sig.set("M", Object::string_literal(pdf_date(spec.signing_time)));
    sig.set(
        "Reason",
        objects::pdf_text(&format!("[{}] {}", spec.serial, spec.reason.trim())),
    );
    sig.set("Location", objects::pdf_text(&spec.location));
    // Ten-digit placeholders leave room for any real offset; they are overwritten in place, padded with spaces.
    let big = Object::Integer(9_999_999_999);
    sig.set(
        "ByteRange",
        Object::Array(vec![Object::Integer(0), big.clone(), big.clone(), big]),
    );
    sig.set(
        "Contents",
        Object::String(vec![0; reserve], StringFormat::Hexadecimal),
    );
    let sig_strings = [&b"M"[..], b"Reason", b"Location"]
        .into_iter()
        .filter_map(|k| match sig.get(k) {
            Ok(Object::String(v, _)) => Some((k, v.clone())),
            _ => None,
        })
        .collect();
    let sig_id = new.add_object(Object::Dictionary(sig));

    let r = spec.rect;
    let mut widget = Dictionary::new();
    widget.set("Type", Object::Name(b"Annot".to_vec()));
    widget.set("Subtype", Object::Name(b"Widget".to_vec()));
    widget.set("FT", Object::Name(b"Sig".to_vec()));
    // Print + Locked: the stamp prints and cannot be moved in a viewer.
    widget.set("F", Object::Integer(132));
    widget.set("T", objects::pdf_text(&field_name));
    widget.set("V", Object::Reference(sig_id));
    widget.set("P", Object::Reference(page_id));
    widget.set(
        "Rect",
        Object::Array(vec![
            // lopdf keeps reals as f32: page coordinates (at most 14 400 pt) keep well under a
            // thousandth of a point.
            Object::from(r.x0),
            Object::from(r.y0),
            Object::from(r.x1),
            Object::from(r.y1),
        ]),
    );
    let mut ap_dict = Dictionary::new();
    ap_dict.set("N", Object::Reference(ap_id));
    widget.set("AP", Object::Dictionary(ap_dict));
    if frame.rotate != 0 {
        // Tells form-aware viewers the widget is turned with the page, as its appearance is.
        let mut mk = Dictionary::new();
        mk.set("R", Object::Integer(i64::from(frame.rotate)));
        widget.set("MK", Object::Dictionary(mk));
    }
    let widget_id = new.add_object(Object::Dictionary(widget));

    // Page: add the widget to /Annots.
    let mut annots = annots_prev.unwrap_or_default();
    annots.push(Object::Reference(widget_id));
    match annots_ref {
        Some(id) => {
            new.set_object(id, Object::Array(annots));
        }
        None => {
            let annots = Object::Array(annots);
            let value = pdf_text_of(&annots);
            let mut page = page;
            page.set("Annots", annots);
            set_preserving(
                new,
                &mut raws,
                page_text,
                |d| splice::set_entry(d, b"Annots", &value),
                page_id,
                Object::Dictionary(page),
            );
        }
    }

    // AcroForm: add the field, SigFlags SignaturesExist | AppendOnly.
    let mut fields = fields_prev;
    fields.push(Object::Reference(widget_id));
    let mut acroform = acroform_prev.unwrap_or_default();
    match fields_ref {
        Some(id) => {
            new.set_object(id, Object::Array(fields));
        }
        None => acroform.set("Fields", Object::Array(fields)),
    }
    let flags = acroform
        .get(b"SigFlags")
        .ok()
        .and_then(|o| o.as_i64().ok())
        .unwrap_or(0);
    acroform.set("SigFlags", Object::Integer(flags | 3));
    // The form's own text with /Fields (when direct) and /SigFlags changed.
    let fields_text = acroform
        .get(b"Fields")
        .ok()
        .filter(|_| fields_ref.is_none())
        .map(pdf_text_of);
    let edit_form = |form: &[u8]| -> Option<Vec<u8>> {
        let form = match &fields_text {
            Some(fields) => splice::set_entry(form, b"Fields", fields)?,
            None => form.to_vec(),
        };
        splice::set_entry(&form, b"SigFlags", (flags | 3).to_string().as_bytes())
    };
    match acroform_ref {
        Some(id) => {
            set_preserving(
                new,
                &mut raws,
                acroform_text,
                edit_form,
                id,
                Object::Dictionary(acroform),
            );
        }
        None => {
            let form_text = pdf_text_of(&Object::Dictionary(acroform.clone()));
            let edit_catalog = |cat: &[u8]| -> Option<Vec<u8>> {
                match splice::entry_value(cat, b"AcroForm")? {
                    None => splice::set_entry(cat, b"AcroForm", &form_text),
                    Some((start, end)) => {
                        let form = edit_form(&cat[start..end])?;
                        let mut out = cat[..start].to_vec();
                        out.extend_from_slice(&form);
                        out.extend_from_slice(&cat[end..]);
                        Some(out)
                    }
                }
            };
            let mut catalog = catalog;
            catalog.set("AcroForm", Object::Dictionary(acroform));
            set_preserving(
                new,
                &mut raws,
                catalog_text,
                edit_catalog,
                root_id,
                Object::Dictionary(catalog),
            );
        }
    }
    let expected = EncryptedUpdate {
        password: None,
        sig_strings,
        appearance,
    };
    Ok((sig_id, field_name, expected, raws))
}

/// Overwrite each placeholder in `tail` with its object's text (of the same length).
fn fill_raw_objects(tail: &mut [u8], raws: &[RawObject]) -> Result<(), StampError> {
    for raw in raws {
        let at = memchr::memmem::find(tail, &raw.placeholder).ok_or(StampError::Placeholder)?;
        tail[at..at + raw.text.len()].copy_from_slice(&raw.text);
    }
    Ok(())
}

/// A buffer lopdf can hold as "the previous revision" without a second copy of the file in memory.
///
/// `IncrementalDocument` wants to own the previous bytes, but it only ever writes them out (into [`TailWriter`],
/// which discards them) and looks at the last byte to decide whether to add a newline. A zero-filled allocation
/// of the same length is mapped lazily by the allocator, so it costs no resident memory; its last byte is copied
/// from the real file so the newline decision is the same.
fn stand_in_for(bytes: &[u8]) -> Vec<u8> {
    let mut v = vec![0u8; bytes.len()];
    if let (Some(dst), Some(src)) = (v.last_mut(), bytes.last()) {
        *dst = *src;
    }
    v
}

/// Whether a stamp at `rect` (user space) lies on page `page` of `frame`: a stamp larger than the
/// page as shown would be printed mostly off it ([`StampError::PageTooSmall`], with the largest
/// edge that fits), and one that fits must lie on the page ([`StampError::BadPlacement`]).
pub fn check_fits(frame: &PageFrame, page: u32, rect: &Rect) -> Result<(), StampError> {
    if !rect.is_valid() {
        return Err(StampError::BadPlacement);
    }
    // A millimetre of rounding is allowed: the counter places the stamp in whole millimetres.
    let slack = super::geometry::mm_to_pt(1.0);
    let (w, h) = frame.display_size();
    let shown = frame.to_display(rect);
    if shown.width() > w + slack || shown.height() > h + slack {
        return Err(StampError::PageTooSmall {
            page,
            page_mm: (pt_to_mm(w), pt_to_mm(h)),
            stamp_mm: pt_to_mm(shown.width().max(shown.height())),
            // The proposal's small-page margin is 6 % of the shorter side on each side.
            fits_mm: pt_to_mm(0.88 * w.min(h)),
        });
    }
    if !frame.page_box.inset(-slack).contains(rect) {
        return Err(StampError::BadPlacement);
    }
    Ok(())
}

/// Stamp a prepared document: build the update, sign the byte range, return the stamped bytes.
///
/// Pure apart from the optional timestamp source. The previous bytes are never re-serialised: lopdf's writer is
/// given a sink that skips them, and the digest continues from the state intake computed while parsing.
pub fn stamp(
    prepared: PreparedDocument,
    spec: &StampSpec,
    signer: &Signer,
    tsa: Option<&dyn TimestampSource>,
) -> Result<StampedPdf, StampError> {
    let pages = super::objects::pages(&prepared.doc);
    let page_count = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    let page_id = *pages.get(&spec.page).ok_or(StampError::PageOutOfRange {
        page: spec.page,
        pages: page_count,
    })?;
    check_fits(
        &objects::page_frame(&prepared.doc, page_id),
        spec.page,
        &spec.rect,
    )?;
    let PreparedDocument {
        bytes,
        doc,
        prefix_hash,
        password,
        ..
    } = prepared;
    // The renderer that shared the bytes is done with them by now; a copy only if it is not.
    let bytes = std::sync::Arc::try_unwrap(bytes).unwrap_or_else(|shared| shared.as_ref().clone());
    let prev_len = bytes.len();
    let encrypted = doc.encryption_state.is_some();
    // Offsets in the file count from `%PDF-` (readers and lopdf skip anything before it), so the
    // update is laid out as if the file began there; the byte range still counts every byte.
    let header = load::header_offset(&bytes);
    // New objects start above every number in use, including cross-reference streams that some
    // writers leave out of `/Size`.
    let floor = load::xref_stream_numbers(&bytes, doc.xref_start)
        .into_iter()
        .max();
    // Entries readers skip (another object at their offset) are marked free by the update.
    let misnumbered = load::misnumbered_entries(&bytes, &doc);
    let mut inc = IncrementalDocument::create_from(stand_in_for(&bytes[header..]), doc);

    let mut reserve = DEFAULT_SIGNATURE_RESERVE;
    loop {
        inc.new_document = lopdf::Document::new_from_prev(inc.get_prev_documents());
        if let Some(n) = floor {
            inc.new_document.max_id = inc.new_document.max_id.max(n);
        }
        let (sig_id, field_name, mut expected, raws) =
            build_update(&mut inc, &bytes[header..], spec, signer, page_id, reserve)?;
        expected.password = password.clone();
        let mut sink = TailWriter {
            skip: prev_len - header,
            tail: Vec::with_capacity(reserve * 2 + 16 * 1024),
        };
        inc.save_to(&mut sink).map_err(StampError::Write)?;
        let mut tail = sink.tail;
        fill_raw_objects(&mut tail, &raws)?;
        load::free_in_update(&mut tail, &misnumbered);
        load::restore_direct_encrypt(&mut tail, inc.get_prev_documents())
            .map_err(StampError::Write)?;
        let ph = locate(&tail, sig_id).ok_or(StampError::Placeholder)?;

        let total = (prev_len + tail.len()) as u64;
        let hole_start = (prev_len + ph.contents.0) as u64;
        let hole_end = (prev_len + ph.contents.1 + 1) as u64;
        let byte_range = [0, hole_start, hole_end, total - hole_end];
        let text = format!(
            "{} {} {} {}",
            byte_range[0], byte_range[1], byte_range[2], byte_range[3]
        );
        let slot = &mut tail[ph.byte_range.0 + 1..ph.byte_range.1];
        if text.len() > slot.len() {
            return Err(StampError::Placeholder);
        }
        slot.fill(b' ');
        slot[..text.len()].copy_from_slice(text.as_bytes());

        let mut hasher = prefix_hash.clone();
        hasher.update(&tail[..ph.contents.0]);
        hasher.update(&tail[ph.contents.1 + 1..]);
        let digest: [u8; 32] = hasher.finalize().into();

        let cms = build_cms(
            signer,
            &digest,
            spec.profile,
            SystemTime::from(spec.signing_time),
            tsa,
        )?;
        let slot = &mut tail[ph.contents.0 + 1..ph.contents.1];
        if cms.len() * 2 > slot.len() {
            // Rare (very long chains or a large TSA token): rebuild with room for this blob and a margin.
            reserve = cms.len() + 4096;
            continue;
        }
        let hex = hex::encode_upper(&cms);
        slot[..hex.len()].copy_from_slice(hex.as_bytes());

        let stamped = StampedPdf {
            prefix: bytes,
            tail,
            field_name,
            byte_range,
            serial: spec.serial.clone(),
            digest,
            encrypted: encrypted.then_some(expected),
        };
        // A stamp on an encrypted file is only handed out when it decrypts to what was written.
        if let Some(expected) = &stamped.encrypted {
            super::verify::check_encrypted_update(&stamped, expected)
                .map_err(|_| StampError::EncryptedReadBack)?;
        }
        return Ok(stamped);
    }
}
