//! Distinguished names as OpenSSL prints and compares them.
//!
//! nginx fills `$ssl_client_s_dn` and `$ssl_client_i_dn` with
//! `X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253)`: the RDNs last to first, separated
//! by `,`, multi-valued RDNs joined by `+`, short attribute names (`CN`, `O`,
//! `emailAddress`), values converted to UTF-8 with RFC 2253 escapes and every byte
//! above 0x7f written as `\XX`. Unknown attributes are printed as their dotted OID and
//! `#` followed by the hex of the value's DER.
//!
//! Chain building compares names the way `X509_NAME_cmp()` does: on a canonical form
//! where text values are UTF-8, trimmed, with runs of white space collapsed and ASCII
//! letters lowercased.

use x509_parser::x509::X509Name;

/// A name in OpenSSL's canonical form, for equality tests only.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct CanonicalName(Vec<Vec<CanonicalAttr>>);

/// One attribute: type OID (DER), value tag, canonical value.
type CanonicalAttr = (Vec<u8>, u32, Vec<u8>);

impl CanonicalName {
    /// The empty name (no RDN).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

const TAG_UTF8: u32 = 12;
const TAG_NUMERIC: u32 = 18;
const TAG_PRINTABLE: u32 = 19;
const TAG_T61: u32 = 20;
const TAG_IA5: u32 = 22;
const TAG_UTC: u32 = 23;
const TAG_GENERALIZED: u32 = 24;
const TAG_VISIBLE: u32 = 26;
const TAG_GENERAL: u32 = 27;
const TAG_UNIVERSAL: u32 = 28;
const TAG_BMP: u32 = 30;

/// Decodes a string value to Unicode the way OpenSSL reads each string type, or `None`
/// for a type OpenSSL dumps as hex.
fn decode_string(tag: u32, data: &[u8]) -> Option<String> {
    match tag {
        TAG_UTF8 => std::str::from_utf8(data).ok().map(str::to_owned),
        TAG_NUMERIC | TAG_PRINTABLE | TAG_T61 | TAG_IA5 | TAG_UTC | TAG_GENERALIZED
        | TAG_VISIBLE | TAG_GENERAL => Some(data.iter().map(|&b| char::from(b)).collect()),
        TAG_BMP => {
            if !data.len().is_multiple_of(2) {
                return None;
            }
            let units: Vec<u16> = data
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        TAG_UNIVERSAL => {
            if !data.len().is_multiple_of(4) {
                return None;
            }
            data.chunks_exact(4)
                .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                .collect()
        }
        _ => None,
    }
}

/// OpenSSL's short name for an attribute type, or its dotted OID.
pub fn attribute_short_name(oid: &str) -> String {
    let name = match oid {
        "2.5.4.3" => "CN",
        "2.5.4.4" => "SN",
        "2.5.4.5" => "serialNumber",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "street",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "title",
        "2.5.4.13" => "description",
        "2.5.4.15" => "businessCategory",
        "2.5.4.17" => "postalCode",
        "2.5.4.41" => "name",
        "2.5.4.42" => "GN",
        "2.5.4.43" => "initials",
        "2.5.4.44" => "generationQualifier",
        "2.5.4.46" => "dnQualifier",
        "2.5.4.65" => "pseudonym",
        "2.5.4.97" => "organizationIdentifier",
        "1.2.840.113549.1.9.1" => "emailAddress",
        "0.9.2342.19200300.100.1.1" => "UID",
        "0.9.2342.19200300.100.1.25" => "DC",
        "1.3.6.1.4.1.311.60.2.1.3" => "jurisdictionC",
        "1.3.6.1.4.1.311.60.2.1.2" => "jurisdictionST",
        "1.3.6.1.4.1.311.60.2.1.1" => "jurisdictionL",
        _ => return oid.to_owned(),
    };
    name.to_owned()
}

fn is_known_attribute(oid: &str) -> bool {
    attribute_short_name(oid) != oid
}

/// Escapes one value as OpenSSL does with `ASN1_STRFLGS_RFC2253`.
fn escape_2253(value: &str, out: &mut String) {
    let bytes = value.as_bytes();
    let last = bytes.len().saturating_sub(1);
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b',' | b'+' | b'"' | b'\\' | b'<' | b'>' | b';' => {
                out.push('\\');
                out.push(char::from(b));
            }
            b'#' if i == 0 => out.push_str("\\#"),
            b' ' if i == 0 || i == last => out.push_str("\\ "),
            0..=0x1f | 0x7f..=0xff => out.push_str(&format!("\\{b:02X}")),
            _ => out.push(char::from(b)),
        }
    }
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Formats a name as nginx's `$ssl_client_s_dn` (OpenSSL `XN_FLAG_RFC2253`).
pub fn rfc2253(name: &X509Name<'_>) -> String {
    let mut out = String::new();
    let rdns: Vec<_> = name.iter_rdn().collect();
    for (ri, rdn) in rdns.iter().rev().enumerate() {
        if ri > 0 {
            out.push(',');
        }
        let attrs: Vec<_> = rdn.iter().collect();
        for (ai, attr) in attrs.iter().rev().enumerate() {
            if ai > 0 {
                out.push('+');
            }
            let oid = attr.attr_type().to_id_string();
            out.push_str(&attribute_short_name(&oid));
            out.push('=');
            let any = attr.attr_value();
            let tag = any.header.tag().0;
            match decode_string(tag, any.data) {
                Some(s) if is_known_attribute(&oid) => escape_2253(&s, &mut out),
                _ => {
                    // XN_FLAG_DUMP_UNKNOWN_FIELDS / ASN1_STRFLGS_DUMP_DER: '#' + hex DER.
                    out.push('#');
                    out.push_str(&hex_upper(&der_tlv(tag, any.data)));
                }
            }
        }
    }
    out
}

/// Re-encodes a primitive universal TLV (tag number below 31).
fn der_tlv(tag: u32, data: &[u8]) -> Vec<u8> {
    let mut v = vec![u8::try_from(tag & 0x1f).unwrap_or(0)];
    let len = data.len();
    if len < 0x80 {
        v.push(len as u8);
    } else {
        let be = len.to_be_bytes();
        let skip = be.iter().take_while(|&&b| b == 0).count();
        v.push(0x80 | (be.len() - skip) as u8);
        v.extend_from_slice(&be[skip..]);
    }
    v.extend_from_slice(data);
    v
}

/// The canonical form `X509_NAME_cmp()` compares.
pub fn canonical(name: &X509Name<'_>) -> CanonicalName {
    let mut rdns = Vec::new();
    for rdn in name.iter_rdn() {
        let mut set = Vec::new();
        for attr in rdn.iter() {
            let oid = attr.attr_type().as_bytes().to_vec();
            let any = attr.attr_value();
            let tag = any.header.tag().0;
            let canon_types = [
                TAG_UTF8,
                TAG_BMP,
                TAG_UNIVERSAL,
                TAG_PRINTABLE,
                TAG_T61,
                TAG_IA5,
                TAG_VISIBLE,
            ];
            let value = if canon_types.contains(&tag) {
                match decode_string(tag, any.data) {
                    Some(s) => (TAG_UTF8, canon_text(&s)),
                    None => (tag, any.data.to_vec()),
                }
            } else {
                (tag, any.data.to_vec())
            };
            set.push((oid, value.0, value.1));
        }
        rdns.push(set);
    }
    CanonicalName(rdns)
}

fn canon_text(s: &str) -> Vec<u8> {
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let bytes = s.as_bytes();
    let start = bytes
        .iter()
        .position(|&b| !is_space(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| !is_space(b))
        .map_or(start, |p| p + 1);
    let mut out = Vec::with_capacity(end.saturating_sub(start));
    let mut in_space = false;
    for &b in &bytes[start..end] {
        if is_space(b) {
            if !in_space {
                out.push(b' ');
            }
            in_space = true;
        } else {
            in_space = false;
            out.push(b.to_ascii_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canon_collapses_space_and_case() {
        assert_eq!(canon_text("  Example   CA\t"), b"example ca".to_vec());
    }

    #[test]
    fn escapes_like_openssl() {
        let mut s = String::new();
        escape_2253("#a,b+c é ", &mut s);
        assert_eq!(s, "\\#a\\,b\\+c \\C3\\A9\\ ");
    }
}
