//! Loading a PDF with lopdf the way readers read it: offsets relative to the `%PDF-` header, object
//! numbers of cross-reference streams, and a security handler whose crypt filters are indirect objects.

use std::io::Write;

use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId, StringFormat};

/// Where `%PDF-` starts in the first kilobyte (0 when absent). Readers take every offset in the file
/// relative to it, and so does lopdf; an update must do the same.
pub(crate) fn header_offset(bytes: &[u8]) -> usize {
    memchr::memmem::find(&bytes[..bytes.len().min(1024)], b"%PDF-").unwrap_or(0)
}

/// Load `bytes` with `options`, decrypting the way readers do.
///
/// lopdf is stricter than readers in three ways, each met here by loading a copy of the file that
/// ends with one more revision, holding the same `/Encrypt` object in a form lopdf reads, and then
/// giving the document back the original's trailer and cross-reference start (so an update appended
/// to the original refers to the original's objects only):
/// - it reads a crypt filter only when `/CF` and its entries are direct dictionaries, and otherwise
///   falls back to RC4, so every string and stream is decrypted (and an update's encrypted) wrongly;
/// - it needs a trailer `/ID` array of strings to derive an RC4 or AES-128 key, where readers take a
///   missing or malformed `/ID` as an empty one;
/// - it refuses a `/Length` that V4 and V5 handlers do not use, and a non-boolean `/EncryptMetadata`.
///
/// A trailer `/Encrypt` that is not a reference to a dictionary (`/Encrypt []`) is ignored, as
/// readers ignore it. One that is a direct dictionary (lopdf reads only a reference) is read as
/// readers read it: the copy holds it as an object of its own, and the document keeps the direct
/// dictionary in its trailer, which [`restore_direct_encrypt`] writes back into an update.
///
/// A cross-reference entry whose offset holds an object with another number (Word lists the
/// catalog's offset a second time under an unused number) is read by lopdf as a second copy of that
/// object, which replaces the copy a later update wrote: the update's catalog, and every signature
/// in it, disappears. Readers skip such an entry; here the file is loaded through a copy with one
/// more revision that marks it free.
///
/// A file that lists very many objects is loaded with only the objects its trailer reaches
/// ([`super::reach`]), unless that leaves it without pages (lopdf then rebuilds damaged
/// cross-reference data only in a whole load).
pub(crate) fn load_document(bytes: &[u8], options: LoadOptions) -> lopdf::Result<Document> {
    if super::reach::worth_pruning(bytes)
        && let Some(Ok(doc)) =
            super::reach::load_reachable(bytes, &options, |o| load_whole(bytes, o))
        && !super::objects::pages(&doc).is_empty()
    {
        return Ok(doc);
    }
    load_whole(bytes, options)
}

fn load_whole(bytes: &[u8], options: LoadOptions) -> lopdf::Result<Document> {
    let first = Document::load_mem_with_options(bytes, options.clone());
    if let Ok(doc) = &first {
        let misnumbered = misnumbered_entries(bytes, doc);
        if !misnumbered.is_empty()
            && let Some(copy) = without_entries(bytes, doc, &misnumbered)
        {
            let mut fixed = load_decrypted(&copy, options)?;
            fixed.xref_start = doc.xref_start;
            // The table as the file has it, so the update can mark those entries free too.
            for (n, _) in &misnumbered {
                if let Some(entry) = doc.reference_table.entries.get(n) {
                    fixed.reference_table.entries.insert(*n, entry.clone());
                }
            }
            let mut trailer = doc.trailer.clone();
            if fixed.encryption_state.is_some()
                && matches!(trailer.get(b"Encrypt"), Ok(Object::Reference(_)))
            {
                trailer.remove(b"Encrypt");
            }
            fixed.trailer = trailer;
            return Ok(fixed);
        }
    }
    load_decrypted_from(bytes, options, first)
}

fn load_decrypted(bytes: &[u8], options: LoadOptions) -> lopdf::Result<Document> {
    let first = Document::load_mem_with_options(bytes, options.clone());
    load_decrypted_from(bytes, options, first)
}

/// In an update lopdf wrote with a classic cross-reference table, mark `entries` free as well, so
/// that no reader (qpdf checks every entry) meets them again. The subsections go right after the
/// `xref` keyword, which `startxref` points at; only the trailer after the table moves.
pub(crate) fn free_in_update(tail: &mut Vec<u8>, entries: &[(u32, u16)]) {
    if entries.is_empty() {
        return;
    }
    let Some(at) = memchr::memmem::rfind(tail, b"\nxref") else {
        return;
    };
    let Some(eol) = tail[at + 1..].iter().position(|&c| c == b'\n') else {
        return;
    };
    let mut sections = Vec::new();
    for &(n, generation) in entries {
        let _ = write!(
            sections,
            "{n} 1\n0000000000 {:05} f\r\n",
            generation.saturating_add(1)
        );
    }
    let insert_at = at + 1 + eol + 1;
    tail.splice(insert_at..insert_at, sections);
}

/// The numbers (and generations) of in-use entries of the cross-reference data whose offset holds
/// an object with another number.
pub(crate) fn misnumbered_entries(bytes: &[u8], doc: &Document) -> Vec<(u32, u16)> {
    let body = &bytes[header_offset(bytes)..];
    doc.reference_table
        .entries
        .iter()
        .filter_map(|(&id, entry)| match entry {
            lopdf::xref::XrefEntry::Normal { offset, generation } => {
                let found = object_number_at(body.get(*offset as usize..)?)?;
                (found != id).then_some((id, *generation))
            }
            _ => None,
        })
        .collect()
}

/// A copy of `bytes` ending with a revision that marks `entries` free, under the document's own
/// trailer (its `/Encrypt` as the file has it).
fn without_entries(bytes: &[u8], doc: &Document, entries: &[(u32, u16)]) -> Option<Vec<u8>> {
    let mut trailer = doc.trailer.clone();
    if let Some(id) = doc
        .encryption_state
        .as_ref()
        .and_then(|s| s.encrypt_object_id())
    {
        trailer.set("Encrypt", Object::Reference(id));
    }
    for key in [
        &b"XRefStm"[..],
        b"Type",
        b"W",
        b"Index",
        b"Length",
        b"Filter",
        b"DecodeParms",
    ] {
        trailer.remove(key);
    }
    trailer.set("Prev", Object::Integer(i64::try_from(doc.xref_start).ok()?));
    let header = header_offset(bytes);
    let mut out = bytes.to_vec();
    if out.last() != Some(&b'\n') {
        out.push(b'\n');
    }
    let xref_at = out.len() - header;
    out.extend_from_slice(b"xref\n");
    for &(n, generation) in entries {
        let _ = write!(
            out,
            "{n} 1\n0000000000 {:05} f\r\n",
            generation.saturating_add(1)
        );
    }
    out.extend_from_slice(b"trailer\n");
    lopdf::Writer::write_object(&mut out, &Object::Dictionary(trailer)).ok()?;
    let _ = write!(out, "\nstartxref\n{xref_at}\n%%EOF\n");
    Some(out)
}

fn load_decrypted_from(
    bytes: &[u8],
    options: LoadOptions,
    first: lopdf::Result<Document>,
) -> lopdf::Result<Document> {
    let needs_help = match &first {
        Ok(doc) => {
            crypt_filters_missing(doc)
                || (doc.is_encrypted() && doc.encryption_state.is_none())
                || encrypt_not_a_dictionary(doc)
                || (encrypt_is_direct(&doc.trailer) && doc.encryption_state.is_none())
        }
        Err(lopdf::Error::InvalidPassword | lopdf::Error::Decryption(_)) => true,
        Err(_) => false,
    };
    if !needs_help {
        return first;
    }
    if let Ok(doc) = &first
        && encrypt_not_a_dictionary(doc)
    {
        let renamed = rename_key(bytes, b"/Encrypt", b"/Xncrypt");
        return match Document::load_mem_with_options(&renamed, options) {
            Ok(mut doc) if !super::objects::pages(&doc).is_empty() => {
                doc.trailer.remove(b"Xncrypt");
                Ok(doc)
            }
            _ => first,
        };
    }
    let fixed = match readable_copy(bytes, &options) {
        Ok(Some(fixed)) => fixed,
        Ok(None) => return first,
        // No password opens a file locked to certificates; say which handler it is, not that
        // the password was wrong.
        Err(handler) => {
            return match first {
                Err(_) => Err(lopdf::Error::UnsupportedSecurityHandler(handler)),
                Ok(doc) if encrypt_is_direct(&doc.trailer) => {
                    Err(lopdf::Error::UnsupportedSecurityHandler(handler))
                }
                ok => ok,
            };
        }
    };
    let direct = encrypt_is_direct(&fixed.trailer);
    match Document::load_mem_with_options(&fixed.bytes, options) {
        Ok(mut doc) if doc.encryption_state.is_some() && !crypt_filters_missing(&doc) => {
            doc.xref_start = fixed.xref_start;
            doc.trailer = fixed.trailer;
            Ok(doc)
        }
        // A direct dictionary that still locks the copy: a real user password (or a wrong one),
        // which only the copy shows; the first load took the file for an unencrypted one.
        Ok(doc) if direct && doc.is_encrypted() => Ok(doc),
        Err(e @ (lopdf::Error::InvalidPassword | lopdf::Error::Decryption(_))) if direct => Err(e),
        // Still locked with the fix: a real user password, and the first answer stands.
        _ => first,
    }
}

/// Whether a trailer's `/Encrypt` is a direct dictionary rather than a reference.
fn encrypt_is_direct(trailer: &Dictionary) -> bool {
    matches!(trailer.get(b"Encrypt"), Ok(Object::Dictionary(_)))
}

/// In an update lopdf wrote for a document whose trailer holds its `/Encrypt` as a direct
/// dictionary, the trailer's `/Encrypt` refers to the object only the readable copy has; put the
/// file's own dictionary back in its place. The trailer follows every object and the
/// cross-reference data, so no offset moves.
pub(crate) fn restore_direct_encrypt(tail: &mut Vec<u8>, doc: &Document) -> std::io::Result<()> {
    let (Ok(Object::Dictionary(dict)), Some(id)) = (
        doc.trailer.get(b"Encrypt"),
        doc.encryption_state
            .as_ref()
            .and_then(|s| s.encrypt_object_id()),
    ) else {
        return Ok(());
    };
    let reference = format!("/Encrypt {} {} R", id.0, id.1);
    let at = memchr::memmem::rfind(tail, reference.as_bytes()).ok_or_else(|| {
        std::io::Error::other("the update's trailer has no /Encrypt reference to replace")
    })?;
    let mut direct = b"/Encrypt ".to_vec();
    lopdf::Writer::write_object(&mut direct, &Object::Dictionary(dict.clone()))?;
    tail.splice(at..at + reference.len(), direct);
    Ok(())
}

/// The name of the security handler (`/Filter` of the encryption dictionary) of a document lopdf
/// could not decrypt, e.g. `Adobe.PubSec` for files locked to a recipient's certificate.
pub(crate) fn security_handler(doc: &Document) -> Option<Vec<u8>> {
    let dict = doc.get_encrypted().ok()?;
    Some(dict.get(b"Filter").ok()?.as_name().ok()?.to_vec())
}

/// Whether the trailer's `/Encrypt` is there but not a reference (lopdf then loads no object).
fn encrypt_not_a_dictionary(doc: &Document) -> bool {
    match doc.trailer.get(b"Encrypt") {
        Ok(Object::Reference(_)) | Err(_) => false,
        Ok(Object::Dictionary(_)) => false,
        Ok(_) => true,
    }
}

/// Whether lopdf decrypted with a filter the file names but lopdf did not read (V4/V5 only; an
/// unknown name makes lopdf use RC4).
fn crypt_filters_missing(doc: &Document) -> bool {
    let Some(state) = doc.encryption_state.as_ref() else {
        return false;
    };
    if state.version() < 4 {
        return false;
    }
    let known = |name: &[u8]| {
        name.is_empty() || name == b"Identity" || state.crypt_filters().contains_key(name)
    };
    !known(state.default_stream_filter()) || !known(state.default_string_filter())
}

struct FixedCopy {
    bytes: Vec<u8>,
    xref_start: usize,
    trailer: Dictionary,
}

/// A copy of `bytes` with a last revision that redefines the `/Encrypt` object with its crypt
/// filters inline and without entries its handler does not use, under a trailer whose `/ID` is an
/// array of two strings (empty ones when the file has none); `None` when there is no encryption
/// dictionary to read, the handler's name when it is not the standard (password) one.
fn readable_copy(bytes: &[u8], options: &LoadOptions) -> Result<Option<FixedCopy>, Vec<u8>> {
    let handler = |raw: &Document| -> Option<Vec<u8>> {
        let dict = encryption_dictionary(raw)?.1;
        Some(dict.get(b"Filter").ok()?.as_name().ok()?.to_vec())
    };
    let renamed = rename_key(bytes, b"/Encrypt", b"/Xncrypt");
    let Ok(raw) = Document::load_mem_with_options(
        &renamed,
        LoadOptions {
            password: None,
            ..options.clone()
        },
    ) else {
        return Ok(None);
    };
    match handler(&raw) {
        Some(name) if name != b"Standard" => Err(name),
        Some(_) => Ok(standard_copy(bytes, &raw)),
        None => Ok(None),
    }
}

/// The encryption dictionary of a file loaded with `/Encrypt` renamed `/Xncrypt` (so lopdf leaves
/// it alone): its object id, or for a direct dictionary in the trailer a number no object of the
/// file has, and the dictionary.
fn encryption_dictionary(raw: &Document) -> Option<(ObjectId, &Dictionary, bool)> {
    match raw.trailer.get(b"Xncrypt").ok()? {
        Object::Reference(id) => Some((*id, raw.get_dictionary(*id).ok()?, false)),
        Object::Dictionary(dict) => {
            let size = raw
                .trailer
                .get(b"Size")
                .ok()
                .and_then(|o| o.as_i64().ok())
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0);
            let free = size.max(raw.max_id.saturating_add(1));
            Some(((free, 0), dict, true))
        }
        _ => None,
    }
}

/// [`readable_copy`] for the standard security handler, from the file loaded without decryption.
fn standard_copy(bytes: &[u8], raw: &Document) -> Option<FixedCopy> {
    let (encrypt_id, encrypt, direct) = encryption_dictionary(raw)?;
    let original = encrypt.clone();
    let mut encrypt = encrypt.clone();
    let resolve = |o: &Object| -> Option<Object> {
        match o {
            Object::Reference(id) => raw.get_object(*id).ok().cloned(),
            other => Some(other.clone()),
        }
    };
    if let Ok(cf) = encrypt.get(b"CF") {
        let cf = resolve(cf)?;
        let mut filters = Dictionary::new();
        for (name, filter) in cf.as_dict().ok()? {
            filters.set(name.clone(), resolve(filter)?);
        }
        encrypt.set("CF", Object::Dictionary(filters));
    }
    let version = encrypt
        .get(b"V")
        .ok()
        .and_then(|v| v.as_i64().ok())
        .unwrap_or(0);
    if version >= 4 {
        // The key length is fixed by the crypt filters; some writers put bytes here, not bits.
        encrypt.remove(b"Length");
    }
    if encrypt
        .get(b"EncryptMetadata")
        .is_ok_and(|v| v.as_bool().is_err())
    {
        encrypt.remove(b"EncryptMetadata");
    }

    let mut trailer = raw.trailer.clone();
    trailer.remove(b"Xncrypt");
    let mut new_trailer = trailer.clone();
    if direct {
        trailer.set("Encrypt", Object::Dictionary(original));
    }
    new_trailer.set("Encrypt", Object::Reference(encrypt_id));
    new_trailer.set("Prev", Object::Integer(i64::try_from(raw.xref_start).ok()?));
    new_trailer.set("ID", readable_id(trailer.get(b"ID").ok()));
    for key in [
        &b"XRefStm"[..],
        b"Type",
        b"W",
        b"Index",
        b"Length",
        b"Filter",
        b"DecodeParms",
    ] {
        new_trailer.remove(key);
    }
    let size = new_trailer
        .get(b"Size")
        .ok()
        .and_then(|o| o.as_i64().ok())
        .unwrap_or(0)
        .max(i64::from(encrypt_id.0) + 1);
    new_trailer.set("Size", Object::Integer(size));

    let header = header_offset(bytes);
    let mut out = bytes.to_vec();
    if out.last() != Some(&b'\n') {
        out.push(b'\n');
    }
    let at = out.len() - header;
    write_indirect(&mut out, encrypt_id, &Object::Dictionary(encrypt)).ok()?;
    let xref_at = out.len() - header;
    let _ = write!(
        out,
        "xref\n0 1\n0000000000 65535 f\r\n{} 1\n{at:010} {:05} n\r\ntrailer\n",
        encrypt_id.0, encrypt_id.1
    );
    lopdf::Writer::write_object(&mut out, &Object::Dictionary(new_trailer)).ok()?;
    let _ = write!(out, "\nstartxref\n{xref_at}\n%%EOF\n");
    Some(FixedCopy {
        bytes: out,
        xref_start: raw.xref_start,
        trailer,
    })
}

/// The `/ID` readers use: the file's first string, or an empty one when `/ID` is missing or is not
/// an array starting with a string.
fn readable_id(id: Option<&Object>) -> Object {
    let first = id
        .and_then(|o| o.as_array().ok())
        .and_then(|a| a.first())
        .and_then(|o| o.as_str().ok())
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    let s = Object::String(first, StringFormat::Hexadecimal);
    Object::Array(vec![s.clone(), s])
}

fn write_indirect(out: &mut Vec<u8>, id: ObjectId, obj: &Object) -> lopdf::Result<()> {
    let _ = writeln!(out, "{} {} obj", id.0, id.1);
    lopdf::Writer::write_object(out, obj)?;
    out.extend_from_slice(b"\nendobj\n");
    Ok(())
}

/// `bytes` with every `from` key (followed by a delimiter, so `/EncryptMetadata` stays) replaced by
/// `to` of the same length.
fn rename_key(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    debug_assert_eq!(from.len(), to.len());
    let mut out = bytes.to_vec();
    let mut at = 0;
    while let Some(p) = memchr::memmem::find(&out[at..], from) {
        let start = at + p;
        let end = start + from.len();
        let regular = out
            .get(end)
            .is_some_and(|c| !c.is_ascii_whitespace() && !b"()<>[]{}/%".contains(c));
        if !regular {
            out[start..end].copy_from_slice(to);
        }
        at = end;
    }
    out
}

/// The object numbers of every cross-reference stream on the chain from `xref_start` (offsets
/// relative to the header): some writers leave their own xref stream out of `/Size`, and a new
/// object given that number would clobber it.
pub(crate) fn xref_stream_numbers(bytes: &[u8], xref_start: usize) -> Vec<u32> {
    const MAX_SECTIONS: usize = 4096;
    // A classic table of a million objects is 20 MB; its trailer (and `/Prev`) follows it.
    const MAX_SECTION: usize = 32 << 20;
    let body = &bytes[header_offset(bytes)..];
    let mut out = Vec::new();
    let mut todo = vec![xref_start];
    let mut seen = std::collections::HashSet::new();
    while let Some(at) = todo.pop() {
        if at >= body.len() || !seen.insert(at) || seen.len() > MAX_SECTIONS {
            continue;
        }
        let section = &body[at..body.len().min(at.saturating_add(MAX_SECTION))];
        // A cross-reference stream is `N G obj << ... >> stream`; its dictionary ends at `stream`.
        let dict_end = if let Some(n) = object_number_at(section) {
            out.push(n);
            memchr::memmem::find(section, b"stream").unwrap_or(section.len())
        } else {
            memchr::memmem::find(section, b"startxref").unwrap_or(section.len())
        };
        let dict = &section[..dict_end];
        for key in [&b"/Prev"[..], b"/XRefStm"] {
            if let Some(i) = memchr::memmem::find(dict, key)
                && let Some(v) = leading_number(&dict[i + key.len()..])
            {
                todo.push(v);
            }
        }
    }
    out
}

/// `N` when `b` starts (after white space) with `N G obj`.
fn object_number_at(b: &[u8]) -> Option<u32> {
    let end = b
        .iter()
        .take(40)
        .position(|c| !c.is_ascii())
        .unwrap_or(b.len().min(40));
    let text = std::str::from_utf8(&b[..end]).ok()?;
    let mut parts = text.split_ascii_whitespace();
    let n = parts.next()?.parse().ok()?;
    parts.next()?.parse::<u16>().ok()?;
    parts.next()?.starts_with("obj").then_some(n)
}

/// The unsigned integer after optional white space at the start of `b`.
pub(crate) fn leading_number(b: &[u8]) -> Option<usize> {
    let digits: Vec<u8> = b
        .iter()
        .skip_while(|c| c.is_ascii_whitespace())
        .take_while(|c| c.is_ascii_digit())
        .copied()
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_renamed_only_as_whole_names() {
        let got = rename_key(
            b"<</Encrypt 5 0 R/EncryptMetadata false>>/Encrypt[]",
            b"/Encrypt",
            b"/Xncrypt",
        );
        assert_eq!(
            got,
            b"<</Xncrypt 5 0 R/EncryptMetadata false>>/Xncrypt[]".to_vec()
        );
    }

    #[test]
    fn object_numbers_are_read_from_section_starts() {
        assert_eq!(object_number_at(b"12 0 obj\n<</Type/XRef"), Some(12));
        assert_eq!(object_number_at(b"xref\n0 5\n"), None);
        assert_eq!(object_number_at(b"7 0 objx"), Some(7));
    }
}
