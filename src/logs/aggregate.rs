//! Counting: every table is keyed by bytes (no per-line allocation once a key is known)
//! and bounded by a limit, so memory does not grow with the size of the log.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use crate::logs::errorlog::{self, MsgKind};
use crate::logs::format::Escape;
use crate::logs::format::{Field, LogFormat, Record, clip, eq_small, unescape};
use crate::logs::time;

/// Default for `--limit`: distinct certificates, client addresses and servers kept
/// (each). Rows beyond it are counted as `(other)`.
pub const DEFAULT_TABLE_LIMIT: usize = 10_000;
/// Time buckets kept (the oldest are dropped beyond this).
pub const MAX_BUCKETS: usize = 2_000;
/// Unmatched lines shown.
pub const MAX_SAMPLES: usize = 5;
/// The text shown for an unmatched line that looks like key material (PEM armour or bare
/// base64): see [`crate::certs::pem::looks_like_key_material`].
pub const HIDDEN_SAMPLE: &str = "[not shown: PEM or base64 data, possibly a private key]";
/// Distinct values kept in the small tables (verify values, reasons, levels).
pub const MAX_SMALL: usize = 1_000;

/// FxHash (rustc's hasher): fast for short byte keys; keys are not attacker-chosen
/// beyond what a bounded table can absorb.
#[derive(Default, Clone, Copy)]
pub struct Fx(u64);

impl Hasher for Fx {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut h = self.0;
        let mut b = bytes;
        while b.len() >= 8 {
            let w = u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
            h = (h.rotate_left(5) ^ w).wrapping_mul(K);
            b = &b[8..];
        }
        if b.len() >= 4 {
            let w = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            h = (h.rotate_left(5) ^ u64::from(w)).wrapping_mul(K);
            b = &b[4..];
        }
        for &c in b {
            h = (h.rotate_left(5) ^ u64::from(c)).wrapping_mul(K);
        }
        self.0 = h;
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.0 = (self.0.rotate_left(5) ^ i as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // Fx alone leaves the low bits (hashbrown's bucket index) poorly mixed for keys
        // that differ only at their end (IP addresses, serials): finish with a
        // murmur3-style avalanche.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h
    }
}

/// A time parser for one of nginx's time variables.
type TimeParser = fn(&[u8]) -> Option<i64>;

pub type Map<V> = HashMap<Vec<u8>, V, BuildHasherDefault<Fx>>;

/// Adds `n` to `map[key]`, allocating the key only the first time; beyond `limit`
/// distinct keys, returns false (the caller counts it as other).
#[inline]
fn bump(map: &mut Map<u64>, key: &[u8], n: u64, limit: usize) -> bool {
    let key = crate::logs::format::clip(key);
    if let Some(v) = map.get_mut(key) {
        *v += n;
        true
    } else if map.len() < limit {
        map.insert(key.to_vec(), n);
        true
    } else {
        false
    }
}

#[derive(Clone, Debug, Default)]
pub struct Sample {
    pub file: String,
    pub line: u64,
    pub text: String,
}

#[derive(Clone, Debug, Default)]
pub struct FileInfo {
    pub path: String,
    pub kind: &'static str,
    pub log_format: Option<String>,
    pub lines: u64,
    pub matched: u64,
    pub unmatched: u64,
}

/// Counts indexed by interned `$ssl_client_verify` value (see [`Stats::verify_names`]).
pub type VCounts = Vec<u64>;

/// A table key kept inline when it is short (a client address): a lookup then reads no
/// memory outside the table. Hashes and compares as its bytes.
pub type ShortKey = smallvec::SmallVec<[u8; 24]>;

#[inline]
fn vbump(v: &mut VCounts, id: u32, n: u64) {
    let i = id as usize;
    if v.len() <= i {
        v.resize(i + 1, 0);
    }
    v[i] += n;
}

fn vadd(dst: &mut VCounts, src: &[u64], remap: &[u32]) {
    for (i, n) in src.iter().enumerate() {
        if *n > 0 {
            vbump(dst, remap[i], *n);
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct ServerStat {
    pub requests: u64,
    pub verify: VCounts,
}

#[derive(Clone, Debug, Default)]
pub struct CertStat {
    pub subject: Vec<u8>,
    pub serial: Vec<u8>,
    pub issuer: Vec<u8>,
    pub fingerprint: Vec<u8>,
    pub not_after: Option<i64>,
    pub count: u64,
    pub first_seen: Option<i64>,
    pub last_seen: Option<i64>,
    pub verify: VCounts,
}

#[derive(Clone, Debug, Default)]
pub struct ClientStat {
    pub none: u64,
    pub failed: u64,
    /// Requests refused with 400 (no certificate with `ssl_verify_client on`, or failed).
    pub status_400: u64,
    /// `FAILED:*` results (by verify id).
    pub reasons: VCounts,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bucket {
    pub total: u64,
    pub success: u64,
    pub none: u64,
    pub failed: u64,
    pub status_400: u64,
}

#[derive(Clone, Debug, Default)]
pub struct ErrSample {
    pub time: String,
    pub level: String,
    pub message: String,
    pub client: String,
    pub server: String,
    pub request: String,
    pub host: String,
}

#[derive(Clone, Debug, Default)]
pub struct ErrStats {
    pub lines: u64,
    pub unmatched: u64,
    pub levels: Map<u64>,
    pub kinds: BTreeMap<MsgKind, u64>,
    /// `client SSL certificate verify error: (N:reason)` by reason.
    pub verify_errors: Map<u64>,
    pub ocsp_errors: Map<u64>,
    pub handshake_errors: Map<u64>,
    pub clients: Map<u64>,
    pub clients_other: u64,
    pub servers: Map<u64>,
    pub samples: BTreeMap<MsgKind, ErrSample>,
}

/// Everything counted from some lines.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub limit: usize,
    pub bucket_secs: i64,
    pub files: Vec<FileInfo>,
    pub lines: u64,
    pub access_lines: u64,
    pub matched: u64,
    pub unmatched: u64,
    pub skipped_since: u64,
    pub without_time: u64,
    /// `NONE` and `FAILED:*` answered with status 400 (refused by nginx).
    pub none_400: u64,
    pub failed_400: u64,
    pub unmatched_samples: Vec<Sample>,
    /// Interned `$ssl_client_verify` values: id -> bytes.
    pub verify_names: Vec<Vec<u8>>,
    pub verify: VCounts,
    pub status: BTreeMap<u16, u64>,
    pub servers: HashMap<Vec<u8>, ServerStat, BuildHasherDefault<Fx>>,
    pub servers_other: u64,
    pub certs: HashMap<Vec<u8>, Box<CertStat>, BuildHasherDefault<Fx>>,
    pub certs_other: u64,
    /// Keyed by the address, stored in the table itself (addresses are short).
    pub clients: HashMap<ShortKey, Box<ClientStat>, BuildHasherDefault<Fx>>,
    pub clients_other: u64,
    pub buckets: BTreeMap<i64, Bucket>,
    pub first_time: Option<i64>,
    pub last_time: Option<i64>,
    pub err: ErrStats,
    /// Names of access log formats without `$ssl_client_verify`.
    pub formats_without_verify: Vec<String>,
}

/// Per-thread state that turns lines into counts without allocating.
pub struct Counter<'f> {
    pub stats: Stats,
    pub format: Option<&'f LogFormat>,
    pub file_index: usize,
    /// Lines with a time before this are skipped (`--since`).
    pub cutoff: Option<i64>,
    rec: Record,
    key: Vec<u8>,
    dec: [Vec<u8>; 3],
    status_buf: [u64; 600],
    last_time_raw: Vec<u8>,
    last_time: Option<i64>,
    /// The bucket being filled (flushed into the map when the time moves on).
    bucket: Option<(i64, Bucket)>,
    /// The first servers seen, by their logged name and port bytes: most logs have a
    /// handful, found by a short scan instead of a hash lookup (flushed into
    /// `stats.servers` by `flush_status`).
    srv_local: Vec<(Vec<u8>, Vec<u8>, ServerStat)>,
    /// The tables this counter fills.
    pub part: Part,
}

/// Servers kept in a counter's front table.
const SRV_LOCAL: usize = 8;

/// Which tables a [`Counter`] fills: all of them, or (two counters given the same lines
/// in the same order, on two threads) the certificate table on one side and everything
/// else on the other; [`Counter::take_certs`] then joins them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    All,
    /// Everything but `certs` and `certs_other`.
    NoCerts,
    /// Only `certs` and `certs_other` (and the verify ids they count by).
    CertsOnly,
}

impl Stats {
    pub fn new(limit: usize, bucket_secs: i64) -> Stats {
        Stats {
            limit: limit.max(1),
            bucket_secs: bucket_secs.max(1),
            ..Stats::default()
        }
    }

    /// The id of a `$ssl_client_verify` value (beyond [`MAX_SMALL`] values: `(other)`).
    pub fn intern(&mut self, v: &[u8]) -> u32 {
        if let Some(i) = self.verify_names.iter().position(|n| n == v) {
            return i as u32;
        }
        if self.verify_names.len() >= MAX_SMALL {
            return self.intern_other();
        }
        self.verify_names.push(v.to_vec());
        (self.verify_names.len() - 1) as u32
    }

    fn intern_other(&mut self) -> u32 {
        const OTHER: &[u8] = b"(other)";
        match self.verify_names.iter().position(|n| n == OTHER) {
            Some(i) => i as u32,
            None => {
                self.verify_names.push(OTHER.to_vec());
                (self.verify_names.len() - 1) as u32
            }
        }
    }

    /// Counts by verify id as a map from the value.
    pub fn vmap(&self, c: &[u64]) -> Map<u64> {
        let mut m = Map::default();
        for (i, n) in c.iter().enumerate() {
            if *n > 0
                && let Some(name) = self.verify_names.get(i)
            {
                *m.entry(name.clone()).or_default() += *n;
            }
        }
        m
    }

    /// An empty copy with the same settings.
    pub fn empty_like(&self) -> Stats {
        Stats::new(self.limit, self.bucket_secs)
    }

    fn note_time(&mut self, t: i64) {
        self.first_time = Some(self.first_time.map_or(t, |f| f.min(t)));
        self.last_time = Some(self.last_time.map_or(t, |l| l.max(t)));
    }

    fn bucket(&mut self, t: i64) -> Option<&mut Bucket> {
        let start = t - t.rem_euclid(self.bucket_secs);
        if self.buckets.len() >= MAX_BUCKETS && !self.buckets.contains_key(&start) {
            let first = *self.buckets.keys().next()?;
            if start < first {
                return None;
            }
            self.buckets.remove(&first);
        }
        Some(self.buckets.entry(start).or_default())
    }

    /// Adds `o` into `self`. `o`'s files are appended (same path: summed).
    pub fn merge(&mut self, o: Stats) {
        let limit = self.limit;
        for f in o.files {
            match self
                .files
                .iter_mut()
                .find(|x| x.path == f.path && x.kind == f.kind)
            {
                Some(x) => {
                    x.lines += f.lines;
                    x.matched += f.matched;
                    x.unmatched += f.unmatched;
                }
                None => self.files.push(f),
            }
        }
        self.lines += o.lines;
        self.access_lines += o.access_lines;
        self.matched += o.matched;
        self.unmatched += o.unmatched;
        self.skipped_since += o.skipped_since;
        self.without_time += o.without_time;
        self.none_400 += o.none_400;
        self.failed_400 += o.failed_400;
        for s in o.unmatched_samples {
            if self.unmatched_samples.len() < MAX_SAMPLES {
                self.unmatched_samples.push(s);
            }
        }
        let remap: Vec<u32> = o.verify_names.iter().map(|n| self.intern(n)).collect();
        vadd(&mut self.verify, &o.verify, &remap);
        for (k, v) in o.status {
            *self.status.entry(k).or_default() += v;
        }
        for (k, v) in o.servers {
            if let Some(s) = self.servers.get_mut(&k) {
                s.requests += v.requests;
                vadd(&mut s.verify, &v.verify, &remap);
            } else if self.servers.len() < limit {
                let mut v = v;
                v.verify = remapped(&v.verify, &remap);
                self.servers.insert(k, v);
            } else {
                self.servers_other += v.requests;
            }
        }
        self.servers_other += o.servers_other;
        for (_, v) in o.certs {
            let mut k = v.subject.clone();
            k.push(0);
            k.extend_from_slice(&v.serial);
            if let Some(c) = self.certs.get_mut(&k) {
                c.count += v.count;
                c.first_seen = min_opt(c.first_seen, v.first_seen);
                c.last_seen = max_opt(c.last_seen, v.last_seen);
                if c.not_after.is_none() {
                    c.not_after = v.not_after;
                }
                vadd(&mut c.verify, &v.verify, &remap);
            } else if self.certs.len() < limit {
                let mut v = v;
                v.verify = remapped(&v.verify, &remap);
                self.certs.insert(k, v);
            } else {
                self.certs_other += v.count;
            }
        }
        self.certs_other += o.certs_other;
        for (k, v) in o.clients {
            if let Some(c) = self.clients.get_mut(&k) {
                c.none += v.none;
                c.failed += v.failed;
                c.status_400 += v.status_400;
                vadd(&mut c.reasons, &v.reasons, &remap);
            } else if self.clients.len() < limit {
                let mut v = v;
                v.reasons = remapped(&v.reasons, &remap);
                self.clients.insert(k, v);
            } else {
                self.clients_other += v.none + v.failed;
            }
        }
        self.clients_other += o.clients_other;
        for (k, v) in o.buckets {
            let b = self.buckets.entry(k).or_default();
            b.total += v.total;
            b.success += v.success;
            b.none += v.none;
            b.failed += v.failed;
            b.status_400 += v.status_400;
        }
        while self.buckets.len() > MAX_BUCKETS {
            self.buckets.pop_first();
        }
        if let Some(t) = o.first_time {
            self.note_time(t);
        }
        if let Some(t) = o.last_time {
            self.note_time(t);
        }
        let e = &mut self.err;
        let oe = o.err;
        e.lines += oe.lines;
        e.unmatched += oe.unmatched;
        for (k, v) in oe.levels {
            bump(&mut e.levels, &k, v, MAX_SMALL);
        }
        for (k, v) in oe.kinds {
            *e.kinds.entry(k).or_default() += v;
        }
        for (k, v) in oe.verify_errors {
            bump(&mut e.verify_errors, &k, v, MAX_SMALL);
        }
        for (k, v) in oe.ocsp_errors {
            bump(&mut e.ocsp_errors, &k, v, MAX_SMALL);
        }
        for (k, v) in oe.handshake_errors {
            bump(&mut e.handshake_errors, &k, v, MAX_SMALL);
        }
        for (k, v) in oe.clients {
            if !bump(&mut e.clients, &k, v, limit) {
                e.clients_other += v;
            }
        }
        e.clients_other += oe.clients_other;
        for (k, v) in oe.servers {
            bump(&mut e.servers, &k, v, limit);
        }
        for (k, v) in oe.samples {
            e.samples.entry(k).or_insert(v);
        }
        for f in o.formats_without_verify {
            if !self.formats_without_verify.contains(&f) {
                self.formats_without_verify.push(f);
            }
        }
    }
}

/// Counts a matched line's client certificate (subject + serial) in `st.certs`.
#[allow(clippy::too_many_arguments)]
#[inline]
fn count_cert(
    st: &mut Stats,
    rec: &Record,
    line: &[u8],
    key: &mut Vec<u8>,
    [d1, d2]: [&mut Vec<u8>; 2],
    esc: Escape,
    t: Option<i64>,
    vid: Option<u32>,
) {
    let limit = st.limit;
    let subject = rec.raw(line, Field::SubjectDn);
    let serial = rec.raw(line, Field::Serial);
    if subject.is_some() || serial.is_some() {
        // Keyed by the escaped bytes (one format per counter); `merge` re-keys by
        // the decoded subject and serial.
        key.clear();
        key.extend_from_slice(subject.unwrap_or(b""));
        key.push(0);
        key.extend_from_slice(serial.unwrap_or(b""));
        let c = if let Some(c) = st.certs.get_mut(&key[..]) {
            Some(c)
        } else if st.certs.len() < limit {
            let mut dec = Vec::new();
            let c = CertStat {
                subject: unescape(subject.unwrap_or(b""), esc, d1).to_vec(),
                serial: unescape(serial.unwrap_or(b""), esc, d2).to_vec(),
                issuer: rec
                    .raw(line, Field::IssuerDn)
                    .map(|v| unescape(v, esc, &mut dec).to_vec())
                    .unwrap_or_default(),
                fingerprint: rec
                    .raw(line, Field::Fingerprint)
                    .map(|v| v.to_vec())
                    .unwrap_or_default(),
                not_after: rec
                    .raw(line, Field::VEnd)
                    .and_then(|v| time::parse_openssl_time(unescape(v, esc, &mut dec))),
                ..CertStat::default()
            };
            Some(st.certs.entry(key.clone()).or_insert(Box::new(c)))
        } else {
            st.certs_other += 1;
            None
        };
        if let Some(c) = c {
            c.count += 1;
            c.first_seen = min_opt(c.first_seen, t);
            c.last_seen = max_opt(c.last_seen, t);
            if let Some(id) = vid {
                vbump(&mut c.verify, id, 1);
            }
        }
    }
}

fn remapped(src: &[u64], remap: &[u32]) -> VCounts {
    let mut v = VCounts::new();
    vadd(&mut v, src, remap);
    v
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn parse_status(b: &[u8]) -> Option<u16> {
    if b.len() != 3 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(u16::from(b[0] - b'0') * 100 + u16::from(b[1] - b'0') * 10 + u16::from(b[2] - b'0'))
}

impl<'f> Counter<'f> {
    pub fn new(stats: Stats, format: Option<&'f LogFormat>, file_index: usize) -> Counter<'f> {
        Counter {
            stats,
            format,
            file_index,
            cutoff: None,
            rec: Record::default(),
            key: Vec::with_capacity(256),
            dec: [Vec::new(), Vec::new(), Vec::new()],
            status_buf: [0; 600],
            last_time_raw: Vec::with_capacity(40),
            last_time: None,
            bucket: None,
            srv_local: Vec::new(),
            part: Part::All,
        }
    }

    /// Moves the certificate table of `certs` (a [`Part::CertsOnly`] counter that saw
    /// the same lines) into this ([`Part::NoCerts`]) counter's stats.
    pub fn take_certs(&mut self, certs: Stats) {
        // Both counters interned the same verify values in the same order; map by name
        // all the same.
        let remap: Vec<u32> = certs
            .verify_names
            .iter()
            .map(|n| self.stats.intern(n))
            .collect();
        let st = &mut self.stats;
        st.certs_other += certs.certs_other;
        // The table itself (not its rows re-inserted): the same table, in the same
        // order, as one counter filling everything would have.
        st.certs = certs.certs;
        if remap.iter().enumerate().any(|(i, r)| *r as usize != i) {
            for c in st.certs.values_mut() {
                c.verify = remapped(&c.verify, &remap);
            }
        }
    }

    /// Moves the status array into the stats; call before reading `stats`.
    pub fn finish(mut self) -> Stats {
        self.flush_status();
        self.stats
    }

    pub fn flush_status(&mut self) {
        let esc = self.format.map_or(Escape::Default, |f| f.escape);
        let has_port = self.format.is_some_and(|f| f.has(Field::ServerPort));
        let mut dec = Vec::new();
        for (name, port, v) in std::mem::take(&mut self.srv_local) {
            let mut key = unescape(&name, esc, &mut dec).to_vec();
            if has_port && !port.is_empty() {
                key.push(b':');
                key.extend_from_slice(&port);
            }
            let st = &mut self.stats;
            if let Some(s) = st.servers.get_mut(&key) {
                s.requests += v.requests;
                for (i, n) in v.verify.iter().enumerate() {
                    if *n > 0 {
                        vbump(&mut s.verify, i as u32, *n);
                    }
                }
            } else if st.servers.len() < st.limit {
                st.servers.insert(key, v);
            } else {
                st.servers_other += v.requests;
            }
        }
        if let Some((start, b)) = self.bucket.take()
            && let Some(x) = self.stats.bucket(start)
        {
            x.total += b.total;
            x.success += b.success;
            x.none += b.none;
            x.failed += b.failed;
            x.status_400 += b.status_400;
        }
        for (i, n) in self.status_buf.iter_mut().enumerate() {
            if *n > 0 {
                *self.stats.status.entry(i as u16).or_default() += *n;
                *n = 0;
            }
        }
    }

    fn file(&mut self) -> &mut FileInfo {
        &mut self.stats.files[self.file_index]
    }

    fn unmatched(&mut self, line: &[u8], line_no: u64) {
        self.stats.unmatched += 1;
        self.file().unmatched += 1;
        if self.stats.unmatched_samples.len() < MAX_SAMPLES {
            let text = &line[..line.len().min(300)];
            let file = self.stats.files[self.file_index].path.clone();
            self.stats.unmatched_samples.push(Sample {
                file,
                line: line_no,
                text: if crate::certs::pem::looks_like_key_material(text) {
                    // A key file read as a log must not be echoed.
                    HIDDEN_SAMPLE.to_string()
                } else {
                    lossy(text)
                },
            });
        }
    }

    /// Counts an access log line read; the format to match it with, `None` when there is
    /// nothing to match (an empty line, or no format).
    #[inline]
    fn access_read(&mut self, line: &[u8]) -> Option<&'f LogFormat> {
        self.stats.lines += 1;
        self.stats.access_lines += 1;
        self.stats.files[self.file_index].lines += 1;
        if line.is_empty() {
            return None;
        }
        self.format
    }

    /// Counts one access log line (without its newline).
    #[inline]
    pub fn access_line(&mut self, line: &[u8], line_no: u64) {
        let Some(fmt) = self.access_read(line) else {
            return;
        };
        if !fmt.extract(line, &mut self.rec) {
            self.unmatched(line, line_no);
            return;
        }
        self.count_matched(fmt, line);
    }

    /// Counts one access log line whose fields another thread extracted with this
    /// counter's format (`None`: the line did not match it). Counts exactly as
    /// [`Counter::access_line`] does.
    #[inline]
    pub fn access_extracted(&mut self, line: &[u8], line_no: u64, rec: Option<&Record>) {
        let Some(fmt) = self.access_read(line) else {
            return;
        };
        let Some(rec) = rec else {
            self.unmatched(line, line_no);
            return;
        };
        self.rec.clone_from(rec);
        self.count_matched(fmt, line);
    }

    /// For a [`Part::CertsOnly`] counter: extracts the fields of an access log line and
    /// counts its certificate; returns the fields (for the other counter's
    /// [`Counter::access_extracted`]), `None` when the line does not match.
    #[inline]
    pub fn certs_line(&mut self, line: &[u8]) -> Option<&Record> {
        if line.is_empty() {
            return None;
        }
        let fmt = self.format?;
        if !fmt.extract(line, &mut self.rec) {
            return None;
        }
        self.count_matched(fmt, line);
        Some(&self.rec)
    }

    /// Counts a line that matched `fmt` (its fields in `self.rec`).
    #[inline]
    fn count_matched(&mut self, fmt: &LogFormat, line: &[u8]) {
        // Time first: `--since` may skip the line.
        let t = self.line_time(line);
        let rec = &self.rec;
        let esc = fmt.escape;
        if let (Some(c), Some(t)) = (self.cutoff, t)
            && t < c
        {
            self.stats.skipped_since += 1;
            return;
        }
        let st = &mut self.stats;
        let limit = st.limit;
        let [d0, d1, d2] = &mut self.dec;
        let verify: &[u8] = match rec.raw(line, Field::Verify) {
            Some(v) => unescape(v, esc, d0),
            None => b"-",
        };
        if self.part == Part::CertsOnly {
            let vid = fmt.has(Field::Verify).then(|| {
                match st.verify_names.iter().position(|n| eq_small(n, verify)) {
                    Some(i) => i as u32,
                    None => st.intern(verify),
                }
            });
            count_cert(st, rec, line, &mut self.key, [d1, d2], esc, t, vid);
            return;
        }
        st.matched += 1;
        st.files[self.file_index].matched += 1;
        let status = rec.raw(line, Field::Status).and_then(parse_status);
        if let Some(s) = status {
            if let Some(n) = self.status_buf.get_mut(s as usize) {
                *n += 1;
            } else {
                *st.status.entry(s).or_default() += 1;
            }
        }
        let is_400 = status == Some(400);
        let vid = if fmt.has(Field::Verify) {
            let id = match st.verify_names.iter().position(|n| eq_small(n, verify)) {
                Some(i) => i as u32,
                None => st.intern(verify),
            };
            vbump(&mut st.verify, id, 1);
            Some(id)
        } else {
            None
        };
        let failed = verify.len() >= 6 && eq_small(&verify[..6], b"FAILED");
        let none = eq_small(verify, b"NONE");
        let success = eq_small(verify, b"SUCCESS");
        if is_400 {
            st.none_400 += u64::from(none);
            st.failed_400 += u64::from(failed);
        }

        // Server: name:port.
        let name = rec
            .raw(line, Field::ServerName)
            .or_else(|| rec.raw(line, Field::SslServerName))
            .or_else(|| rec.raw(line, Field::Host));
        let port = rec.raw(line, Field::ServerPort);
        let local = if name.is_some() || port.is_some() {
            let (n, p) = (name.unwrap_or(b"-"), port.unwrap_or(b""));
            match self
                .srv_local
                .iter()
                .position(|e| eq_small(&e.0, n) && eq_small(&e.1, p))
            {
                Some(i) => self.srv_local.get_mut(i).map(|e| &mut e.2),
                None if self.srv_local.len() < SRV_LOCAL => {
                    self.srv_local
                        .push((n.to_vec(), p.to_vec(), ServerStat::default()));
                    self.srv_local.last_mut().map(|e| &mut e.2)
                }
                None => None,
            }
        } else {
            None
        };
        if let Some(s) = local {
            s.requests += 1;
            if let Some(id) = vid {
                vbump(&mut s.verify, id, 1);
            }
        } else if name.is_some() || port.is_some() {
            let key = &mut self.key;
            key.clear();
            key.extend_from_slice(unescape(name.unwrap_or(b"-"), esc, d1));
            if let Some(p) = port {
                key.push(b':');
                key.extend_from_slice(p);
            }
            let s = if let Some(s) = st.servers.get_mut(&key[..]) {
                Some(s)
            } else if st.servers.len() < limit {
                Some(st.servers.entry(key.clone()).or_default())
            } else {
                st.servers_other += 1;
                None
            };
            if let Some(s) = s {
                s.requests += 1;
                if let Some(id) = vid {
                    vbump(&mut s.verify, id, 1);
                }
            }
        }

        // Client certificate: subject + serial.
        if self.part == Part::All {
            count_cert(st, rec, line, &mut self.key, [d1, d2], esc, t, vid);
        }

        // Clients without a valid certificate.
        if (failed || none)
            && let Some(addr) = rec.raw(line, Field::RemoteAddr)
        {
            let c = if let Some(c) = st.clients.get_mut(addr) {
                Some(c)
            } else if st.clients.len() < limit {
                Some(st.clients.entry(ShortKey::from_slice(addr)).or_default())
            } else {
                st.clients_other += 1;
                None
            };
            if let Some(c) = c {
                if failed {
                    c.failed += 1;
                    if let Some(id) = vid {
                        vbump(&mut c.reasons, id, 1);
                    }
                } else {
                    c.none += 1;
                }
                if is_400 {
                    c.status_400 += 1;
                }
            }
        }

        match t {
            Some(t) => {
                st.note_time(t);
                let start = t - t.rem_euclid(st.bucket_secs);
                if self.bucket.is_some_and(|b| b.0 != start) {
                    self.flush_status();
                }
                {
                    let (_, b) = self.bucket.get_or_insert((start, Bucket::default()));
                    b.total += 1;
                    b.success += u64::from(success);
                    b.none += u64::from(none);
                    b.failed += u64::from(failed);
                    b.status_400 += u64::from(is_400);
                }
            }
            None => self.stats.without_time += 1,
        }
    }

    #[inline]
    fn line_time(&mut self, line: &[u8]) -> Option<i64> {
        let (raw, parse): (&[u8], TimeParser) =
            if let Some(v) = self.rec.raw(line, Field::TimeLocal) {
                (v, time::parse_time_local)
            } else if let Some(v) = self.rec.raw(line, Field::TimeIso) {
                (v, time::parse_iso8601)
            } else if let Some(v) = self.rec.raw(line, Field::Msec) {
                (v, time::parse_msec)
            } else {
                return None;
            };
        if eq_small(raw, &self.last_time_raw) {
            return self.last_time;
        }
        self.last_time_raw.clear();
        self.last_time_raw.extend_from_slice(raw);
        self.last_time = parse(raw);
        self.last_time
    }

    /// Counts one error log line.
    pub fn error_line(&mut self, line: &[u8], _line_no: u64) {
        self.stats.lines += 1;
        self.stats.files[self.file_index].lines += 1;
        let e = &mut self.stats.err;
        e.lines += 1;
        if line.is_empty() {
            return;
        }
        let Some(l) = errorlog::parse(line) else {
            e.unmatched += 1;
            self.stats.files[self.file_index].unmatched += 1;
            return;
        };
        let t = time::parse_error_time(l.time);
        if let (Some(c), Some(t)) = (self.cutoff, t)
            && t < c
        {
            self.stats.skipped_since += 1;
            return;
        }
        self.stats.files[self.file_index].matched += 1;
        bump(&mut e.levels, l.level, 1, MAX_SMALL);
        let Some((kind, reason)) = errorlog::classify(l.message) else {
            return;
        };
        *e.kinds.entry(kind).or_default() += 1;
        if let Some(r) = reason {
            let map = match kind {
                MsgKind::VerifyError => &mut e.verify_errors,
                MsgKind::Ocsp => &mut e.ocsp_errors,
                _ => &mut e.handshake_errors,
            };
            bump(map, r, 1, MAX_SMALL);
        }
        if let Some(c) = l.client
            && !bump(&mut e.clients, c, 1, self.stats.limit)
        {
            e.clients_other += 1;
        }
        if let Some(s) = l.server {
            bump(&mut e.servers, s, 1, self.stats.limit);
        }
        e.samples.entry(kind).or_insert_with(|| ErrSample {
            time: lossy(l.time),
            level: lossy(l.level),
            message: lossy(clip(l.message)),
            client: lossy(clip(l.client.unwrap_or_default())),
            server: lossy(clip(l.server.unwrap_or_default())),
            request: lossy(clip(l.request.unwrap_or_default())),
            host: lossy(clip(l.host.unwrap_or_default())),
        });
        if let Some(t) = t {
            self.stats.note_time(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: `nginx-mtls-lint logs client.key` printed the key's base64 lines as
    /// "lines that did not match".
    #[test]
    fn unmatched_samples_never_hold_key_material() {
        let fmt = LogFormat::combined();
        let mut stats = Stats::new(10, 60);
        stats.files.push(FileInfo {
            path: "client.key".into(),
            ..FileInfo::default()
        });
        let mut c = Counter::new(stats, Some(&fmt), 0);
        let key = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg4bn/3UZO4rbNR9P5\n4iQMQDN/Hxu9BAfm+yBD09PES7yhRANCAAT9pUai8KXg6uG1wgbyjm0/wBrTT48X\n-----END PRIVATE KEY-----\nnot a log line\n";
        for (i, l) in key.lines().enumerate() {
            c.access_line(l.as_bytes(), i as u64 + 1);
        }
        let st = c.finish();
        assert_eq!(st.unmatched, 5);
        let texts: Vec<&str> = st
            .unmatched_samples
            .iter()
            .map(|s| s.text.as_str())
            .collect();
        assert_eq!(&texts[..4], &[HIDDEN_SAMPLE; 4]);
        assert_eq!(texts[4], "not a log line");
    }

    /// Regression: 1,000 distinct 100 KB subjects (a 100 MB log) took 520 MB, the values
    /// being kept whole; values are now cut at MAX_VALUE bytes.
    #[test]
    fn long_values_are_cut() {
        let fmt = LogFormat::new(
            "t",
            crate::logs::format::Escape::Default,
            "$ssl_client_s_dn $ssl_client_serial",
        );
        let mut stats = Stats::new(10, 60);
        stats.files.push(FileInfo::default());
        let mut c = Counter::new(stats, Some(&fmt), 0);
        let line = format!("CN={} 01", "x".repeat(100_000));
        c.access_line(line.as_bytes(), 1);
        let st = c.finish();
        let cert = st.certs.values().next().expect("one certificate");
        assert_eq!(cert.subject.len(), crate::logs::format::MAX_VALUE);
        assert_eq!(cert.serial, b"01");
    }
}
