//! A small DER reader, enough for key structures and OpenSSL's trust settings.

/// One TLV: (tag byte, content, rest).
pub(crate) fn tlv(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *data.first()?;
    let l0 = *data.get(1)?;
    let (len, hdr) = if l0 < 0x80 {
        (usize::from(l0), 2)
    } else {
        let n = usize::from(l0 & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for &b in data.get(2..2 + n)? {
            len = (len << 8) | usize::from(b);
        }
        (len, 2 + n)
    };
    let end = hdr.checked_add(len)?;
    Some((tag, data.get(hdr..end)?, data.get(end..)?))
}

/// The elements of a SEQUENCE's content.
pub(crate) fn elements(mut content: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut v = Vec::new();
    while !content.is_empty() {
        let (tag, c, rest) = tlv(content)?;
        v.push((tag, c));
        content = rest;
    }
    Some(v)
}

pub(crate) fn seq(data: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let (tag, c, _) = tlv(data)?;
    if tag != 0x30 {
        return None;
    }
    elements(c)
}

pub(crate) fn oid_string(content: &[u8]) -> Option<String> {
    let (first, rest) = content.split_first()?;
    let mut parts = vec![u64::from(first / 40), u64::from(first % 40)];
    let mut acc: u64 = 0;
    for &b in rest {
        acc = acc.checked_mul(128)? | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            parts.push(acc);
            acc = 0;
        }
    }
    Some(
        parts
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("."),
    )
}

/// Whether bytes look like a PKCS#12 PFX (version 3, authSafe of type data/signedData).
pub fn looks_like_pkcs12(der: &[u8]) -> bool {
    let Some(e) = seq(der) else {
        return false;
    };
    let version_3 = e.first().is_some_and(|(t, c)| *t == 0x02 && *c == [3]);
    let auth_safe = e.get(1).is_some_and(|(t, c)| {
        *t == 0x30
            && tlv(c).is_some_and(|(t, oid, _)| {
                t == 0x06
                    && oid_string(oid)
                        .is_some_and(|o| o == "1.2.840.113549.1.7.1" || o == "1.2.840.113549.1.7.2")
            })
    });
    version_3 && auth_safe
}
