//! Changing one entry of an object as the file wrote it: the rest of its text, every number and
//! string as it was, is kept byte for byte.
//!
//! lopdf holds reals as `f32` and writes them back rounded (`595.2755905512` becomes `595.2756`),
//! so a page or catalog it re-serialises differs from the signed one in values an earlier
//! signature's modification policy forbids changing. The update writes such objects from their
//! original text with only `/Annots` (or the form's `/Fields` and `/SigFlags`) changed. In an
//! encrypted file the kept strings stay valid: the object keeps its number, and so its key.

/// The end (exclusive) of the object that starts at `at` in `text` (after white space): a
/// dictionary, array, string, name, number, boolean, null or reference `N G R`.
pub(crate) fn object_end(text: &[u8], at: usize) -> Option<usize> {
    let mut i = skip_space(text, at);
    match *text.get(i)? {
        b'<' if text.get(i + 1) == Some(&b'<') => container_end(text, i),
        b'[' => container_end(text, i),
        b'<' => Some(i + text[i..].iter().position(|&c| c == b'>')? + 1),
        b'(' => string_end(text, i),
        b'/' => {
            i += 1;
            while i < text.len() && is_regular(text[i]) {
                i += 1;
            }
            Some(i)
        }
        _ => {
            let first = token_end(text, i);
            if first == i {
                return None;
            }
            // `N G R` is one object.
            let digits = |a: usize, b: usize| b > a && text[a..b].iter().all(u8::is_ascii_digit);
            if digits(i, first) {
                let g0 = skip_space(text, first);
                let g1 = token_end(text, g0);
                let r0 = skip_space(text, g1);
                if g0 > first && digits(g0, g1) && r0 > g1 && text.get(r0) == Some(&b'R') {
                    let r1 = r0 + 1;
                    if text.get(r1).is_none_or(|&c| !is_regular(c)) {
                        return Some(r1);
                    }
                }
            }
            Some(first)
        }
    }
}

/// `dict` (the text of a dictionary, `<<` to `>>`) with `key` set to `value` (PDF text): its
/// value replaced where the key is, or the entry added before the closing `>>`.
pub(crate) fn set_entry(dict: &[u8], key: &[u8], value: &[u8]) -> Option<Vec<u8>> {
    let span = entry_value(dict, key)?;
    let mut out = Vec::with_capacity(dict.len() + value.len() + key.len() + 4);
    match span {
        Some((start, end)) => {
            out.extend_from_slice(&dict[..start]);
            out.extend_from_slice(value);
            out.extend_from_slice(&dict[end..]);
        }
        None => {
            let close = dict.len().checked_sub(2)?;
            out.extend_from_slice(&dict[..close]);
            out.push(b'/');
            out.extend_from_slice(key);
            out.push(b' ');
            out.extend_from_slice(value);
            out.extend_from_slice(&dict[close..]);
        }
    }
    Some(out)
}

/// Where the value of the top-level `key` of `dict` lies (start after the key's white space,
/// end); `Some(None)` when the dictionary has no such key, `None` when it cannot be read.
pub(crate) fn entry_value(dict: &[u8], key: &[u8]) -> Option<Option<(usize, usize)>> {
    if !dict.starts_with(b"<<") || !dict.ends_with(b">>") {
        return None;
    }
    let end = dict.len() - 2;
    let mut i = 2;
    loop {
        i = skip_space(dict, i);
        if i >= end {
            return Some(None);
        }
        if dict[i] != b'/' {
            return None;
        }
        let name_start = i + 1;
        let name_end = object_end(dict, i)?;
        let value_start = skip_space(dict, name_end);
        let value_end = object_end(dict, value_start)?;
        if value_end > end {
            return None;
        }
        if &dict[name_start..name_end] == key {
            return Some(Some((value_start, value_end)));
        }
        i = value_end;
    }
}

/// The dictionary text of the indirect object `N G obj <<…>>` that starts at `at` in `body`
/// (after white space), when its header names `id`.
pub(crate) fn indirect_dictionary(body: &[u8], at: usize, id: (u32, u16)) -> Option<&[u8]> {
    let header = format!("{} {} obj", id.0, id.1);
    let start = skip_space(body, at);
    if !body.get(start..)?.starts_with(header.as_bytes()) {
        return None;
    }
    let dict_start = skip_space(body, start + header.len());
    if !body.get(dict_start..)?.starts_with(b"<<") {
        return None;
    }
    let dict_end = container_end(body, dict_start)?;
    Some(&body[dict_start..dict_end])
}

fn is_regular(c: u8) -> bool {
    !c.is_ascii_whitespace() && c != 0 && !b"()<>[]{}/%".contains(&c)
}

fn token_end(text: &[u8], mut i: usize) -> usize {
    while i < text.len() && is_regular(text[i]) {
        i += 1;
    }
    i
}

/// Past white space and comments.
fn skip_space(text: &[u8], mut i: usize) -> usize {
    while i < text.len() {
        match text[i] {
            c if c.is_ascii_whitespace() || c == 0 => i += 1,
            b'%' => {
                while i < text.len() && text[i] != b'\n' && text[i] != b'\r' {
                    i += 1;
                }
            }
            _ => break,
        }
    }
    i
}

/// The end of the literal string starting at `at` (`(`), with nested parentheses and escapes.
fn string_end(text: &[u8], at: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = at;
    while i < text.len() {
        match text[i] {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The end of the dictionary (`<<`) or array (`[`) starting at `at`.
fn container_end(text: &[u8], at: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = at;
    while i < text.len() {
        match text[i] {
            b'(' => {
                i = string_end(text, i)?;
                continue;
            }
            b'%' => {
                i = skip_space(text, i);
                continue;
            }
            b'<' if text.get(i + 1) == Some(&b'<') => {
                depth += 1;
                i += 2;
                continue;
            }
            b'<' => {
                i += text[i..].iter().position(|&c| c == b'>')? + 1;
                continue;
            }
            b'>' if text.get(i + 1) == Some(&b'>') => {
                depth = depth.checked_sub(1)?;
                i += 2;
                if depth == 0 {
                    return Some(i);
                }
                continue;
            }
            b'[' => depth += 1,
            b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_replaced_or_added_and_everything_else_kept() {
        let page = b"<</Type/Page/MediaBox[0 0 595.2755905512 841.8897637795]/Resources<</ExtGState<</G<</CA 0.298039215686>>>>>>/Annots[ 7 0 R] /T(a\\)b>>c)>>";
        let got = set_entry(page, b"Annots", b"[7 0 R 12 0 R]").expect("set");
        assert_eq!(
            got,
            b"<</Type/Page/MediaBox[0 0 595.2755905512 841.8897637795]/Resources<</ExtGState<</G<</CA 0.298039215686>>>>>>/Annots[7 0 R 12 0 R] /T(a\\)b>>c)>>".to_vec()
        );
        let bare = b"<< /Type /Page /Parent 3 0 R >>";
        assert_eq!(
            set_entry(bare, b"Annots", b"[12 0 R]").expect("add"),
            b"<< /Type /Page /Parent 3 0 R /Annots [12 0 R]>>".to_vec()
        );
        let by_ref = b"<</Annots 9 0 R/Contents 4 0 R>>";
        assert_eq!(
            entry_value(by_ref, b"Annots").expect("read"),
            Some((10, 15))
        );
        let hex = b"<</ID<ab12>/Annots[1 0 R]>>";
        assert_eq!(entry_value(hex, b"Annots").expect("read"), Some((18, 25)));
        assert_eq!(entry_value(b"<</A 1>", b"A"), None);
    }

    #[test]
    fn an_indirect_dictionary_is_found_by_its_header() {
        let body = b"%PDF-1.7\n4 0 obj\n<</Type/Catalog % note >>\n/Pages 2 0 R>>\nendobj\n";
        assert_eq!(
            indirect_dictionary(body, 9, (4, 0)),
            Some(&b"<</Type/Catalog % note >>\n/Pages 2 0 R>>"[..])
        );
        assert_eq!(indirect_dictionary(body, 9, (5, 0)), None);
    }
}
