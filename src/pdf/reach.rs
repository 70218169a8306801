//! Loading only the objects a reader can reach, for files with very many objects.
//!
//! lopdf parses every object the cross-reference data lists and keeps it, about a kilobyte each for
//! small dictionaries: a 54 MB file of a million objects nothing refers to took 980 MB to stamp.
//! Readers never see an object that no chain of references from the trailer leads to, and neither
//! does an incremental update, which only appends. So a file that lists more than
//! [`PRUNE_FROM_OBJECTS`] objects is read twice: the first pass keeps no object, only which object
//! refers to which; the second keeps the objects reachable from the trailer. Object streams are
//! always kept, so lopdf can unpack their members (each of which is kept or left the same way).
//!
//! lopdf's load filter is a plain `fn`, so the passes hand it what it needs through statics, and
//! one pruned load runs at a time in a process (such files are rare; ordinary files never wait).

use std::sync::{Mutex, PoisonError, RwLock};

use lopdf::{Document, FilterFunc, LoadOptions, Object, ObjectId};

use super::load::{header_offset, leading_number};

/// Below this many objects lopdf's whole-file load stays within the 50 MB allowance (about a
/// kilobyte an object), and a second pass would only cost time.
pub(crate) const PRUNE_FROM_OBJECTS: usize = 20_000;

/// One pruned load at a time: the statics below belong to it.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
/// First pass: (object, object it refers to).
static EDGES: Mutex<Vec<(u32, u32)>> = Mutex::new(Vec::new());
/// Second pass: which objects to keep, and the caller's own filter for those.
static KEEP: RwLock<Keep> = RwLock::new(Keep {
    bits: Vec::new(),
    then: None,
});

struct Keep {
    bits: Vec<u64>,
    then: Option<FilterFunc>,
}

impl Keep {
    fn has(&self, n: u32) -> bool {
        let n = n as usize;
        self.bits
            .get(n / 64)
            .is_some_and(|word| word & (1 << (n % 64)) != 0)
    }
}

/// The `/Size` the file's last cross-reference section declares (a cheap look at its trailer or
/// cross-reference stream dictionary, without parsing the file).
pub(crate) fn declared_size(bytes: &[u8]) -> Option<usize> {
    let body = &bytes[header_offset(bytes)..];
    let from = body.len().saturating_sub(1024);
    let start = memchr::memmem::rfind(&body[from..], b"startxref")? + from;
    let at = leading_number(&body[start + b"startxref".len()..])?;
    let section = body.get(at..)?;
    let dict = if section.starts_with(b"xref") {
        &section[memchr::memmem::find(section, b"trailer")?..]
    } else {
        section
    };
    let end = [&b"stream"[..], b"startxref"]
        .iter()
        .filter_map(|word| memchr::memmem::find(dict, word))
        .min()
        .unwrap_or(dict.len());
    let i = memchr::memmem::find(&dict[..end], b"/Size")?;
    leading_number(&dict[i + b"/Size".len()..])
}

/// Whether a file is better loaded through [`load_reachable`].
pub(crate) fn worth_pruning(bytes: &[u8]) -> bool {
    declared_size(bytes).is_some_and(|n| n > PRUNE_FROM_OBJECTS)
}

/// Load `bytes` with `load` (given options whose filter keeps only reachable objects, then applies
/// the caller's own filter). `None` when the first pass could not read the file: the caller then
/// loads it whole and reports what is wrong with it.
pub(crate) fn load_reachable<T>(
    bytes: &[u8],
    options: &LoadOptions,
    load: impl FnOnce(LoadOptions) -> T,
) -> Option<T> {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let bits = {
        let mut edges = EDGES.lock().unwrap_or_else(PoisonError::into_inner);
        edges.clear();
        drop(edges);
        let first = LoadOptions {
            filter: Some(record_references),
            ..options.clone()
        };
        let doc = Document::load_mem_with_options(bytes, first).ok();
        let mut edges = std::mem::take(&mut *EDGES.lock().unwrap_or_else(PoisonError::into_inner));
        // An encrypted file is loaded whole by lopdf, whatever the filter says.
        let doc = doc.filter(|d| d.trailer.get(b"Encrypt").is_err())?;
        reachable(&doc, &mut edges)
    };
    *KEEP.write().unwrap_or_else(PoisonError::into_inner) = Keep {
        bits,
        then: options.filter,
    };
    let result = load(LoadOptions {
        filter: Some(keep_reachable),
        ..options.clone()
    });
    *KEEP.write().unwrap_or_else(PoisonError::into_inner) = Keep {
        bits: Vec::new(),
        then: None,
    };
    Some(result)
}

/// The objects reachable from `doc`'s trailer through `edges` (sorted here), as a bit set.
fn reachable(doc: &Document, edges: &mut [(u32, u32)]) -> Vec<u64> {
    edges.sort_unstable();
    let size = doc.max_id as usize + 1;
    let mut bits = vec![0u64; size.div_ceil(64)];
    let mut todo = Vec::new();
    doc.trailer
        .iter()
        .for_each(|(_, value)| references(value, &mut |n| todo.push(n)));
    while let Some(n) = todo.pop() {
        let i = n as usize;
        let Some(word) = bits.get_mut(i / 64) else {
            continue;
        };
        if *word & (1 << (i % 64)) != 0 {
            continue;
        }
        *word |= 1 << (i % 64);
        let from = edges.partition_point(|&(a, _)| a < n);
        todo.extend(
            edges[from..]
                .iter()
                .take_while(|&&(a, _)| a == n)
                .map(|&(_, b)| b),
        );
    }
    bits
}

/// Every object number `object` refers to, however deep.
fn references(object: &Object, found: &mut impl FnMut(u32)) {
    match object {
        Object::Reference((n, _)) => found(*n),
        Object::Array(items) => items.iter().for_each(|o| references(o, found)),
        Object::Dictionary(dict) => dict.iter().for_each(|(_, o)| references(o, found)),
        Object::Stream(stream) => stream.dict.iter().for_each(|(_, o)| references(o, found)),
        _ => {}
    }
}

fn is_object_stream(object: &Object) -> bool {
    matches!(object, Object::Stream(s) if s.dict.has_type(b"ObjStm"))
}

/// First pass: note what `object` refers to and keep nothing but object streams (which lopdf
/// unpacks only when they are kept). For a top-level object lopdf keeps `object` itself and
/// ignores the returned copy, so the copy is a placeholder.
fn record_references(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    let mut found = Vec::new();
    references(object, &mut |n| found.push((id.0, n)));
    if !found.is_empty() {
        EDGES
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(found);
    }
    is_object_stream(object).then_some((id, Object::Null))
}

/// Second pass: keep object streams and what the trailer reaches, through the caller's filter.
fn keep_reachable(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    if is_object_stream(object) {
        return Some((id, Object::Null));
    }
    let keep = KEEP.read().unwrap_or_else(PoisonError::into_inner);
    if !keep.has(id.0) {
        return None;
    }
    match keep.then {
        Some(then) => then(id, object),
        None => Some((id, object.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_declared_size_is_read_from_a_classic_trailer_and_from_a_stream_dictionary() {
        let classic = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\nxref\n0 2\n0000000000 65535 f \n0000000009 00000 n \ntrailer\n<</Root 1 0 R/Size 2>>\nstartxref\n29\n%%EOF\n";
        assert_eq!(declared_size(classic), Some(2));
        let stream = b"junk%PDF-1.7\n7 0 obj\n<</Type/XRef/Size 123456/W[1 2 1]>>stream\n/Size 9\nendstream\nendobj\nstartxref\n9\n%%EOF";
        assert_eq!(declared_size(stream), Some(123_456));
        assert_eq!(declared_size(b"%PDF-1.7\nno table"), None);
    }

    #[test]
    fn only_objects_the_trailer_reaches_are_marked() {
        let mut doc = Document::new();
        doc.max_id = 200;
        doc.trailer.set("Root", Object::Reference((1, 0)));
        doc.trailer.set("Info", Object::Reference((150, 0)));
        let mut edges = vec![(1, 2), (2, 3), (3, 1), (4, 5), (150, 199), (2, 500)];
        let bits = reachable(&doc, &mut edges);
        let keep = Keep { bits, then: None };
        let kept: Vec<u32> = (0..=200).filter(|&n| keep.has(n)).collect();
        assert_eq!(kept, vec![1, 2, 3, 150, 199]);
    }
}
