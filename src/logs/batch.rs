//! Batch reading: big buffers, memchr for newlines, files (and chunks of big plain
//! files) counted in parallel, then merged.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::error::Error;
use crate::logs::aggregate::{Counter, FileInfo, Part, Stats};
use crate::logs::errorlog;
use crate::logs::format::{LogFormat, Record};
use crate::logs::options::Kind;
use crate::logs::plan::FileSpec;

/// Read buffer size.
pub const BUF_SIZE: usize = 1 << 20;
/// Longest line kept whole; longer lines are cut (and will not match a format).
pub const MAX_LINE: usize = 1 << 24;
/// Plain files larger than this are split into chunks counted in parallel.
const CHUNK_MIN: u64 = 32 << 20;
/// Bytes looked at to recognise a file's kind and format.
const HEAD: usize = 64 << 10;

pub fn io_error(path: &str, e: &io::Error) -> Error {
    if let Some(b) = e.get_ref().and_then(|x| x.downcast_ref::<GzipBomb>()) {
        return Error::Input {
            path: path.to_string(),
            message: b.to_string(),
        };
    }
    Error::Input {
        path: path.to_string(),
        message: format!("cannot read {}", crate::util::read::os_error(e)),
    }
}

/// Default of `--max-gzip-ratio`: decompressed bytes allowed per compressed byte. Real
/// logs compress 5 to 50 times; deflate's own maximum is about 1032.
pub const DEFAULT_MAX_GZIP_RATIO: u64 = 200;
/// Decompressed bytes always allowed, whatever the ratio (small files).
const GZIP_FREE: u64 = 16 << 20;

/// A gzip stream that expands more than the ratio allows.
#[derive(Debug)]
pub struct GzipBomb {
    ratio: u64,
    out: u64,
    input: u64,
}

impl std::fmt::Display for GzipBomb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "gzip data expands more than {} times ({} bytes from {} compressed bytes, and more to come); stopped reading. If this is a real log, raise --max-gzip-ratio",
            self.ratio, self.out, self.input
        )
    }
}

impl std::error::Error for GzipBomb {}

/// Counts the bytes read through it.
struct CountIn<R> {
    inner: R,
    n: Arc<AtomicU64>,
}

impl<R: Read> Read for CountIn<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n.fetch_add(k as u64, Ordering::Relaxed);
        Ok(k)
    }
}

/// Decompressed gzip, stopped with [`GzipBomb`] once the output exceeds `ratio` times
/// the compressed input read so far (plus `GZIP_FREE`).
struct Bounded<R> {
    inner: R,
    input: Arc<AtomicU64>,
    out: u64,
    ratio: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.out += k as u64;
        let input = self.input.load(Ordering::Relaxed);
        if self.out > GZIP_FREE.saturating_add(self.ratio.saturating_mul(input)) {
            return Err(io::Error::other(GzipBomb {
                ratio: self.ratio,
                out: self.out,
                input,
            }));
        }
        Ok(k)
    }
}

/// Decompresses a gzip stream (every member), bounded by `max_ratio`.
pub fn gunzip<R: Read + Send + 'static>(raw: R, max_ratio: u64) -> Box<dyn Read + Send> {
    let input = Arc::new(AtomicU64::new(0));
    let counted = CountIn {
        inner: raw,
        n: Arc::clone(&input),
    };
    Box::new(Bounded {
        // A small input buffer: the bound counts what was read into it.
        inner: flate2::read::MultiGzDecoder::new(io::BufReader::with_capacity(64 << 10, counted)),
        input,
        out: 0,
        ratio: max_ratio.max(1),
    })
}

/// A byte stream, its first bytes (also still in the stream), and whether it is gzip.
pub type Opened = (Box<dyn Read + Send>, Vec<u8>, bool);

/// Opens a file (or stdin) as a byte stream, decompressing gzip (by its magic bytes,
/// bounded by `max_gzip_ratio`), and returns its first bytes too.
pub fn open(spec: &FileSpec, max_gzip_ratio: u64) -> Result<Opened, Error> {
    let name = spec.display();
    let raw: Box<dyn Read + Send> = match &spec.path {
        None => Box::new(io::stdin()),
        Some(p) => {
            if p.is_dir() {
                return Err(Error::Input {
                    path: name,
                    message: "is a directory, not a log file".into(),
                });
            }
            Box::new(File::open(p).map_err(|e| io_error(&name, &e))?)
        }
    };
    let mut raw = raw;
    let mut magic = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        match raw.read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(&name, &e)),
        }
    }
    let gz = got == 2 && magic == [0x1f, 0x8b];
    let stream: Box<dyn Read + Send> = Box::new(io::Cursor::new(magic[..got].to_vec()).chain(raw));
    let mut stream: Box<dyn Read + Send> = if gz {
        gunzip(stream, max_gzip_ratio)
    } else {
        stream
    };
    let mut head = vec![0u8; HEAD];
    let mut n = 0;
    while n < HEAD {
        match stream.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(&name, &e)),
        }
    }
    head.truncate(n);
    let stream: Box<dyn Read + Send> = Box::new(io::Cursor::new(head.clone()).chain(stream));
    Ok((stream, head, gz))
}

/// Recognises access or error log from the first lines.
pub fn detect_kind(head: &[u8]) -> Option<Kind> {
    let lines: Vec<&[u8]> = head
        .split(|c| *c == b'\n')
        .filter(|l| !l.is_empty())
        .take(50)
        .collect();
    if lines.is_empty() {
        return None;
    }
    let err = lines
        .iter()
        .filter(|l| errorlog::looks_like_error_line(l))
        .count();
    Some(if err * 2 > lines.len() {
        Kind::Error
    } else {
        Kind::Access
    })
}

/// The candidate format matching most of the first lines (ties: the first candidate).
pub fn detect_format(head: &[u8], candidates: &[LogFormat]) -> Option<(LogFormat, usize, usize)> {
    let lines: Vec<&[u8]> = head
        .split(|c| *c == b'\n')
        .filter(|l| !l.is_empty())
        .take(100)
        .collect();
    let mut best: Option<(LogFormat, usize, usize)> = None;
    for f in candidates {
        let mut rec = Record::default();
        let n = lines.iter().filter(|l| f.extract(l, &mut rec)).count();
        if best.as_ref().is_none_or(|b| n > b.1) {
            best = Some((f.clone(), n, lines.len()));
        }
    }
    best
}

/// Calls `f(line, line_no)` for every line of `r` (1-based numbers from `first_line`).
/// With `range = (base, end, skip_first)`, `r` starts at byte `base` of the file; with
/// `skip_first` everything up to the first newline is skipped, and lines starting at or
/// after `end` are not read.
pub fn for_each_line(
    r: &mut dyn Read,
    range: Option<(u64, u64, bool)>,
    progress: Option<&AtomicU64>,
    mut f: impl FnMut(&[u8], u64),
) -> io::Result<u64> {
    let mut buf = vec![0u8; BUF_SIZE];
    let mut filled = 0usize;
    let mut base = range.map_or(0, |r| r.0); // file offset of buf[0]
    let end = range.map_or(u64::MAX, |r| r.1);
    let mut skip_first = range.is_some_and(|r| r.2);
    let mut line_no = 0u64;
    let mut cut = false; // inside an over-long line
    loop {
        let n = read_counted(r, &mut buf[filled..], progress)?;
        if n == 0 {
            if filled > 0 && !skip_first && !cut && base < end {
                line_no += 1;
                f(&buf[..filled], line_no);
            }
            return Ok(line_no);
        }
        filled += n;
        let mut start = 0usize;
        while let Some(i) = memchr::memchr(b'\n', &buf[start..filled]) {
            if skip_first || cut {
                skip_first = false;
                cut = false;
            } else {
                if base + start as u64 >= end {
                    return Ok(line_no);
                }
                line_no += 1;
                f(&buf[start..start + i], line_no);
            }
            start += i + 1;
        }
        if base + start as u64 >= end && start > 0 {
            return Ok(line_no);
        }
        buf.copy_within(start..filled, 0);
        filled -= start;
        base += start as u64;
        if filled == buf.len() {
            if buf.len() < MAX_LINE {
                buf.resize(buf.len() * 2, 0);
            } else {
                // An over-long line: count what we have, drop the rest of it.
                if !skip_first && !cut {
                    line_no += 1;
                    f(&buf[..filled], line_no);
                }
                cut = true;
                base += filled as u64;
                filled = 0;
            }
        }
    }
}

/// The kind and (for access logs) format of a file, from its first bytes unless known.
pub fn resolve(
    spec: &FileSpec,
    head: &[u8],
    candidates: &[LogFormat],
) -> (Kind, Option<LogFormat>) {
    let kind = spec
        .kind
        .or_else(|| detect_kind(head))
        .unwrap_or(Kind::Access);
    if kind == Kind::Error {
        return (kind, None);
    }
    if let Some(f) = &spec.format {
        return (kind, Some(f.clone()));
    }
    let f = detect_format(head, candidates)
        .map(|b| b.0)
        .unwrap_or_else(LogFormat::combined);
    (kind, Some(f))
}

/// One unit of work: a whole file or a byte range of a plain file.
struct Task {
    spec: usize,
    range: Option<(u64, u64)>,
    /// Read a whole stream in a pipeline of threads (see [`pipeline`]).
    pipelined: bool,
}

/// Settings shared by all workers.
pub struct Job<'a> {
    pub specs: &'a [FileSpec],
    /// Resolved kind and format per spec (`None` for stdin: resolved from its head).
    pub kinds: Vec<Option<Kind>>,
    pub formats: Vec<Option<LogFormat>>,
    /// Formats tried on an access log whose format is not known.
    pub candidates: Vec<LogFormat>,
    pub threads: usize,
    pub cutoff: Option<i64>,
    pub template: Stats,
    pub progress: Option<&'a AtomicU64>,
    /// Bound on how far gzip input may expand (`--max-gzip-ratio`).
    pub max_gzip_ratio: u64,
}

fn file_info(spec: &FileSpec, kind: Kind, fmt: Option<&LogFormat>) -> FileInfo {
    FileInfo {
        path: spec.display(),
        kind: match kind {
            Kind::Access => "access",
            Kind::Error => "error",
        },
        log_format: fmt.map(|f| f.name.clone()),
        ..FileInfo::default()
    }
}

fn count_task(job: &Job<'_>, t: &Task) -> Result<Stats, Error> {
    let spec = &job.specs[t.spec];
    let name = spec.display();
    let mut opened = None;
    let mut kind = job.kinds[t.spec];
    let mut fmt = job.formats[t.spec].clone();
    if t.range.is_none() && (kind.is_none() || (kind == Some(Kind::Access) && fmt.is_none())) {
        let (stream, head, _) = open(spec, job.max_gzip_ratio)?;
        let (k, f) = resolve(spec, &head, &job.candidates);
        kind = Some(k);
        fmt = f;
        opened = Some(stream);
    }
    let kind = kind.unwrap_or(Kind::Access);
    let fmt = fmt.as_ref();
    let mut stats = job.template.empty_like();
    stats.files.push(file_info(spec, kind, fmt));
    if let Some(f) = fmt
        && !f.has(crate::logs::format::Field::Verify)
    {
        stats.formats_without_verify.push(f.name.clone());
    }
    let mut counter = Counter::new(stats, fmt, 0);
    counter.cutoff = job.cutoff;
    let mut reader: Box<dyn Read + Send> = match (t.range, &spec.path) {
        (Some((start, _)), Some(p)) => {
            let mut file = File::open(p).map_err(|e| io_error(&name, &e))?;
            let from = start.saturating_sub(1);
            file.seek(SeekFrom::Start(from))
                .map_err(|e| io_error(&name, &e))?;
            Box::new(file)
        }
        _ => match opened {
            Some(s) => s,
            None => open(spec, job.max_gzip_ratio)?.0,
        },
    };
    // A chunk starting at `start > 0` reads from `start - 1` and skips through the first
    // newline: a line starting exactly at `start` is then kept.
    let range = t.range.map(|(s, e)| (s.saturating_sub(1), e, s > 0));
    // (`pipeline` gives `None` when it could not start its threads: read on this one.)
    if t.pipelined
        && range.is_none()
        && let Some(res) = pipeline(&mut *reader, kind, fmt, &mut counter, job.progress)
    {
        res.map_err(|e| io_error(&name, &e))?;
        return Ok(counter.finish());
    }
    let res = match kind {
        Kind::Access => for_each_line(&mut reader, range, job.progress, |l, n| {
            counter.access_line(l, n)
        }),
        Kind::Error => for_each_line(&mut reader, range, job.progress, |l, n| {
            counter.error_line(l, n)
        }),
    };
    res.map_err(|e| io_error(&name, &e))?;
    Ok(counter.finish())
}

/// Counts every spec; big plain files are split into chunks counted in parallel.
pub fn run(job: &Job<'_>) -> Result<Stats, Error> {
    let mut tasks = Vec::new();
    for (i, s) in job.specs.iter().enumerate() {
        let size = s
            .path
            .as_deref()
            .filter(|_| job.threads > 1)
            .and_then(plain_size);
        match size {
            Some(size) if size > CHUNK_MIN => {
                // One chunk per thread: where the chunks start decides which rows a
                // full table (`--limit`) keeps, so this is part of the output.
                let n = (job.threads as u64).min(size / (CHUNK_MIN / 2)).max(1);
                for k in 0..n {
                    tasks.push(Task {
                        spec: i,
                        range: Some((
                            size * k / n,
                            if k + 1 == n {
                                u64::MAX
                            } else {
                                size * (k + 1) / n
                            },
                        )),
                        pipelined: false,
                    });
                }
            }
            _ => tasks.push(Task {
                spec: i,
                range: None,
                pipelined: false,
            }),
        }
    }
    // A stream that cannot be split (stdin, gzip, a small file) gets threads of its own
    // when there are at least two threads for each task: reading (and decompressing),
    // extracting the fields with the certificate table, and counting the other tables
    // then run at the same time. Each table is still counted on one thread, in the order
    // of the lines, so the result is the one-thread result (see [`pipeline`]).
    if job.threads >= 2 * tasks.len() {
        for t in &mut tasks {
            t.pipelined = t.range.is_none();
        }
    }
    // Results are merged in the order of the tasks (so that "first seen" stays the
    // first in the file) as soon as the tasks before them are done: at most the
    // results that finished early wait in memory, not one per chunk.
    let merged = Mutex::new(Merged {
        total: job.template.empty_like(),
        pending: (0..tasks.len()).map(|_| None).collect(),
        next: 0,
        lines_before: vec![0; job.specs.len()],
        error: None,
    });
    let next = AtomicUsize::new(0);
    let workers = job.threads.clamp(1, tasks.len().max(1));
    let work = || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(t) = tasks.get(i) else { break };
            let r = count_task(job, t);
            if let Ok(mut m) = merged.lock() {
                m.pending[i] = Some(r);
                m.advance(&tasks);
            }
        }
    };
    std::thread::scope(|s| {
        // This thread works too, so that the tasks get done even when no other thread
        // can be started (a limit on threads).
        for _ in 1..workers {
            let _ = std::thread::Builder::new().spawn_scoped(s, work);
        }
        work();
    });
    let m = merged.into_inner().map_err(|_| Error::Input {
        path: "<logs>".into(),
        message: "a reader thread failed".into(),
    })?;
    if let Some(e) = m.error {
        return Err(e);
    }
    if m.next < tasks.len() {
        return Err(Error::Input {
            path: job.specs[tasks[m.next].spec].display(),
            message: "a reader thread failed".into(),
        });
    }
    Ok(m.total)
}

/// The tasks' results merged so far, in task order.
struct Merged {
    total: Stats,
    /// Results not merged yet (a task after one still running).
    pending: Vec<Option<Result<Stats, Error>>>,
    /// The first task not merged.
    next: usize,
    /// Lines of each spec in the tasks merged (to number the samples of later chunks).
    lines_before: Vec<u64>,
    /// The first error, in task order: nothing after it is merged.
    error: Option<Error>,
}

impl Merged {
    fn advance(&mut self, tasks: &[Task]) {
        while self.error.is_none() && self.next < tasks.len() {
            let Some(r) = self.pending[self.next].take() else {
                return;
            };
            let t = &tasks[self.next];
            match r {
                Ok(mut st) => {
                    let off = self.lines_before[t.spec];
                    for s in &mut st.unmatched_samples {
                        s.line += off;
                    }
                    self.lines_before[t.spec] += st.files.first().map_or(0, |f| f.lines);
                    self.total.merge(st);
                }
                Err(e) => self.error = Some(e),
            }
            self.next += 1;
        }
    }
}

/// Lines on their way from one thread of [`pipeline`] to the next.
#[derive(Default)]
struct Block {
    /// Whole lines, each ending in a newline, except a last one when `tail` is set.
    data: Vec<u8>,
    /// The bytes after the last newline are a line too: the end of the stream, or the
    /// kept part of a line cut at [`MAX_LINE`].
    tail: bool,
    /// Filled by the extracting thread: each line's range in `data` and its fields
    /// (`None`: the line does not match the format).
    lines: Vec<(u32, u32, Option<Record>)>,
}

/// One read (again when interrupted), added to `progress`.
fn read_counted<R: Read + ?Sized>(
    r: &mut R,
    buf: &mut [u8],
    progress: Option<&AtomicU64>,
) -> io::Result<usize> {
    let n = loop {
        match r.read(buf) {
            Ok(n) => break n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    };
    if let Some(p) = progress {
        p.fetch_add(n as u64, Ordering::Relaxed);
    }
    Ok(n)
}

/// Blocks in flight between two threads of a pipeline.
const PIPE_DEPTH: usize = 2;

/// Reads `r` into blocks of whole lines, calling `send` with each (it returns false
/// when nobody reads them any more). Lines are those of [`for_each_line`] (without a
/// range): a line longer than [`MAX_LINE`] keeps its first `MAX_LINE` bytes and the
/// rest is dropped.
fn read_blocks(
    r: &mut dyn Read,
    progress: Option<&AtomicU64>,
    mut fresh: impl FnMut() -> Block,
    mut send: impl FnMut(Block) -> bool,
) -> io::Result<()> {
    let new_block = |fresh: &mut dyn FnMut() -> Block| {
        let mut b = fresh();
        if b.data.capacity() > 2 * BUF_SIZE {
            b.data = Vec::new();
        }
        b.data.resize(BUF_SIZE, 0);
        b.tail = false;
        b
    };
    let mut cur = new_block(&mut fresh);
    let mut filled = 0usize;
    let mut cut = false; // inside an over-long line: drop through the next newline
    loop {
        let n = read_counted(r, &mut cur.data[filled..], progress)?;
        if n == 0 {
            if filled > 0 {
                cur.data.truncate(filled);
                cur.tail = true;
                send(cur);
            }
            return Ok(());
        }
        if cut {
            // `filled` is 0 here.
            match memchr::memchr(b'\n', &cur.data[..n]) {
                Some(i) => {
                    cur.data.copy_within(i + 1..n, 0);
                    filled = n - i - 1;
                    cut = false;
                }
                None => filled = 0,
            }
            continue;
        }
        filled += n;
        if filled < cur.data.len() {
            continue;
        }
        match memchr::memrchr(b'\n', &cur.data[..filled]) {
            Some(p) => {
                let mut next = new_block(&mut fresh);
                let rest = filled - (p + 1);
                if next.data.len() < 2 * rest {
                    next.data.resize((2 * rest).min(MAX_LINE), 0);
                }
                next.data[..rest].copy_from_slice(&cur.data[p + 1..filled]);
                cur.data.truncate(p + 1);
                if !send(cur) {
                    return Ok(());
                }
                cur = next;
                filled = rest;
            }
            None if cur.data.len() < MAX_LINE => {
                let l = cur.data.len();
                cur.data.resize((l * 2).min(MAX_LINE), 0);
            }
            None => {
                // An over-long line: keep what we have, drop the rest of it.
                cur.tail = true;
                if !send(cur) {
                    return Ok(());
                }
                cur = new_block(&mut fresh);
                filled = 0;
                cut = true;
            }
        }
    }
}

/// Calls `f(start, end)` for each line of a block.
#[inline]
fn block_lines(b: &Block, mut f: impl FnMut(usize, usize)) {
    let mut start = 0;
    for i in memchr::memchr_iter(b'\n', &b.data) {
        f(start, i);
        start = i + 1;
    }
    if b.tail && start < b.data.len() {
        f(start, b.data.len());
    }
}

/// Counts a whole stream with more threads: one reads (and decompresses) it into
/// blocks of lines; for access logs one extracts the fields and counts the certificate
/// table (a [`Part::CertsOnly`] counter, whose table is moved into `counter` at the
/// end); this one counts the rest (error logs: everything). Every table is filled by
/// one thread in the order of the lines, so every row, sample, first-seen value and
/// `--limit` cut is the one-thread result. `None` when no thread could be started
/// (nothing was read then).
fn pipeline(
    r: &mut (dyn Read + Send),
    kind: Kind,
    fmt: Option<&LogFormat>,
    counter: &mut Counter<'_>,
    progress: Option<&AtomicU64>,
) -> Option<io::Result<u64>> {
    use std::sync::mpsc;
    let (free_tx, free_rx) = mpsc::channel::<Block>();
    let (read_tx, read_rx) = mpsc::sync_channel::<Block>(PIPE_DEPTH);
    std::thread::scope(|s| {
        // Access logs: a thread between reading and counting extracts the fields, and
        // counts the certificate table (the rest is counted on this thread).
        let (count_rx, extractor) = match (kind, fmt) {
            (Kind::Access, Some(fmt)) => {
                let (tx, rx) = mpsc::sync_channel::<Block>(PIPE_DEPTH);
                let mut certs = Counter::new(counter.stats.empty_like(), Some(fmt), 0);
                certs.part = Part::CertsOnly;
                certs.cutoff = counter.cutoff;
                let h = std::thread::Builder::new()
                    .spawn_scoped(s, move || {
                        for mut b in read_rx {
                            let mut lines = std::mem::take(&mut b.lines);
                            lines.clear();
                            block_lines(&b, |a, e| {
                                let rec = certs.certs_line(&b.data[a..e]).cloned();
                                lines.push((a as u32, e as u32, rec));
                            });
                            b.lines = lines;
                            if tx.send(b).is_err() {
                                break;
                            }
                        }
                        certs.finish()
                    })
                    .ok()?;
                (rx, Some(h))
            }
            _ => (read_rx, None),
        };
        let reader = std::thread::Builder::new()
            .spawn_scoped(s, move || {
                read_blocks(
                    r,
                    progress,
                    || free_rx.try_recv().unwrap_or_default(),
                    |b| read_tx.send(b).is_ok(),
                )
            })
            .ok()?;
        if extractor.is_some() {
            counter.part = Part::NoCerts;
        }
        let mut line_no = 0u64;
        for b in count_rx {
            if extractor.is_some() {
                for (a, e, rec) in &b.lines {
                    line_no += 1;
                    counter.access_extracted(
                        &b.data[*a as usize..*e as usize],
                        line_no,
                        rec.as_ref(),
                    );
                }
            } else {
                block_lines(&b, |a, e| {
                    line_no += 1;
                    match kind {
                        Kind::Access => counter.access_line(&b.data[a..e], line_no),
                        Kind::Error => counter.error_line(&b.data[a..e], line_no),
                    }
                });
            }
            let _ = free_tx.send(b);
        }
        let failed = || io::Error::other("a reader thread failed");
        let res = reader.join().unwrap_or_else(|_| Err(failed()));
        if let Some(h) = extractor {
            counter.part = Part::All;
            match h.join() {
                Ok(certs) => counter.take_certs(certs),
                Err(_) => return Some(Err(failed())),
            }
        }
        Some(res.map(|()| line_no))
    })
}

/// The size of a regular, uncompressed file.
fn plain_size(p: &Path) -> Option<u64> {
    let m = std::fs::metadata(p).ok()?;
    if !m.is_file() {
        return None;
    }
    let mut f = File::open(p).ok()?;
    let mut magic = [0u8; 2];
    f.read_exact(&mut magic).ok()?;
    (magic != [0x1f, 0x8b]).then_some(m.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_in(data: &[u8], range: Option<(u64, u64, bool)>) -> Vec<String> {
        let from = range.map_or(0, |r| r.0) as usize;
        let mut r = io::Cursor::new(data[from..].to_vec());
        let mut out = Vec::new();
        for_each_line(&mut r, range, None, |l, _| {
            out.push(String::from_utf8_lossy(l).into_owned())
        })
        .unwrap();
        out
    }

    /// Gives its bytes in short reads of varying size, as a pipe does.
    struct Trickle {
        data: Vec<u8>,
        at: usize,
        n: usize,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.n = (self.n * 7 + 3) % 70_000;
            let k = (self.n + 1).min(buf.len()).min(self.data.len() - self.at);
            buf[..k].copy_from_slice(&self.data[self.at..self.at + k]);
            self.at += k;
            Ok(k)
        }
    }

    /// Regression guard for the pipelined reader: it must cut the stream into the very
    /// lines `for_each_line` gives (long lines kept, over-long ones cut at MAX_LINE and
    /// the rest dropped, a last line without newline), whatever the reads return.
    #[test]
    fn blocks_hold_the_lines_of_for_each_line() {
        let mut data = Vec::new();
        for i in 0..50_000 {
            data.extend_from_slice(format!("line {i} {}\n", "x".repeat(i % 300)).as_bytes());
            match i {
                10_000 => data.extend_from_slice(&vec![b'a'; 3 << 20]),
                20_000 => data.extend_from_slice(&vec![b'b'; MAX_LINE + 12_345]),
                30_000 => data.extend_from_slice(&vec![b'c'; MAX_LINE]),
                40_000 => data.extend_from_slice(b"\n\n\r\n"),
                _ => {}
            }
        }
        data.extend_from_slice(b"last line without a newline");
        let digest = |l: &[u8]| (l.len(), l.first().copied(), l.last().copied());
        let mut want = Vec::new();
        for_each_line(&mut io::Cursor::new(data.clone()), None, None, |l, _| {
            want.push(digest(l))
        })
        .unwrap();
        let mut got = Vec::new();
        let mut r = Trickle { data, at: 0, n: 1 };
        read_blocks(&mut r, None, Block::default, |b| {
            block_lines(&b, |a, e| got.push(digest(&b.data[a..e])));
            true
        })
        .unwrap();
        assert_eq!(got.len(), want.len());
        assert_eq!(got, want);
    }

    /// The pipeline (reading, extracting with the certificate table, counting the rest
    /// on three threads) counts what one thread counts.
    #[test]
    fn pipeline_counts_like_one_thread() {
        let fmt = LogFormat::new(
            "m",
            crate::logs::format::Escape::Default,
            "$remote_addr [$time_local] $status \"$ssl_client_verify\" \"$ssl_client_s_dn\" \"$ssl_client_serial\" $server_name",
        );
        let mut data = String::new();
        for i in 0..30_000 {
            let v = ["SUCCESS", "NONE", "FAILED:certificate has expired"][i % 3];
            data.push_str(&format!(
                "10.0.{}.{} [27/Nov/2025:00:{:02}:{:02} +0000] {} \"{v}\" \"CN=c{}\" \"{:X}\" s{}\n",
                i % 7,
                i % 250,
                i / 600 % 60,
                i / 10 % 60,
                if i % 3 == 0 { 200 } else { 400 },
                i % 900,
                i % 900,
                i % 4
            ));
            if i % 5000 == 0 {
                data.push_str("not a line of this format\n");
            }
        }
        let count = |pipelined: bool| {
            let mut stats = Stats::new(500, 60);
            stats.files.push(FileInfo::default());
            let mut c = Counter::new(stats, Some(&fmt), 0);
            let mut r = io::Cursor::new(data.clone().into_bytes());
            if pipelined {
                pipeline(&mut r, Kind::Access, Some(&fmt), &mut c, None)
                    .expect("threads")
                    .unwrap();
            } else {
                for_each_line(&mut r, None, None, |l, n| c.access_line(l, n)).unwrap();
            }
            c.finish()
        };
        let (a, b) = (count(false), count(true));
        assert_eq!(
            (a.lines, a.matched, a.unmatched),
            (b.lines, b.matched, b.unmatched)
        );
        assert_eq!(a.certs.len(), 500, "the table must be full for this test");
        assert_eq!(
            (a.certs_other, a.clients_other),
            (b.certs_other, b.clients_other)
        );
        let lines = |s: &Stats| {
            s.unmatched_samples
                .iter()
                .map(|x| x.line)
                .collect::<Vec<_>>()
        };
        assert_eq!(lines(&a), lines(&b));
        assert_eq!(a.verify_names, b.verify_names);
        assert_eq!(a.verify, b.verify);
        for (k, c) in &a.certs {
            let d = &b.certs[k];
            assert_eq!(
                (c.count, c.first_seen, c.last_seen),
                (d.count, d.first_seen, d.last_seen)
            );
            assert_eq!(c.verify, d.verify);
        }
        assert_eq!(a.clients.len(), b.clients.len());
        for (k, c) in &a.clients {
            assert_eq!((c.none, c.failed, c.status_400), {
                let d = &b.clients[k];
                (d.none, d.failed, d.status_400)
            });
        }
        assert_eq!(a.buckets, b.buckets);
        assert_eq!(a.status, b.status);
        assert_eq!(a.servers.len(), b.servers.len());
    }

    #[test]
    fn chunks_cover_every_line_once() {
        let data = b"aa\nbbb\n\ncccc\nd\neeeee\nf";
        let all = lines_in(data, None);
        assert_eq!(all, ["aa", "bbb", "", "cccc", "d", "eeeee", "f"]);
        for n in 1..=data.len() as u64 {
            let size = data.len() as u64;
            let mut got = Vec::new();
            for k in 0..n {
                let s = size * k / n;
                let e = if k + 1 == n {
                    u64::MAX
                } else {
                    size * (k + 1) / n
                };
                // as count_task does: read from s-1, skip through the first newline
                got.extend(lines_in(data, Some((s.saturating_sub(1), e, s > 0))));
            }
            assert_eq!(got, all, "n={n}");
        }
    }
}
