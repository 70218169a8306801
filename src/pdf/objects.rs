//! Reading the parts of a lopdf document the engine needs: form fields, signatures, DocMDP, page boxes.

use std::collections::{BTreeMap, HashSet};

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::geometry::{PageFrame, Rect, f64_to_whole};

/// Deepest field tree / reference chain followed; crafted files may nest or loop.
const MAX_DEPTH: usize = 32;
/// Most page tree nodes walked up or down: readers (poppler, qpdf) follow a page tree of any depth,
/// so the bound is the work, not the depth; every node is visited once.
const MAX_PAGE_TREE_NODES: usize = 1_000_000;
/// Most fields visited; bounds work on crafted files.
const MAX_FIELDS: usize = 10_000;

/// lopdf load filter that leaves out image XObjects. An incremental update neither re-writes nor inspects them,
/// so a scanned document costs about its file size in memory instead of twice that.
///
/// lopdf keeps `obj` itself for top-level objects (the returned copy is dropped) but uses the returned copy for
/// members of object streams, which are never streams; so streams are answered with a cheap placeholder and
/// everything else with a copy, and `obj` is never changed.
pub(crate) fn skip_images(id: (u32, u16), obj: &mut Object) -> Option<((u32, u16), Object)> {
    match obj {
        Object::Stream(s)
            if s.dict
                .get(b"Subtype")
                .and_then(Object::as_name)
                .is_ok_and(|n| n == b"Image") =>
        {
            None
        }
        Object::Stream(_) => Some((id, Object::Null)),
        other => Some((id, other.clone())),
    }
}

/// Follow references (bounded) to the object itself.
pub(crate) fn deref<'a>(doc: &'a Document, obj: &'a Object) -> Option<&'a Object> {
    let mut cur = obj;
    for _ in 0..MAX_DEPTH {
        match cur {
            Object::Reference(id) => cur = doc.get_object(*id).ok()?,
            other => return Some(other),
        }
    }
    None
}

pub(crate) fn dict_get<'a>(
    doc: &'a Document,
    dict: &'a Dictionary,
    key: &[u8],
) -> Option<&'a Object> {
    deref(doc, dict.get(key).ok()?)
}

pub(crate) fn get_dict<'a>(
    doc: &'a Document,
    dict: &'a Dictionary,
    key: &[u8],
) -> Option<&'a Dictionary> {
    dict_get(doc, dict, key)?.as_dict().ok()
}

pub(crate) fn get_name<'a>(
    doc: &'a Document,
    dict: &'a Dictionary,
    key: &[u8],
) -> Option<&'a [u8]> {
    dict_get(doc, dict, key)?.as_name().ok()
}

pub(crate) fn get_number(doc: &Document, dict: &Dictionary, key: &[u8]) -> Option<f64> {
    as_number(dict_get(doc, dict, key)?)
}

pub(crate) fn as_number(obj: &Object) -> Option<f64> {
    match obj {
        // fits: integers in a PDF are coordinates, sizes and counts far below 2^53, which an f64
        // holds exactly; past that the nearest f64 is as good a number as the file meant.
        #[allow(clippy::cast_precision_loss)]
        Object::Integer(i) => Some(*i as f64),
        Object::Real(r) => Some(f64::from(*r)),
        _ => None,
    }
}

/// Decode a PDF text string (UTF-16BE with BOM, UTF-8 with BOM, or PDFDocEncoding treated as Latin-1).
pub(crate) fn text_string(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    bytes.iter().map(|&b| char::from(b)).collect()
}

pub(crate) fn get_text(doc: &Document, dict: &Dictionary, key: &[u8]) -> Option<String> {
    match dict_get(doc, dict, key)? {
        Object::String(bytes, _) => Some(text_string(bytes)),
        _ => None,
    }
}

/// Encode a text string for a PDF dictionary: plain literal for printable ASCII, UTF-16BE otherwise.
pub(crate) fn pdf_text(s: &str) -> Object {
    if s.chars().all(|c| c.is_ascii() && !c.is_ascii_control()) {
        Object::string_literal(s)
    } else {
        let mut bytes = vec![0xFE, 0xFF];
        for u in s.encode_utf16() {
            bytes.extend_from_slice(&u.to_be_bytes());
        }
        Object::String(bytes, lopdf::StringFormat::Hexadecimal)
    }
}

pub(crate) fn rect_of(doc: &Document, obj: &Object) -> Option<Rect> {
    let arr = deref(doc, obj)?.as_array().ok()?;
    if arr.len() != 4 {
        return None;
    }
    let v: Vec<f64> = arr
        .iter()
        .filter_map(|o| deref(doc, o).and_then(as_number))
        .collect();
    if v.len() != 4 {
        return None;
    }
    let r = Rect::new(v[0], v[1], v[2], v[3]);
    r.is_valid().then_some(r)
}

/// Every page in reading order, numbered from 1, however deep the page tree: readers follow any
/// depth, where lopdf's own walk stops at 256 levels and finds no page below. A node met twice
/// (a loop) is walked once.
pub(crate) fn pages(doc: &Document) -> BTreeMap<u32, ObjectId> {
    let mut out = BTreeMap::new();
    let Some(root) = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"Pages").ok())
        .and_then(|o| o.as_reference().ok())
    else {
        return out;
    };
    let mut seen = HashSet::new();
    let mut todo = vec![root];
    while let Some(id) = todo.pop() {
        if seen.len() >= MAX_PAGE_TREE_NODES || !seen.insert(id) {
            continue;
        }
        let Ok(dict) = doc.get_dictionary(id) else {
            continue;
        };
        let kids = dict
            .get(b"Kids")
            .ok()
            .and_then(|k| deref(doc, k))
            .and_then(|k| k.as_array().ok());
        match kids {
            Some(kids) if !dict.has_type(b"Page") => {
                todo.extend(kids.iter().rev().filter_map(|k| k.as_reference().ok()))
            }
            _ if dict.has_type(b"Page") || !dict.has(b"Type") => {
                let n = u32::try_from(out.len() + 1).unwrap_or(u32::MAX);
                out.insert(n, id);
            }
            _ => {}
        }
    }
    out
}

/// A page attribute that may be inherited from the page tree (MediaBox, CropBox, Rotate), from
/// however far up.
pub(crate) fn inherited<'a>(
    doc: &'a Document,
    page_id: ObjectId,
    key: &[u8],
) -> Option<&'a Object> {
    let mut id = page_id;
    let mut seen = HashSet::new();
    for _ in 0..MAX_PAGE_TREE_NODES {
        if !seen.insert(id) {
            return None;
        }
        let dict = doc.get_dictionary(id).ok()?;
        if let Ok(v) = dict.get(key) {
            return deref(doc, v);
        }
        id = dict.get(b"Parent").ok()?.as_reference().ok()?;
    }
    None
}

/// The visible page area: CropBox clipped to MediaBox; US Letter when the file gives neither.
pub(crate) fn page_box(doc: &Document, page_id: ObjectId) -> Rect {
    let media = inherited(doc, page_id, b"MediaBox")
        .and_then(|o| rect_of(doc, o))
        .unwrap_or(Rect::new(0.0, 0.0, 612.0, 792.0));
    match inherited(doc, page_id, b"CropBox").and_then(|o| rect_of(doc, o)) {
        Some(c) if media.intersects(&c) => Rect::new(
            c.x0.max(media.x0),
            c.y0.max(media.y0),
            c.x1.min(media.x1),
            c.y1.min(media.y1),
        ),
        _ => media,
    }
}

/// The page as a reader shows it: its visible box and its (inherited) `/Rotate`.
pub(crate) fn page_frame(doc: &Document, page_id: ObjectId) -> PageFrame {
    let rotate = inherited(doc, page_id, b"Rotate")
        .and_then(as_number)
        .map_or(0, f64_to_whole);
    PageFrame::new(page_box(doc, page_id), rotate)
}

/// A terminal form field (a field dictionary with no `/Kids` fields below it).
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub full_name: String,
    pub field_type: Option<Vec<u8>>,
    pub dict: Dictionary,
}

/// All terminal fields of the AcroForm, with inherited `/FT` and dotted full names (bounded walk).
pub(crate) fn fields(doc: &Document) -> Vec<Field> {
    let mut out = Vec::new();
    let Some(acroform) = doc
        .catalog()
        .ok()
        .and_then(|c| get_dict(doc, c, b"AcroForm"))
    else {
        return out;
    };
    let Some(top) = dict_get(doc, acroform, b"Fields").and_then(|o| o.as_array().ok()) else {
        return out;
    };
    let mut seen = HashSet::new();
    let mut stack: Vec<(&Object, String, Option<Vec<u8>>, usize)> = top
        .iter()
        .rev()
        .map(|o| (o, String::new(), None, 0))
        .collect();
    while let Some((obj, parent_name, parent_ft, depth)) = stack.pop() {
        if depth > MAX_DEPTH || out.len() + stack.len() > MAX_FIELDS {
            break;
        }
        let id = obj.as_reference().ok();
        if let Some(id) = id
            && !seen.insert(id)
        {
            continue;
        }
        let Some(dict) = deref(doc, obj).and_then(|o| o.as_dict().ok()) else {
            continue;
        };
        let partial = get_text(doc, dict, b"T");
        let full_name = match (&partial, parent_name.is_empty()) {
            (Some(p), true) => p.clone(),
            (Some(p), false) => format!("{parent_name}.{p}"),
            (None, _) => parent_name.clone(),
        };
        let ft = get_name(doc, dict, b"FT").map(<[u8]>::to_vec).or(parent_ft);
        let kids = dict_get(doc, dict, b"Kids").and_then(|o| o.as_array().ok());
        // Kids that carry /T are fields; kids without are widgets of this field.
        let field_kids: Vec<&Object> = kids
            .map(|k| {
                k.iter()
                    .filter(|kid| {
                        deref(doc, kid)
                            .and_then(|o| o.as_dict().ok())
                            .is_some_and(|d| d.has(b"T"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        if field_kids.is_empty() {
            out.push(Field {
                full_name,
                field_type: ft,
                dict: dict.clone(),
            });
        } else {
            for kid in field_kids.into_iter().rev() {
                stack.push((kid, full_name.clone(), ft.clone(), depth + 1));
            }
        }
    }
    out
}

/// A signature value found in the document.
#[derive(Debug, Clone)]
pub(crate) struct SigValue<'a> {
    pub field_name: String,
    /// The signature dictionary's object, when it is one (several fields may share it).
    pub sig_id: Option<ObjectId>,
    /// Borrowed, not copied: thousands of fields may name one dictionary with a large /Contents.
    pub sig: std::borrow::Cow<'a, Dictionary>,
}

/// Signed signature fields (a `/Sig` field whose `/V` is a signature dictionary).
pub(crate) fn signatures(doc: &Document) -> Vec<SigValue<'_>> {
    fields(doc)
        .into_iter()
        .filter(|f| f.field_type.as_deref() == Some(b"Sig"))
        .filter_map(|f| {
            let sig_id = f.dict.get(b"V").ok().and_then(|v| v.as_reference().ok());
            let sig = match sig_id {
                Some(id) => std::borrow::Cow::Borrowed(doc.get_dictionary(id).ok()?),
                None => std::borrow::Cow::Owned(get_dict(doc, &f.dict, b"V")?.clone()),
            };
            sig.has(b"ByteRange").then_some(SigValue {
                field_name: f.full_name,
                sig_id,
                sig,
            })
        })
        .collect()
}

/// The DocMDP permission level (1 no changes, 2 form filling and signing, 3 also annotations) of a certified
/// document, or `None` when it is not certified.
pub(crate) fn docmdp_level(doc: &Document) -> Option<i64> {
    let catalog = doc.catalog().ok()?;
    let perms = get_dict(doc, catalog, b"Perms")?;
    let sig = get_dict(doc, perms, b"DocMDP")?;
    let mut level = 2;
    if let Some(refs) = dict_get(doc, sig, b"Reference").and_then(|o| o.as_array().ok()) {
        for r in refs {
            let Some(sigref) = deref(doc, r).and_then(|o| o.as_dict().ok()) else {
                continue;
            };
            if get_name(doc, sigref, b"TransformMethod") == Some(b"DocMDP".as_slice())
                && let Some(p) = get_dict(doc, sigref, b"TransformParams")
                    .and_then(|tp| get_number(doc, tp, b"P"))
            {
                level = f64_to_whole(p);
            }
        }
    }
    Some(level)
}

/// Rectangles of the page's annotations, flagged when they are signature widgets.
pub(crate) fn page_annotations(doc: &Document, page_id: ObjectId) -> Vec<(Rect, bool, String)> {
    let Ok(page) = doc.get_dictionary(page_id) else {
        return Vec::new();
    };
    let Some(annots) = dict_get(doc, page, b"Annots").and_then(|o| o.as_array().ok()) else {
        return Vec::new();
    };
    annots
        .iter()
        .take(MAX_FIELDS)
        .filter_map(|a| {
            let d = deref(doc, a)?.as_dict().ok()?;
            let rect = rect_of(doc, d.get(b"Rect").ok()?)?;
            let mut is_sig = get_name(doc, d, b"FT") == Some(b"Sig".as_slice());
            let mut name = get_text(doc, d, b"T");
            if let Some(parent) = get_dict(doc, d, b"Parent") {
                is_sig |= get_name(doc, parent, b"FT") == Some(b"Sig".as_slice());
                name = name.or_else(|| get_text(doc, parent, b"T"));
            }
            let subtype =
                get_name(doc, d, b"Subtype").map(|s| String::from_utf8_lossy(s).into_owned());
            Some((rect, is_sig, name.or(subtype).unwrap_or_default()))
        })
        .collect()
}
