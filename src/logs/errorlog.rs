//! nginx error log lines:
//! `YYYY/MM/DD HH:MM:SS [level] pid#tid: *cid message, client: ..., server: ..., request: "...", host: "..."`,
//! and the client-certificate messages among them.

/// The client-certificate message kinds nginx writes (all at `info` level).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MsgKind {
    /// `client sent no required SSL certificate while reading client request headers`
    NoRequiredCertificate,
    /// `client SSL certificate verify error: (10:certificate has expired) ...`
    VerifyError,
    /// `client SSL certificate verify error: certificate revoked` (OCSP status) and
    /// other OCSP messages.
    Ocsp,
    /// `SSL_do_handshake() failed (SSL: ... alert ...)` while SSL handshaking.
    HandshakeFailed,
    /// `client attempted to request the server name different from the one that was negotiated`
    SniMismatch,
}

impl MsgKind {
    pub const ALL: [MsgKind; 5] = [
        MsgKind::NoRequiredCertificate,
        MsgKind::VerifyError,
        MsgKind::Ocsp,
        MsgKind::HandshakeFailed,
        MsgKind::SniMismatch,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MsgKind::NoRequiredCertificate => "no_required_certificate",
            MsgKind::VerifyError => "verify_error",
            MsgKind::Ocsp => "ocsp",
            MsgKind::HandshakeFailed => "handshake_failed",
            MsgKind::SniMismatch => "sni_mismatch",
        }
    }
}

/// One error log line, split.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ErrorLine<'a> {
    pub time: &'a [u8],
    pub level: &'a [u8],
    pub message: &'a [u8],
    pub client: Option<&'a [u8]>,
    pub server: Option<&'a [u8]>,
    pub request: Option<&'a [u8]>,
    pub host: Option<&'a [u8]>,
}

/// Whether a line has the error log's shape (`YYYY/MM/DD HH:MM:SS [`).
pub fn looks_like_error_line(l: &[u8]) -> bool {
    l.len() > 22
        && l[4] == b'/'
        && l[7] == b'/'
        && l[10] == b' '
        && l[13] == b':'
        && l[16] == b':'
        && l[19] == b' '
        && l[20] == b'['
        && l[..4].iter().all(u8::is_ascii_digit)
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    memchr::memmem::find(h, n)
}

pub fn parse(l: &[u8]) -> Option<ErrorLine<'_>> {
    let l = l.strip_suffix(b"\r").unwrap_or(l);
    if !looks_like_error_line(l) {
        return None;
    }
    let close = 21 + memchr::memchr(b']', &l[21..])?;
    let level = &l[21..close];
    let mut rest = l.get(close + 1..)?.strip_prefix(b" ")?;
    // pid#tid:
    if let Some(i) = find(rest, b": ")
        && rest[..i].iter().all(|c| c.is_ascii_digit() || *c == b'#')
    {
        rest = &rest[i + 2..];
    }
    // *cid
    if rest.first() == Some(&b'*') {
        let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        rest = rest[1 + n..].strip_prefix(b" ").unwrap_or(&rest[1 + n..]);
    }
    let mut out = ErrorLine {
        time: &l[..19],
        level,
        message: rest,
        ..ErrorLine::default()
    };
    if let Some(i) = find(rest, b", client: ") {
        out.message = &rest[..i];
        let ctx = &rest[i + 2..];
        out.client = field(ctx, b"client: ", false);
        out.server = field(ctx, b"server: ", false);
        out.request = field(ctx, b"request: \"", true);
        out.host = field(ctx, b"host: \"", true);
    }
    Some(out)
}

fn field<'a>(ctx: &'a [u8], key: &[u8], quoted: bool) -> Option<&'a [u8]> {
    let start = if ctx.starts_with(key) {
        key.len()
    } else {
        let mut k = b", ".to_vec();
        k.extend_from_slice(key);
        find(ctx, &k)? + k.len()
    };
    let v = &ctx[start..];
    let end = if quoted {
        // nginx escapes `"` in these values, so the first `"` ends it.
        memchr::memchr(b'"', v).unwrap_or(v.len())
    } else {
        find(v, b", ").unwrap_or(v.len())
    };
    Some(&v[..end])
}

/// The client-certificate kind of a message and, when there is one, its reason text.
pub fn classify(msg: &[u8]) -> Option<(MsgKind, Option<&[u8]>)> {
    const VERIFY: &[u8] = b"client SSL certificate verify error: ";
    if let Some(i) = find(msg, VERIFY) {
        let r = &msg[i + VERIFY.len()..];
        let r = strip_while(r);
        if r.first() == Some(&b'(') {
            // (10:certificate has expired)
            let inner = &r[1..r.iter().rposition(|c| *c == b')').unwrap_or(r.len())];
            let reason = match memchr::memchr(b':', inner) {
                Some(c) if inner[..c].iter().all(|d| d.is_ascii_digit() || *d == b'-') => {
                    &inner[c + 1..]
                }
                _ => inner,
            };
            return Some((MsgKind::VerifyError, Some(reason)));
        }
        return Some((MsgKind::Ocsp, Some(r)));
    }
    if find(msg, b"client sent no required SSL certificate").is_some() {
        return Some((MsgKind::NoRequiredCertificate, None));
    }
    if find(
        msg,
        b"client attempted to request the server name different",
    )
    .is_some()
    {
        return Some((MsgKind::SniMismatch, None));
    }
    if find(msg, b"SSL_do_handshake() failed").is_some() {
        return Some((MsgKind::HandshakeFailed, Some(openssl_reason(msg))));
    }
    if find(msg, b"OCSP").is_some() {
        let r = strip_while(msg);
        return Some((MsgKind::Ocsp, Some(r)));
    }
    None
}

/// `... while reading client request headers` -> without the `while` clause.
fn strip_while(m: &[u8]) -> &[u8] {
    match find(m, b" while ") {
        Some(i) => &m[..i],
        None => m,
    }
}

/// The reason of an OpenSSL error in `(SSL: error:0A000418:SSL routines::tlsv1 alert
/// unknown ca:SSL alert number 48)` (OpenSSL 3) or `error:14094418:SSL
/// routines:ssl3_read_bytes:tlsv1 alert unknown ca` (1.1).
fn openssl_reason(msg: &[u8]) -> &[u8] {
    const R: &[u8] = b"SSL routines:";
    let Some(i) = memchr::memmem::rfind(msg, R) else {
        return b"unknown";
    };
    let rest = &msg[i + R.len()..];
    // function name (empty in OpenSSL 3) then ':'
    let rest = match memchr::memchr(b':', rest) {
        Some(c) => &rest[c + 1..],
        None => rest,
    };
    let end = rest
        .iter()
        .position(|c| *c == b':' || *c == b')')
        .unwrap_or(rest.len());
    &rest[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_error_line() {
        let l = b"2025/11/27 05:24:58 [info] 123#123: *7 client SSL certificate verify error: (10:certificate has expired) while reading client request headers, client: 127.0.0.1, server: localhost, request: \"GET / HTTP/1.1\", host: \"127.0.0.1:8443\"";
        let e = parse(l).unwrap();
        assert_eq!(e.level, b"info");
        assert_eq!(e.client, Some(&b"127.0.0.1"[..]));
        assert_eq!(e.server, Some(&b"localhost"[..]));
        assert_eq!(e.request, Some(&b"GET / HTTP/1.1"[..]));
        assert_eq!(e.host, Some(&b"127.0.0.1:8443"[..]));
        assert_eq!(
            classify(e.message),
            Some((MsgKind::VerifyError, Some(&b"certificate has expired"[..])))
        );
    }

    #[test]
    fn other_kinds() {
        assert_eq!(
            classify(
                b"client sent no required SSL certificate while reading client request headers"
            )
            .map(|k| k.0),
            Some(MsgKind::NoRequiredCertificate)
        );
        assert_eq!(
            classify(b"SSL_do_handshake() failed (SSL: error:0A000418:SSL routines::tlsv1 alert unknown ca:SSL alert number 48) while SSL handshaking"),
            Some((MsgKind::HandshakeFailed, Some(&b"tlsv1 alert unknown ca"[..])))
        );
        assert_eq!(
            classify(b"SSL_do_handshake() failed (SSL: error:14094418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:SSL alert number 48) while SSL handshaking"),
            Some((MsgKind::HandshakeFailed, Some(&b"tlsv1 alert unknown ca"[..])))
        );
        assert_eq!(
            classify(b"client SSL certificate verify error: certificate revoked while reading client request headers"),
            Some((MsgKind::Ocsp, Some(&b"certificate revoked"[..])))
        );
        assert_eq!(
            classify(b"client attempted to request the server name different from the one that was negotiated while reading client request headers").map(|k| k.0),
            Some(MsgKind::SniMismatch)
        );
        assert_eq!(
            classify(b"open() \"/x\" failed (2: No such file or directory)"),
            None
        );
    }
}
