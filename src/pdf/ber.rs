//! BER to DER for CMS blobs: definite lengths in their shortest form, constructed OCTET STRINGs
//! joined. Some signers write signatures in BER, which readers accept; the `der` crate does not.

/// Deepest nesting followed (a CMS signature nests about a dozen levels).
const MAX_DEPTH: usize = 64;

/// The DER form of the first BER element in `ber` (anything after it, such as the zero padding of
/// a signature's `/Contents`, is ignored); `None` when it is not BER.
pub(crate) fn to_der(ber: &[u8]) -> Option<Vec<u8>> {
    element(ber, 0).map(|(der, _)| der)
}

/// One element: its DER encoding and the bytes after it.
fn element(b: &[u8], depth: usize) -> Option<(Vec<u8>, &[u8])> {
    if depth > MAX_DEPTH {
        return None;
    }
    let tag_len = tag_length(b)?;
    let (tag, rest) = b.split_at(tag_len);
    let constructed = tag[0] & 0x20 != 0;
    let (length, rest) = read_length(rest)?;
    let mut content = Vec::new();
    let after = match length {
        Some(n) => {
            let body = rest.get(..n)?;
            if constructed {
                let mut inner = body;
                while !inner.is_empty() {
                    let (child, r) = element(inner, depth + 1)?;
                    content.extend_from_slice(&child);
                    inner = r;
                }
            } else {
                content.extend_from_slice(body);
            }
            &rest[n..]
        }
        None => {
            if !constructed {
                return None;
            }
            let mut inner = rest;
            loop {
                if let Some(r) = inner.strip_prefix(&[0, 0]) {
                    break r;
                }
                let (child, r) = element(inner, depth + 1)?;
                content.extend_from_slice(&child);
                inner = r;
            }
        }
    };
    let mut out = Vec::with_capacity(content.len() + 8);
    if tag == [0x24] {
        // A constructed OCTET STRING is, in DER, one primitive string of its pieces.
        let mut joined = Vec::with_capacity(content.len());
        let mut inner = content.as_slice();
        while !inner.is_empty() {
            let (piece, r) = primitive_value(inner)?;
            joined.extend_from_slice(piece);
            inner = r;
        }
        out.push(0x04);
        write_length(&mut out, joined.len());
        out.extend_from_slice(&joined);
    } else {
        out.extend_from_slice(tag);
        write_length(&mut out, content.len());
        out.extend_from_slice(&content);
    }
    Some((out, after))
}

/// The value of a DER OCTET STRING at the start of `b`, and what follows it.
fn primitive_value(b: &[u8]) -> Option<(&[u8], &[u8])> {
    if b.first() != Some(&0x04) {
        return None;
    }
    let (length, rest) = read_length(&b[1..])?;
    let n = length?;
    Some((rest.get(..n)?, &rest[n..]))
}

fn tag_length(b: &[u8]) -> Option<usize> {
    let first = *b.first()?;
    if first & 0x1f != 0x1f {
        return Some(1);
    }
    // High tag number: base-128 digits, the last without its top bit.
    let digits = b[1..].iter().take(4).position(|c| c & 0x80 == 0)?;
    Some(digits + 2)
}

/// `Some(n)` for a definite length, `None` (inside the `Some`) for an indefinite one.
fn read_length(b: &[u8]) -> Option<(Option<usize>, &[u8])> {
    let first = *b.first()?;
    if first < 0x80 {
        return Some((Some(usize::from(first)), &b[1..]));
    }
    if first == 0x80 {
        return Some((None, &b[1..]));
    }
    let n = usize::from(first & 0x7f);
    if n > 4 {
        return None;
    }
    let bytes = b.get(1..1 + n)?;
    let len = bytes
        .iter()
        .fold(0usize, |acc, &d| (acc << 8) | usize::from(d));
    Some((Some(len), &b[1 + n..]))
}

fn write_length(out: &mut Vec<u8>, len: usize) {
    if let Ok(short) = u8::try_from(len)
        && short < 0x80
    {
        out.push(short);
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    // fits: a usize has at most eight bytes to count.
    #[allow(clippy::cast_possible_truncation)]
    out.push(0x80 | (bytes.len() - skip) as u8);
    out.extend_from_slice(&bytes[skip..]);
}

#[cfg(test)]
mod tests {
    use super::to_der;

    #[test]
    fn ber_forms_become_der() {
        let check =
            |ber: &[u8], der: Option<&[u8]>| assert_eq!(to_der(ber).as_deref(), der, "{ber:02x?}");
        // Already DER, with padding after it.
        check(
            &[0x30, 0x03, 0x02, 0x01, 0x05, 0, 0],
            Some(&[0x30, 0x03, 0x02, 0x01, 0x05]),
        );
        // Indefinite length, nested.
        check(
            &[0x30, 0x80, 0xa0, 0x80, 0x02, 0x01, 0x05, 0, 0, 0, 0],
            Some(&[0x30, 0x05, 0xa0, 0x03, 0x02, 0x01, 0x05]),
        );
        // A long form that is not the shortest.
        check(
            &[0x04, 0x82, 0x00, 0x02, 0xab, 0xcd],
            Some(&[0x04, 0x02, 0xab, 0xcd]),
        );
        // A constructed OCTET STRING in two pieces.
        check(
            &[0x24, 0x80, 0x04, 0x01, 0xab, 0x04, 0x01, 0xcd, 0, 0],
            Some(&[0x04, 0x02, 0xab, 0xcd]),
        );
        // Truncated, or an indefinite primitive.
        check(&[0x30, 0x80, 0x02, 0x01], None);
        check(&[0x04, 0x80, 0xab, 0, 0], None);
        check(&[], None);
    }
}
