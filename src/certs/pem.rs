//! A PEM scanner that keeps line numbers, as OpenSSL's `PEM_read_bio()` reads a file:
//! text outside `-----BEGIN X-----` / `-----END X-----` is skipped, each block's body is
//! base64 (optionally after RFC 1421 headers such as `Proc-Type:`).

use base64::Engine;

/// A PEM block's body: decoded bytes, or why it could not be decoded.
#[derive(Clone, PartialEq, Eq)]
pub enum Body {
    Decoded(Vec<u8>),
    /// The file ends before the block's END line.
    Truncated,
    /// The END line's label differs from the BEGIN line's.
    EndMismatch(String),
    /// The body is not valid base64.
    BadBase64,
}

impl std::fmt::Debug for Body {
    // Bodies may hold private keys: never print them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Decoded(b) => write!(f, "Decoded({} bytes)", b.len()),
            Body::Truncated => f.write_str("Truncated"),
            Body::EndMismatch(l) => write!(f, "EndMismatch({l:?})"),
            Body::BadBase64 => f.write_str("BadBase64"),
        }
    }
}

/// One `-----BEGIN label-----` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub label: String,
    /// 1-based line of the BEGIN line.
    pub line: usize,
    /// The body has RFC 1421 headers (`Proc-Type: 4,ENCRYPTED` on legacy encrypted keys).
    pub headers: Vec<String>,
    pub body: Body,
}

impl Block {
    /// Whether this is a private key of any kind.
    pub fn is_private_key(&self) -> bool {
        self.label.ends_with("PRIVATE KEY")
    }
}

fn begin_label(line: &str) -> Option<&str> {
    line.strip_prefix("-----BEGIN ")?.strip_suffix("-----")
}

fn end_label(line: &str) -> Option<&str> {
    line.strip_prefix("-----END ")?.strip_suffix("-----")
}

/// Whether the bytes look like PEM at all (some BEGIN line).
pub fn looks_like_pem(data: &[u8]) -> bool {
    data.windows(11).any(|w| w == b"-----BEGIN ")
}

/// Scans every PEM block in `data`.
/// Whether a line of text could be key material: PEM armour (`-----BEGIN ...`) or a line
/// of bare base64 at least 16 characters long, as in a key's body. Reporters that quote
/// file text (log samples, config excerpts) hide such lines: a key file given where a
/// log or a configuration is expected must not be echoed. Neither nginx log lines nor
/// configuration lines look like this (they hold spaces or `;`).
pub fn looks_like_key_material(line: &[u8]) -> bool {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let t = line.trim_ascii();
    t.starts_with(b"-----BEGIN ")
        || t.starts_with(b"-----END ")
        || (t.len() >= 16
            && t.iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=')))
}

pub fn scan(data: &[u8]) -> Vec<Block> {
    let text = String::from_utf8_lossy(data);
    let mut blocks = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((idx, raw)) = lines.next() {
        let line = raw.trim_end();
        let Some(label) = begin_label(line) else {
            continue;
        };
        let mut block = Block {
            label: label.to_owned(),
            line: idx + 1,
            headers: Vec::new(),
            body: Body::Truncated,
        };
        let mut b64 = String::new();
        let mut in_headers = true;
        let mut ended = false;
        while let Some(&(_, raw)) = lines.peek() {
            let l = raw.trim();
            if begin_label(l).is_some() {
                // A new BEGIN before this block's END: this block is truncated.
                break;
            }
            lines.next();
            if let Some(end) = end_label(l) {
                block.body = if end != block.label {
                    Body::EndMismatch(end.to_owned())
                } else {
                    match base64::engine::general_purpose::STANDARD.decode(b64.as_bytes()) {
                        Ok(bytes) if !bytes.is_empty() => Body::Decoded(bytes),
                        _ => Body::BadBase64,
                    }
                };
                ended = true;
                break;
            }
            if in_headers && l.contains(':') {
                block.headers.push(l.to_owned());
                continue;
            }
            in_headers = false;
            b64.extend(l.chars().filter(|c| !c.is_whitespace()));
        }
        if !ended {
            block.body = Body::Truncated;
        }
        blocks.push(block);
    }
    blocks
}

/// PEM text of one DER object (`label` such as `CERTIFICATE` or `X509 CRL`), 64
/// characters a line as OpenSSL writes it.
pub fn encode(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or(""));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn key_material_lines() {
        assert!(looks_like_key_material(b"-----BEGIN PRIVATE KEY-----"));
        assert!(looks_like_key_material(b"  -----END EC PRIVATE KEY-----\r"));
        assert!(looks_like_key_material(
            b"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg4bn/3UZO4rbNR9P5"
        ));
        assert!(looks_like_key_material(b"yU3qrNAM6Oq/lJYwym6JQ+dlhs=="));
        // Log and configuration lines hold spaces or punctuation; short words pass.
        assert!(!looks_like_key_material(
            b"127.0.0.1 - - [27/Nov/2026:05:49:06 +0000] \"GET / HTTP/1.1\" 200"
        ));
        assert!(!looks_like_key_material(b"    ssl_verify_client on;"));
        assert!(!looks_like_key_material(b"}"));
        assert!(!looks_like_key_material(b"abc123"));
    }

    use super::*;

    #[test]
    fn finds_blocks_with_lines() {
        let s = b"junk\n-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n\n-----BEGIN X509 CRL-----\nAAE=\n-----END X509 CRL-----\n";
        let blocks = scan(s);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].line, 2);
        assert_eq!(blocks[0].body, Body::Decoded(vec![0, 1, 2]));
        assert_eq!(blocks[1].line, 6);
        assert_eq!(blocks[1].label, "X509 CRL");
    }

    #[test]
    fn truncated_and_mismatched() {
        let s = b"-----BEGIN CERTIFICATE-----\nAAEC\n-----BEGIN CERTIFICATE-----\nAAEC\n-----END X509 CRL-----\n";
        let blocks = scan(s);
        assert_eq!(blocks[0].body, Body::Truncated);
        assert_eq!(blocks[1].body, Body::EndMismatch("X509 CRL".into()));
        let s = b"-----BEGIN CERTIFICATE-----\nA!!!\n-----END CERTIFICATE-----\n";
        assert_eq!(scan(s)[0].body, Body::BadBase64);
    }
}
