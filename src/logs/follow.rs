//! `--follow`: keep reading logs as nginx writes them, like `tail -F`.
//!
//! Each file is tracked by inode and offset. Rotation by rename: when the path names a
//! new inode, the old file stays open ("retired") and is still read until nginx has
//! reopened its logs (the new file has data and the old one stopped growing), so lines
//! written between the rename and nginx's reopen are not lost. Rotation by
//! copytruncate: a file shorter than the offset, or whose bytes before the offset
//! changed, was truncated; the rest of the old content is read from the rotated copy
//! (`access.log.1` or another sibling with the same first bytes) when it can be found.
//! A last line without its newline waits for it. A file that does not exist yet is
//! waited for.

use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::logs::aggregate::{Counter, FileInfo, Stats};
use crate::logs::format::{Field, LogFormat};
use crate::logs::options::{Kind, Options};
use crate::logs::{Setup, batch, time};

/// How often files are polled for new data.
const POLL: Duration = Duration::from_millis(20);
/// A retired (renamed) file is dropped after this long without growth once the new
/// file has data.
const RETIRE_QUIET: Duration = Duration::from_secs(2);
/// ... or after this long without growth in any case.
const RETIRE_MAX_QUIET: Duration = Duration::from_secs(300);
/// Bytes remembered from the end of what was read, to notice a truncated-and-regrown file.
const TAIL_CHECK: usize = 64;
/// Bytes remembered from the start of a file, to find its copy after copytruncate.
const HEAD_CHECK: usize = 256;
/// Longest partial line kept while waiting for its newline.
const MAX_PARTIAL: usize = batch::MAX_LINE;

struct Handle {
    file: File,
    dev: u64,
    ino: u64,
    offset: u64,
    partial: Vec<u8>,
    head: Vec<u8>,
    tail: Vec<u8>,
    last_growth: Instant,
}

impl Handle {
    fn open(path: &Path) -> std::io::Result<Handle> {
        let file = File::open(path)?;
        let m = file.metadata()?;
        Ok(Handle {
            file,
            dev: m.dev(),
            ino: m.ino(),
            offset: 0,
            partial: Vec::new(),
            head: Vec::new(),
            tail: Vec::new(),
            last_growth: Instant::now(),
        })
    }
}

struct Tail<'f> {
    path: PathBuf,
    kind: Option<Kind>,
    format: Option<LogFormat>,
    cur: Option<Handle>,
    retired: Vec<Handle>,
    counter: Option<Counter<'f>>,
    line_no: u64,
    /// Complete lines seen before the kind/format could be decided.
    pending: Vec<Vec<u8>>,
    warned_truncation: bool,
}

/// The state shared by every tail: settings, and the lines they have to count.
struct Ctx<'a> {
    candidates: &'a [LogFormat],
    template: &'a Stats,
    cutoff: Option<i64>,
    hints: Vec<String>,
    buf: Vec<u8>,
}

impl<'f> Tail<'f> {
    fn info(&self) -> FileInfo {
        FileInfo {
            path: self.path.display().to_string(),
            kind: match self.kind {
                Some(Kind::Error) => "error",
                _ => "access",
            },
            log_format: self.format.as_ref().map(|f| f.name.clone()),
            ..FileInfo::default()
        }
    }

    fn fresh_stats(&self, template: &Stats) -> Stats {
        let mut st = template.empty_like();
        st.files.push(self.info());
        if let Some(f) = &self.format
            && !f.has(Field::Verify)
        {
            st.formats_without_verify.push(f.name.clone());
        }
        st
    }

    /// Takes what was counted since the last call.
    fn take(&mut self, template: &Stats) -> Option<Stats> {
        let fresh = self.fresh_stats(template);
        let c = self.counter.as_mut()?;
        c.flush_status();
        Some(std::mem::replace(&mut c.stats, fresh))
    }
}

/// Feeds one complete line to the tail's counter (deciding kind and format first).
fn line<'f>(t: &mut Tail<'f>, l: &[u8], ctx: &Ctx<'_>, formats: &'f [LogFormat]) {
    if t.counter.is_none() {
        t.pending.push(l.to_vec());
        let bytes: usize = t.pending.iter().map(Vec::len).sum();
        if t.pending.len() < 20 && bytes < 32 << 10 {
            return;
        }
        decide(t, ctx, formats);
    }
    count(t, l);
}

fn count(t: &mut Tail<'_>, l: &[u8]) {
    t.line_no += 1;
    let n = t.line_no;
    let kind = t.kind;
    if let Some(c) = t.counter.as_mut() {
        match kind {
            Some(Kind::Error) => c.error_line(l, n),
            _ => c.access_line(l, n),
        }
    }
}

/// Decides kind and format from the pending lines, then counts them.
fn decide<'f>(t: &mut Tail<'f>, ctx: &Ctx<'_>, formats: &'f [LogFormat]) {
    let head: Vec<u8> = t
        .pending
        .iter()
        .flat_map(|l| l.iter().copied().chain([b'\n']))
        .collect();
    if t.kind.is_none() {
        t.kind = Some(batch::detect_kind(&head).unwrap_or(Kind::Access));
    }
    if t.kind == Some(Kind::Access) && t.format.is_none() {
        t.format = Some(
            batch::detect_format(&head, ctx.candidates)
                .map(|b| b.0)
                .unwrap_or_else(LogFormat::combined),
        );
    }
    // The counter borrows a format with the lifetime of `formats`: find ours there.
    let fmt: Option<&'f LogFormat> = match (&t.kind, &t.format) {
        (Some(Kind::Access), Some(f)) => formats
            .iter()
            .find(|x| x.name == f.name && x.source == f.source)
            .or_else(|| formats.last()),
        _ => None,
    };
    let mut c = Counter::new(t.fresh_stats(ctx.template), fmt, 0);
    c.cutoff = ctx.cutoff;
    t.counter = Some(c);
    for l in std::mem::take(&mut t.pending) {
        count(t, &l);
    }
}

/// Reads what is new in a handle; complete lines go to `f`. Returns bytes read.
fn drain(h: &mut Handle, buf: &mut [u8], mut f: impl FnMut(&[u8])) -> std::io::Result<u64> {
    let mut total = 0u64;
    loop {
        let n = match h.file.read_at(buf, h.offset) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            return Ok(total);
        }
        let data = &buf[..n];
        if h.head.len() < HEAD_CHECK && h.offset < HEAD_CHECK as u64 {
            let want = HEAD_CHECK - h.head.len();
            h.head.extend_from_slice(&data[..want.min(n)]);
        }
        h.offset += n as u64;
        total += n as u64;
        let keep = TAIL_CHECK.min(n);
        if n >= TAIL_CHECK {
            h.tail.clear();
        } else {
            let drop = (h.tail.len() + keep).saturating_sub(TAIL_CHECK);
            h.tail.drain(..drop.min(h.tail.len()));
        }
        h.tail.extend_from_slice(&data[n - keep..]);
        let mut start = 0;
        while let Some(i) = memchr::memchr(b'\n', &data[start..]) {
            if h.partial.is_empty() {
                f(&data[start..start + i]);
            } else {
                h.partial.extend_from_slice(&data[start..start + i]);
                let l = std::mem::take(&mut h.partial);
                f(&l);
            }
            start += i + 1;
        }
        if h.partial.len() < MAX_PARTIAL {
            h.partial.extend_from_slice(&data[start..]);
        }
        h.last_growth = Instant::now();
    }
}

/// Whether the file under `h` was truncated (copytruncate) since we read it.
fn truncated(h: &Handle) -> bool {
    let Ok(m) = h.file.metadata() else {
        return false;
    };
    if m.len() < h.offset {
        return true;
    }
    if h.tail.is_empty() || h.offset < h.tail.len() as u64 {
        return false;
    }
    let mut b = vec![0u8; h.tail.len()];
    match h.file.read_exact_at(&mut b, h.offset - h.tail.len() as u64) {
        Ok(()) => b != h.tail,
        Err(_) => true,
    }
}

/// After copytruncate: the sibling that holds the old content (same first bytes, the
/// bytes before our offset unchanged, at least as long as what we read).
fn find_copy(path: &Path, h: &Handle) -> Option<File> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let base = path.file_name()?.to_string_lossy().into_owned();
    let mut cands: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let ok = name.len() > base.len()
                && name.starts_with(&base)
                && matches!(name.as_bytes()[base.len()], b'.' | b'-' | b'_')
                && !name.ends_with(".gz");
            let m = e.metadata().ok()?;
            if ok && m.is_file() && m.len() >= h.offset {
                Some((m.modified().ok()?, e.path()))
            } else {
                None
            }
        })
        .collect();
    cands.sort_by_key(|c| std::cmp::Reverse(c.0));
    for (_, p) in cands {
        let Ok(f) = File::open(&p) else { continue };
        let mut head = vec![0u8; h.head.len()];
        let mut tail = vec![0u8; h.tail.len()];
        if f.read_exact_at(&mut head, 0).is_ok()
            && head == h.head
            && f.read_exact_at(&mut tail, h.offset - h.tail.len() as u64)
                .is_ok()
            && tail == h.tail
        {
            return Some(f);
        }
    }
    None
}

/// One poll of one file.
fn poll<'f>(t: &mut Tail<'f>, ctx: &mut Ctx<'_>, formats: &'f [LogFormat]) {
    let mut buf = std::mem::take(&mut ctx.buf);
    // Retired files first: their lines are older.
    let mut retired = std::mem::take(&mut t.retired);
    // A retired file that shrank or changed under us was reused (e.g. a copy written
    // over it): what it holds now is not the old log any more.
    retired.retain(|h| !truncated(h));
    for h in &mut retired {
        let _ = drain(h, &mut buf, |l| line(t, l, ctx, formats));
    }
    let new_has_data = t.cur.as_ref().is_some_and(|h| h.offset > 0);
    retired.retain(|h| {
        let quiet = h.last_growth.elapsed();
        !(quiet > RETIRE_MAX_QUIET || (new_has_data && quiet > RETIRE_QUIET))
    });
    t.retired = retired;

    // Has the path moved to a new inode? (When it does not exist, it was renamed away
    // and not recreated yet, or not created yet: wait.)
    if let Ok(m) = std::fs::metadata(&t.path)
        && !t
            .cur
            .as_ref()
            .is_some_and(|h| h.dev == m.dev() && h.ino == m.ino())
        && let Ok(h) = Handle::open(&t.path)
        && let Some(mut old) = t.cur.replace(h)
    {
        let _ = drain(&mut old, &mut buf, |l| line(t, l, ctx, formats));
        old.last_growth = Instant::now();
        t.retired.push(old);
    }
    if let Some(mut h) = t.cur.take() {
        if truncated(&h) {
            if let Some(copy) = find_copy(&t.path, &h) {
                let mut c = Handle {
                    file: copy,
                    dev: 0,
                    ino: 0,
                    offset: h.offset,
                    partial: std::mem::take(&mut h.partial),
                    head: h.head.clone(),
                    tail: h.tail.clone(),
                    last_growth: Instant::now(),
                };
                let _ = drain(&mut c, &mut buf, |l| line(t, l, ctx, formats));
                if !c.partial.is_empty() {
                    let p = std::mem::take(&mut c.partial);
                    line(t, &p, ctx, formats);
                }
            } else if !t.warned_truncation {
                t.warned_truncation = true;
                ctx.hints.push(format!(
                    "{} was truncated (copytruncate) and its rotated copy was not found next to it: lines written just before the truncation may be missing",
                    t.path.display()
                ));
            }
            h.offset = 0;
            h.partial.clear();
            h.head.clear();
            h.tail.clear();
        }
        let _ = drain(&mut h, &mut buf, |l| line(t, l, ctx, formats));
        t.cur = Some(h);
    }
    ctx.buf = buf;
}

/// One summary of `--follow`: every interval, and once more when a signal stops it.
pub struct Tick<'a> {
    /// Everything counted since the start.
    pub total: &'a Stats,
    /// What was counted since the previous tick.
    pub interval: &'a Stats,
    /// The reference time (`--at`, or now).
    pub at: i64,
    pub hints: &'a [String],
    /// The last tick: the follower stops after it.
    pub last: bool,
}

/// Follows the files of `setup` until SIGINT or SIGTERM, handing each summary to
/// `emit` (which renders and writes it).
pub fn run(
    args: &Options,
    setup: Setup,
    emit: &mut dyn FnMut(&Tick<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    let term = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&term))
            .map_err(|e| batch::io_error("<signal handler>", &e))?;
    }
    let bucket = args.bucket.map_or(60, |d| d.as_secs().max(1) as i64);
    let template = Stats::new(args.limit, bucket);
    let start_at = setup.at.unwrap_or_else(time::now);
    let cutoff = args.since.map(|d| start_at - d.as_secs() as i64);
    // Every format a tail may use lives here, so counters can borrow them.
    let mut formats: Vec<LogFormat> = setup.candidates.clone();
    for s in &setup.specs {
        if let Some(f) = &s.format {
            formats.push(f.clone());
        }
    }
    formats.push(LogFormat::combined());
    let formats = formats;
    let mut ctx = Ctx {
        candidates: &setup.candidates,
        template: &template,
        cutoff,
        hints: setup.hints.clone(),
        buf: vec![0u8; batch::BUF_SIZE],
    };
    let mut tails: Vec<Tail<'_>> = setup
        .specs
        .iter()
        .filter_map(|s| {
            s.path.as_ref().map(|p| Tail {
                path: p.clone(),
                kind: s.kind,
                format: s.format.clone(),
                cur: None,
                retired: Vec::new(),
                counter: None,
                line_no: 0,
                pending: Vec::new(),
                warned_truncation: false,
            })
        })
        .collect();
    for t in &mut tails {
        if t.kind.is_some() && (t.kind == Some(Kind::Error) || t.format.is_some()) {
            decide(t, &ctx, &formats);
        }
    }
    let mut total = template.empty_like();
    let mut next = Instant::now() + args.interval;
    loop {
        let stop = term.load(Ordering::Relaxed);
        for t in &mut tails {
            poll(t, &mut ctx, &formats);
        }
        if stop || Instant::now() >= next {
            // Lines still undecided (too few to recognise the file): decide now.
            for t in &mut tails {
                if t.counter.is_none() && !t.pending.is_empty() {
                    decide(t, &ctx, &formats);
                }
            }
        }
        if stop || Instant::now() >= next {
            let mut interval = template.empty_like();
            for t in &mut tails {
                if let Some(st) = t.take(&template) {
                    interval.merge(st);
                }
            }
            total.merge(interval.clone());
            emit(&Tick {
                total: &total,
                interval: &interval,
                at: setup.at.unwrap_or_else(time::now),
                hints: &ctx.hints,
                last: stop,
            })?;
            next = Instant::now() + args.interval;
        }
        if stop {
            return Ok(());
        }
        std::thread::sleep(POLL.min(args.interval));
    }
}
