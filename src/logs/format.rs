//! nginx `log_format` strings compiled into field extractors.
//!
//! A format is a sequence of literal text and variables (`$name` or `${name}`), as
//! `ngx_http_log_compile()` reads it. A line is matched left to right: the value of a
//! variable runs up to the next occurrence of the literal that follows it (with
//! `escape=json`, a `\`-escaped byte never ends a value); the last variable of a format
//! that ends in a literal runs up to that literal at the end of the line. Only the
//! variables the report needs are kept; their values stay escaped until they are used.

/// How a `log_format` escapes variables (nginx's `escape=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Escape {
    #[default]
    Default,
    Json,
    None,
}

/// nginx's predefined `combined` format.
pub const COMBINED: &str = "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\"";

/// The variables the log analysis reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Field {
    Verify,
    SubjectDn,
    IssuerDn,
    Serial,
    VEnd,
    Fingerprint,
    Status,
    ServerName,
    ServerPort,
    SslServerName,
    RemoteAddr,
    TimeLocal,
    TimeIso,
    Msec,
    Host,
}

pub const FIELD_COUNT: usize = 15;

impl Field {
    pub fn from_var(name: &str) -> Option<Field> {
        Some(match name {
            "ssl_client_verify" => Field::Verify,
            "ssl_client_s_dn" | "ssl_client_s_dn_legacy" => Field::SubjectDn,
            "ssl_client_i_dn" | "ssl_client_i_dn_legacy" => Field::IssuerDn,
            "ssl_client_serial" => Field::Serial,
            "ssl_client_v_end" => Field::VEnd,
            "ssl_client_fingerprint" => Field::Fingerprint,
            "status" => Field::Status,
            "server_name" => Field::ServerName,
            "server_port" => Field::ServerPort,
            "ssl_server_name" => Field::SslServerName,
            "remote_addr" => Field::RemoteAddr,
            "time_local" => Field::TimeLocal,
            "time_iso8601" => Field::TimeIso,
            "msec" => Field::Msec,
            "host" => Field::Host,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug)]
struct Step {
    field: Option<Field>,
    /// The literal after the variable (empty: the variable runs to the end of the line).
    lit: Vec<u8>,
    /// This is the last step and its literal ends the line.
    last: bool,
    /// Finds the literal's first byte.
    finder: Finder,
}

/// Finds a literal's first byte: the first 64 bytes 16 at a time (one SSE2 compare; 8
/// at a time, a word, on other targets), then memchr. Values are mostly short (DNs and
/// fingerprints are 30-60 bytes) and memchr's per-call setup costs more than scanning
/// them. The 64-byte window measured faster than 32 and 128 with the word scan; other
/// windows have not been measured with the 16-byte compare, which took 12% of the
/// instructions of `logs` off (callgrind, 300,000 lines of benches/logs.sh).
#[derive(Clone, Copy, Debug)]
struct Finder {
    first: u8,
}

impl Finder {
    fn new(first: u8) -> Finder {
        Finder { first }
    }

    #[inline]
    fn find(&self, h: &[u8]) -> Option<usize> {
        let mut at = 0;
        while at < 64 && at + CHUNK <= h.len() {
            let m = self.matches(&h[at..at + CHUNK]);
            if m != 0 {
                return Some(at + m.trailing_zeros() as usize / MATCH_BITS);
            }
            at += CHUNK;
        }
        if at < 64 {
            // Fewer than CHUNK bytes left.
            return h[at..]
                .iter()
                .position(|c| *c == self.first)
                .map(|k| at + k);
        }
        memchr::memchr(self.first, &h[at..]).map(|k| at + k)
    }

    /// A mask of the bytes of `c` (CHUNK bytes) equal to the first byte: MATCH_BITS bits
    /// a byte, the first byte lowest.
    #[cfg(target_arch = "x86_64")]
    #[inline]
    fn matches(&self, c: &[u8]) -> u32 {
        use std::arch::x86_64::{
            _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
        };
        // SAFETY: `c` holds 16 bytes, loaded unaligned; SSE2 is part of x86_64.
        unsafe {
            let v = _mm_loadu_si128(c.as_ptr().cast());
            _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(self.first as i8))) as u32
        }
    }

    #[cfg(not(target_arch = "x86_64"))]
    #[inline]
    fn matches(&self, c: &[u8]) -> u64 {
        const LO: u64 = 0x0101_0101_0101_0101;
        const HI: u64 = 0x8080_8080_8080_8080;
        let w = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]))
            ^ LO.wrapping_mul(u64::from(self.first));
        // The lowest 0x80 bit marks the first zero byte of w (the first match).
        w.wrapping_sub(LO) & !w & HI
    }
}

/// Bytes [`Finder`] compares at once, and bits of its mask per byte.
#[cfg(target_arch = "x86_64")]
const CHUNK: usize = 16;
#[cfg(target_arch = "x86_64")]
const MATCH_BITS: usize = 1;
#[cfg(not(target_arch = "x86_64"))]
const CHUNK: usize = 8;
#[cfg(not(target_arch = "x86_64"))]
const MATCH_BITS: usize = 8;

/// A compiled `log_format`.
#[derive(Clone, Debug)]
pub struct LogFormat {
    pub name: String,
    pub escape: Escape,
    /// The format string as written (the arguments joined).
    pub source: String,
    prefix: Vec<u8>,
    steps: Vec<Step>,
    /// Index of the last step holding a needed field.
    stop: usize,
    has: [bool; FIELD_COUNT],
}

enum Seg {
    Lit(Vec<u8>),
    Var(String),
}

fn segments(src: &[u8]) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut lit = Vec::new();
    let mut i = 0;
    let is_name = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    while i < src.len() {
        if src[i] == b'$' {
            let (name, next) = if src.get(i + 1) == Some(&b'{') {
                match src[i + 2..].iter().position(|c| *c == b'}') {
                    Some(n) => (&src[i + 2..i + 2 + n], i + 3 + n),
                    None => (&src[i..i], i),
                }
            } else {
                let n = src[i + 1..].iter().take_while(|c| is_name(**c)).count();
                (&src[i + 1..i + 1 + n], i + 1 + n)
            };
            if !name.is_empty() {
                if !lit.is_empty() {
                    out.push(Seg::Lit(std::mem::take(&mut lit)));
                }
                out.push(Seg::Var(String::from_utf8_lossy(name).into_owned()));
                i = next;
                continue;
            }
        }
        lit.push(src[i]);
        i += 1;
    }
    if !lit.is_empty() {
        out.push(Seg::Lit(lit));
    }
    out
}

impl LogFormat {
    pub fn new(name: &str, escape: Escape, source: &str) -> LogFormat {
        let segs = segments(source.as_bytes());
        let mut prefix = Vec::new();
        let mut steps: Vec<Step> = Vec::new();
        let mut has = [false; FIELD_COUNT];
        let mut it = segs.into_iter().peekable();
        if let Some(Seg::Lit(l)) = it.peek() {
            prefix = l.clone();
            it.next();
        }
        while let Some(seg) = it.next() {
            let Seg::Var(v) = seg else { continue };
            let mut field = Field::from_var(&v);
            let lit = match it.peek() {
                Some(Seg::Lit(l)) => {
                    let l = l.clone();
                    it.next();
                    l
                }
                Some(Seg::Var(_)) => {
                    // `$a$b`: nothing separates the two values; neither is trusted.
                    field = None;
                    if let Some(prev) = steps.last_mut().filter(|s| s.lit.is_empty()) {
                        prev.field = None;
                    }
                    Vec::new()
                }
                None => Vec::new(),
            };
            steps.push(Step {
                field,
                finder: Finder::new(lit.first().copied().unwrap_or(0)),
                lit,
                last: false,
            });
        }
        // An adjacent pair's second member: also untrusted.
        for i in 1..steps.len() {
            if steps[i - 1].lit.is_empty() {
                steps[i].field = None;
            }
        }
        if let Some(s) = steps.last_mut() {
            s.last = true;
        }
        for s in &steps {
            if let Some(f) = s.field {
                has[f as usize] = true;
            }
        }
        // Fallbacks that are not read when the better field is there.
        let unneeded = |f: Field| match f {
            Field::SslServerName => has[Field::ServerName as usize],
            Field::Host => has[Field::ServerName as usize] || has[Field::SslServerName as usize],
            _ => false,
        };
        for s in &mut steps {
            if s.field.is_some_and(unneeded) {
                s.field = None;
            }
        }
        // Parse only as far as the last needed field; the rest of the line is checked
        // only for the format's last literal.
        let stop = steps.iter().rposition(|s| s.field.is_some()).unwrap_or(0);
        LogFormat {
            stop,
            name: name.to_string(),
            escape,
            source: source.to_string(),
            prefix,
            steps,
            has,
        }
    }

    pub fn combined() -> LogFormat {
        LogFormat::new("combined", Escape::Default, COMBINED)
    }

    pub fn has(&self, f: Field) -> bool {
        self.has[f as usize]
    }

    /// Splits `line` (without its newline) into the fields the report needs; `None` when
    /// the line does not have the format's shape.
    ///
    /// A `Record` must be used with one format only: the fields a format does not have
    /// are never written (so they stay absent) and the others are written by every
    /// successful match.
    pub fn extract(&self, line: &[u8], rec: &mut Record) -> bool {
        let line = match line.last() {
            Some(b'\r') => &line[..line.len() - 1],
            _ => line,
        };
        if line.len() < self.prefix.len() || !eq_small(&line[..self.prefix.len()], &self.prefix) {
            return false;
        }
        let mut pos = self.prefix.len();
        let json = self.escape == Escape::Json;
        for (k, s) in self.steps.iter().enumerate() {
            let end;
            let next;
            if s.lit.is_empty() {
                if !s.last {
                    // Adjacent variables: the rest cannot be split; values unknown.
                    end = pos;
                    next = pos;
                } else {
                    end = line.len();
                    next = line.len();
                }
            } else if s.last {
                if line.len() < pos + s.lit.len()
                    || !eq_small(&line[line.len() - s.lit.len()..], &s.lit)
                {
                    return false;
                }
                end = line.len() - s.lit.len();
                next = line.len();
            } else {
                match find_lit(&line[pos..], &s.lit, json, &s.finder) {
                    Some(i) => {
                        end = pos + i;
                        next = end + s.lit.len();
                    }
                    None => return false,
                }
            }
            if let Some(f) = s.field {
                rec.ranges[f as usize] = (pos as u32, end as u32);
            }
            pos = next;
            if k == self.stop && !s.last {
                // Nothing needed beyond here: the line must still end like the format.
                let tail = self.steps.last().map_or(&[][..], |l| &l.lit[..]);
                return line.len() >= pos + tail.len()
                    && eq_small(&line[line.len() - tail.len()..], tail);
            }
        }
        pos == line.len()
    }
}

/// The first occurrence of `lit` in `hay`; with `json`, skipping `\`-escaped bytes.
#[inline]
fn find_lit(hay: &[u8], lit: &[u8], json: bool, finder: &Finder) -> Option<usize> {
    let mut from = 0;
    loop {
        // (A byte loop over the first bytes before memchr was measured slower.)
        let i = from + finder.find(&hay[from..])?;
        if json {
            let bs = hay[..i].iter().rev().take_while(|c| **c == b'\\').count();
            if bs % 2 == 1 {
                from = i + 1;
                continue;
            }
        }
        // Literals are short: a byte loop beats a memcmp call.
        let rest = &lit[1..];
        if hay.len() - i > rest.len() && rest.iter().zip(&hay[i + 1..]).all(|(a, b)| a == b) {
            return Some(i);
        }
        from = i + 1;
    }
}

/// Longest value kept from a log line (bytes, still escaped). Subjects, issuers, server
/// names and client addresses are a few hundred bytes; a longer value is cut here, so
/// that the tables (at most `--limit` rows each) stay bounded whatever the lines hold.
pub const MAX_VALUE: usize = 4096;

/// `v` cut to [`MAX_VALUE`] bytes.
#[inline]
pub fn clip(v: &[u8]) -> &[u8] {
    &v[..v.len().min(MAX_VALUE)]
}

/// Byte equality without a `memcmp` call (the slices here are a few bytes long).
#[inline]
pub fn eq_small(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        if x != y {
            return false;
        }
    }
    ca.remainder()
        .iter()
        .zip(cb.remainder())
        .all(|(x, y)| x == y)
}

/// Where each needed field lies in the current line.
#[derive(Clone, Debug)]
pub struct Record {
    ranges: [(u32, u32); FIELD_COUNT],
}

const ABSENT: (u32, u32) = (u32::MAX, u32::MAX);

impl Default for Record {
    fn default() -> Self {
        Record {
            ranges: [ABSENT; FIELD_COUNT],
        }
    }
}

impl Record {
    /// The raw (still escaped) value; `None` when the format lacks the field or nginx
    /// wrote `-` or nothing.
    #[inline]
    pub fn raw<'l>(&self, line: &'l [u8], f: Field) -> Option<&'l [u8]> {
        let (a, b) = self.ranges[f as usize];
        if a == u32::MAX {
            return None;
        }
        let v = line.get(a as usize..b as usize)?;
        if v.is_empty() || v == b"-" {
            None
        } else {
            Some(clip(v))
        }
    }
}

/// Decodes nginx's escaping of a variable value into `out` (cleared first); returns the
/// decoded bytes (which may be `raw` itself when nothing is escaped).
#[inline]
pub fn unescape<'a>(raw: &'a [u8], escape: Escape, out: &'a mut Vec<u8>) -> &'a [u8] {
    if escape == Escape::None || memchr::memchr(b'\\', raw).is_none() {
        return raw;
    }
    out.clear();
    let hex = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    };
    let mut i = 0;
    while i < raw.len() {
        // Copy the run up to the next backslash in one go.
        let run = memchr::memchr(b'\\', &raw[i..]).unwrap_or(raw.len() - i);
        out.extend_from_slice(&raw[i..i + run]);
        i += run;
        if i >= raw.len() {
            break;
        }
        let c = raw[i];
        if i + 1 >= raw.len() {
            out.push(c);
            i += 1;
            continue;
        }
        let n = raw[i + 1];
        match (escape, n) {
            (Escape::Default, b'x') => {
                match (
                    raw.get(i + 2).and_then(|c| hex(*c)),
                    raw.get(i + 3).and_then(|c| hex(*c)),
                ) {
                    (Some(h), Some(l)) => {
                        out.push(h << 4 | l);
                        i += 4;
                    }
                    _ => {
                        out.push(c);
                        i += 1;
                    }
                }
            }
            (Escape::Json, b'"' | b'\\' | b'/') => {
                out.push(n);
                i += 2;
            }
            (Escape::Json, b'n') => {
                out.push(b'\n');
                i += 2;
            }
            (Escape::Json, b'r') => {
                out.push(b'\r');
                i += 2;
            }
            (Escape::Json, b't') => {
                out.push(b'\t');
                i += 2;
            }
            (Escape::Json, b'b') => {
                out.push(8);
                i += 2;
            }
            (Escape::Json, b'f') => {
                out.push(12);
                i += 2;
            }
            (Escape::Json, b'u') if i + 6 <= raw.len() => {
                let code = raw[i + 2..i + 6]
                    .iter()
                    .try_fold(0u32, |acc, c| hex(*c).map(|h| acc << 4 | u32::from(h)));
                match code.and_then(char::from_u32) {
                    Some(ch) => {
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        i += 6;
                    }
                    None => {
                        out.push(c);
                        i += 1;
                    }
                }
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(f: &LogFormat, line: &str, field: Field) -> Option<String> {
        let mut r = Record::default();
        assert!(f.extract(line.as_bytes(), &mut r), "no match: {line}");
        let mut buf = Vec::new();
        r.raw(line.as_bytes(), field)
            .map(|v| String::from_utf8_lossy(unescape(v, f.escape, &mut buf)).into_owned())
    }

    #[test]
    fn combined_line() {
        let f = LogFormat::combined();
        let l = r#"127.0.0.1 - - [27/Nov/2025:05:24:58 +0000] "GET / HTTP/1.1" 400 255 "-" "curl/7.88.1""#;
        assert_eq!(get(&f, l, Field::Status).as_deref(), Some("400"));
        assert_eq!(get(&f, l, Field::RemoteAddr).as_deref(), Some("127.0.0.1"));
        assert_eq!(
            get(&f, l, Field::TimeLocal).as_deref(),
            Some("27/Nov/2025:05:24:58 +0000")
        );
        assert!(!f.has(Field::Verify));
        let mut r = Record::default();
        assert!(!f.extract(b"garbage", &mut r));
    }

    #[test]
    fn braces_and_default_escape() {
        let f = LogFormat::new(
            "m",
            Escape::Default,
            "${remote_addr}|$ssl_client_verify|\"$ssl_client_s_dn\"|$status",
        );
        let l = r#"::1|FAILED:certificate has expired|"CN=a\x22b,O=Ex\x5C,c"|400"#;
        assert_eq!(
            get(&f, l, Field::Verify).as_deref(),
            Some("FAILED:certificate has expired")
        );
        assert_eq!(
            get(&f, l, Field::SubjectDn).as_deref(),
            Some("CN=a\"b,O=Ex\\,c")
        );
        assert_eq!(get(&f, l, Field::Status).as_deref(), Some("400"));
    }

    #[test]
    fn json_escape() {
        let f = LogFormat::new(
            "j",
            Escape::Json,
            r#"{"v":"$ssl_client_verify","dn":"$ssl_client_s_dn","s":$status}"#,
        );
        let l = r#"{"v":"SUCCESS","dn":"CN=x\",y\\","s":200}"#;
        assert_eq!(get(&f, l, Field::SubjectDn).as_deref(), Some("CN=x\",y\\"));
        assert_eq!(get(&f, l, Field::Status).as_deref(), Some("200"));
        assert_eq!(get(&f, l, Field::Verify).as_deref(), Some("SUCCESS"));
    }

    #[test]
    fn chunk_scan_finds_the_first_byte_like_position() {
        // Every length up to past the 64-byte scan window, every position, with decoys
        // after the match (a borrow in the zero-byte trick must not move the answer).
        for len in 0..80 {
            for at in 0..=len {
                let mut h: Vec<u8> = (0..len).map(|i| b'a' + (i % 7) as u8).collect();
                if at < len {
                    h[at] = b'"';
                    for (k, c) in h.iter_mut().enumerate().skip(at + 1) {
                        if k % 3 == 0 {
                            *c = b'"';
                        }
                    }
                }
                let want = h.iter().position(|c| *c == b'"');
                assert_eq!(Finder::new(b'"').find(&h), want, "len {len} at {at}");
            }
        }
        // 0x80 and 0x00 neighbours.
        let h = [0x00, 0x80, 0x21, 0x22, 0xff];
        assert_eq!(Finder::new(0x22).find(&h), Some(3));
        assert_eq!(Finder::new(0x00).find(&h), Some(0));
        assert_eq!(Finder::new(0xff).find(&h), Some(4));
    }

    #[test]
    fn adjacent_variables_are_not_trusted() {
        let f = LogFormat::new("a", Escape::Default, "$host$status $remote_addr");
        assert!(!f.has(Field::Status));
        assert!(!f.has(Field::Host));
        assert!(f.has(Field::RemoteAddr));
    }
}
