//! `--follow`: keep reading logs as nginx writes them, like `tail -F`.
//!
//! A file is identified by its device and inode, plus a fingerprint of its first bytes
//! (copytruncate keeps the inode). Every generation of a log stays open until it has
//! been read to the end and its writer is gone:
//!
//! - Rotation by rename (or delete and recreate): when the path names a new inode, the
//!   old file is "retired" but still read; it is closed only after `rotate_grace`
//!   without growth once the new file has data (old workers of a graceful shutdown keep
//!   writing to it), or when more than `MAX_RETIRED` generations are open.
//! - Several rotations between two polls: a sibling (`access.log.1`, `access.log.2.gz`,
//!   ...) that appeared since we started and whose first bytes are not a generation we
//!   already read is an intermediate generation: it is read whole, oldest first.
//! - Copytruncate: the file is shorter than what we read, or its first bytes changed.
//!   The rest of the old content is read from the rotated copy (plain or `.gz`, found by
//!   its first bytes). Lines we had read past the end of that copy were written during
//!   copytruncate's window (after the copy, before the truncation): they are counted but
//!   no longer on disk, and are reported as lost (a hint and `rotation.lost_lines`).
//! - A `.gz` named on the command line is decompressed and read once.
//!
//! A last line without its newline waits for it; it is counted when its file is closed
//! and at the final summary, as batch mode counts it. Reading goes in chunks of
//! `batch::BUF_SIZE`; between chunks the signal flags and the interval are looked at,
//! so a summary is never late by more than one chunk.

use std::collections::{HashSet, VecDeque};
use std::fs::File;
use std::io::Read;
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
/// Default of `--rotate-grace`: a retired (renamed or deleted) file is closed after this
/// long without growth once the new file has data. nginx's graceful shutdown of old
/// workers (after a reload) lasts as long as their open connections.
pub const DEFAULT_ROTATE_GRACE: Duration = Duration::from_secs(300);
/// Most rotated generations kept open per followed path; past it the oldest is closed.
pub const MAX_RETIRED: usize = 16;
/// Bytes remembered from the start of a file: its fingerprint.
const HEAD_CHECK: usize = 256;
/// Longest partial line kept while waiting for its newline.
const MAX_PARTIAL: usize = batch::MAX_LINE;
/// Line ends remembered for the current file, to count lines lost by copytruncate.
const MAX_LINE_ENDS: usize = 1 << 20;

type Id = (u64, u64);

enum Src {
    Plain(File),
    /// A gzip file: read once, as a stream.
    Gz(Box<dyn Read + Send>),
}

struct Handle {
    src: Src,
    id: Id,
    offset: u64,
    partial: Vec<u8>,
    head: Vec<u8>,
    last_growth: Instant,
    eof: bool,
    /// Why a gzip stream stopped early (corrupt, or past `--max-gzip-ratio`).
    failed: Option<String>,
    /// Nobody writes to it (a gzip file, a copytruncate copy): closed at its end.
    no_writer: bool,
    /// Offsets just past each newline read (current file only).
    line_ends: VecDeque<u64>,
}

impl Handle {
    fn open(path: &Path, max_gzip_ratio: u64) -> std::io::Result<Handle> {
        let file = File::open(path)?;
        let m = file.metadata()?;
        let mut magic = [0u8; 2];
        let gz = file.read_at(&mut magic, 0).ok() == Some(2) && magic == [0x1f, 0x8b];
        let src = if gz {
            Src::Gz(batch::gunzip(file, max_gzip_ratio))
        } else {
            Src::Plain(file)
        };
        Ok(Handle {
            src,
            id: (m.dev(), m.ino()),
            offset: 0,
            partial: Vec::new(),
            head: Vec::new(),
            last_growth: Instant::now(),
            eof: false,
            failed: None,
            no_writer: gz,
            line_ends: VecDeque::new(),
        })
    }

    fn is_gz(&self) -> bool {
        matches!(self.src, Src::Gz(_))
    }

    fn len(&self) -> Option<u64> {
        match &self.src {
            Src::Plain(f) => f.metadata().ok().map(|m| m.len()),
            Src::Gz(_) => None,
        }
    }
}

struct Tail<'f> {
    path: PathBuf,
    kind: Option<Kind>,
    format: Option<LogFormat>,
    cur: Option<Handle>,
    /// Rotated generations still open, oldest first.
    retired: Vec<Handle>,
    counter: Option<Counter<'f>>,
    line_no: u64,
    /// Complete lines seen before the kind/format could be decided.
    pending: Vec<Vec<u8>>,
    /// Files next to the path that are not generations to read (there before we
    /// started, or already read).
    known: HashSet<Id>,
    /// Fingerprints of the generations read, to skip their rotated copies.
    heads: Vec<Vec<u8>>,
    /// The directory's modification time when its entries were last looked at.
    dir_mtime: Option<(i64, i64)>,
    warned_truncation: bool,
    warned_lost: bool,
}

/// Rotation counters of `--follow` (the JSON `rotation` object).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    /// Renames (or delete and recreate) seen.
    pub renamed: u64,
    /// Copytruncates seen.
    pub truncated: u64,
    /// Intermediate generations read whole (several rotations between two polls).
    pub generations_read: u64,
    /// Lines read that copytruncate's window then removed from disk: counted, but in
    /// neither the rotated copy nor the truncated file.
    pub lost_lines: u64,
    /// Copytruncates whose rotated copy was not found: lines may be missing.
    pub copies_not_found: u64,
    /// Rotated generations closed before their writer was gone (`MAX_RETIRED`).
    pub closed_early: u64,
}

/// The signal flags of the follower.
struct Flags {
    term: Arc<AtomicBool>,
    quit: Arc<AtomicBool>,
    hup: Arc<AtomicBool>,
    usr1: Arc<AtomicBool>,
}

/// The state shared by every tail: settings, and the lines they have to count.
struct Ctx<'a> {
    candidates: &'a [LogFormat],
    template: &'a Stats,
    cutoff: Option<i64>,
    hints: Vec<String>,
    buf: Vec<u8>,
    grace: Duration,
    flags: &'a Flags,
    /// When the next interval summary is due.
    next: Instant,
    /// Read to the end whatever the flags say (SIGQUIT's drain).
    no_interrupt: bool,
    rotation: Rotation,
    max_gzip_ratio: u64,
}

impl Ctx<'_> {
    /// Whether reading should pause for a summary or a signal.
    fn due(&self) -> bool {
        if self.no_interrupt {
            return false;
        }
        self.flags.term.load(Ordering::Relaxed)
            || self.flags.quit.load(Ordering::Relaxed)
            || self.flags.hup.load(Ordering::Relaxed)
            || self.flags.usr1.load(Ordering::Relaxed)
            || Instant::now() >= self.next
    }
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
        if t.pending.len() >= 20 || bytes >= 32 << 10 {
            // Counts the pending lines, this one included.
            decide(t, ctx, formats);
        }
        return;
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

/// Reads what is new in a handle, one chunk at a time, until its end or until `due`;
/// complete lines go to `f`. Returns whether the end was reached.
fn drain(
    h: &mut Handle,
    buf: &mut [u8],
    track_ends: bool,
    due: &dyn Fn() -> bool,
    mut f: impl FnMut(&[u8]),
) -> bool {
    if h.eof && h.is_gz() {
        return true;
    }
    loop {
        let r = match &mut h.src {
            Src::Plain(file) => file.read_at(buf, h.offset),
            Src::Gz(r) => r.read(buf),
        };
        let n = match r {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // A broken gzip file ends here; a plain file is tried again next poll.
            Err(e) => {
                if h.is_gz() && h.failed.is_none() {
                    h.failed = Some(match e.get_ref() {
                        Some(x) => x.to_string(),
                        None => e.to_string(),
                    });
                }
                0
            }
        };
        if n == 0 {
            h.eof = true;
            return true;
        }
        h.eof = false;
        let data = &buf[..n];
        if h.head.len() < HEAD_CHECK && h.offset == h.head.len() as u64 {
            let want = HEAD_CHECK - h.head.len();
            h.head.extend_from_slice(&data[..want.min(n)]);
        }
        let base = h.offset;
        h.offset += n as u64;
        let mut start = 0;
        while let Some(i) = memchr::memchr(b'\n', &data[start..]) {
            if h.partial.is_empty() {
                f(&data[start..start + i]);
            } else {
                if h.partial.len() < MAX_PARTIAL {
                    let room = MAX_PARTIAL - h.partial.len();
                    h.partial
                        .extend_from_slice(&data[start..start + i.min(room)]);
                }
                let l = std::mem::take(&mut h.partial);
                f(&l);
            }
            start += i + 1;
            if track_ends {
                if h.line_ends.len() >= MAX_LINE_ENDS {
                    h.line_ends.pop_front();
                }
                h.line_ends.push_back(base + start as u64);
            }
        }
        if h.partial.len() < MAX_PARTIAL {
            let room = MAX_PARTIAL - h.partial.len();
            let rest = &data[start..];
            h.partial.extend_from_slice(&rest[..rest.len().min(room)]);
        }
        h.last_growth = Instant::now();
        if due() {
            return false;
        }
    }
}

/// Counts a handle's last line without its newline (its file is being closed).
/// Says once why a gzip file stopped early.
fn report_failure(path: &Path, h: &mut Handle, ctx: &mut Ctx<'_>) {
    if let Some(m) = h.failed.take() {
        ctx.hints
            .push(format!("{} (a gzip file of it): {m}", path.display()));
    }
}

fn flush_partial<'f>(t: &mut Tail<'f>, h: &mut Handle, ctx: &Ctx<'_>, formats: &'f [LogFormat]) {
    if !h.partial.is_empty() {
        let p = std::mem::take(&mut h.partial);
        line(t, &p, ctx, formats);
    }
}

/// Whether the file under `h` was truncated (copytruncate) since we read it: shorter
/// than what we read, or its first bytes are not the ones we read.
fn truncated(h: &Handle) -> bool {
    let Src::Plain(file) = &h.src else {
        return false;
    };
    let Ok(m) = file.metadata() else {
        return false;
    };
    if m.len() < h.offset {
        return true;
    }
    if h.head.is_empty() {
        return false;
    }
    let mut b = vec![0u8; h.head.len()];
    match file.read_exact_at(&mut b, 0) {
        Ok(()) => b != h.head,
        Err(_) => true,
    }
}

/// The files next to `path` that may be its rotated generations: `access.log.1`,
/// `access.log-20260101`, `access.log.2.gz`, ... (oldest first).
fn siblings(path: &Path) -> Vec<(PathBuf, std::fs::Metadata)> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Some(base) = path.file_name().map(|b| b.to_string_lossy().into_owned()) else {
        return Vec::new();
    };
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<(PathBuf, std::fs::Metadata)> = rd
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let ok = name.len() > base.len()
                && name.starts_with(&base)
                && matches!(name.as_bytes()[base.len()], b'.' | b'-' | b'_');
            let m = e.metadata().ok()?;
            (ok && m.is_file()).then(|| (e.path(), m))
        })
        .collect();
    // Oldest first: by modification time, then the higher rotation number first.
    v.sort_by_key(|(p, m)| {
        let num: u64 = p
            .to_string_lossy()
            .rsplit(['.', '-', '_'])
            .find_map(|s| s.parse().ok())
            .unwrap_or(0);
        (m.mtime(), m.mtime_nsec(), std::cmp::Reverse(num))
    });
    v
}

/// The first `n` bytes of a file (decompressed when it is gzip).
fn head_of(path: &Path, n: usize) -> Option<Vec<u8>> {
    let mut h = Handle::open(path, batch::DEFAULT_MAX_GZIP_RATIO).ok()?;
    let mut out = Vec::new();
    let mut buf = vec![0u8; n.max(1)];
    while out.len() < n {
        let r = match &mut h.src {
            Src::Plain(f) => f.read_at(&mut buf[..n - out.len()], out.len() as u64),
            Src::Gz(r) => r.read(&mut buf[..n - out.len()]),
        };
        match r {
            Ok(0) | Err(_) => break,
            Ok(k) => out.extend_from_slice(&buf[..k]),
        }
    }
    Some(out)
}

/// Remembers every sibling present now as not to be read (called at start).
fn learn_siblings(t: &mut Tail<'_>) {
    t.dir_mtime = dir_mtime(&t.path);
    for (_, m) in siblings(&t.path) {
        t.known.insert((m.dev(), m.ino()));
    }
}

/// The modification time of the directory holding `path` (changes when files are
/// created, renamed or deleted in it).
fn dir_mtime(path: &Path) -> Option<(i64, i64)> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::metadata(dir)
        .ok()
        .map(|m| (m.mtime(), m.mtime_nsec()))
}

/// Opens the generations that appeared next to the path since the last look and were
/// never open (several rotations between two polls) as retired files, to be read whole
/// (their writer may still be writing to them). A copy of a generation already read (its
/// first bytes are one we know) is skipped.
fn open_new_generations(t: &mut Tail<'_>, ctx: &mut Ctx<'_>) {
    for (p, m) in siblings(&t.path) {
        let id = (m.dev(), m.ino());
        if t.known.contains(&id)
            || t.cur.as_ref().is_some_and(|h| h.id == id)
            || t.retired.iter().any(|h| h.id == id)
        {
            continue;
        }
        let Some(head) = head_of(&p, HEAD_CHECK) else {
            continue;
        };
        if head.is_empty() {
            // Nothing in it yet: looked at again next time.
            continue;
        }
        let same = |x: &[u8]| !x.is_empty() && (x.starts_with(&head) || head.starts_with(x));
        // A copy being made of the current file, not truncated yet (copytruncate in
        // progress): looked at again next time.
        if t.cur.as_ref().is_some_and(|h| h.head.is_empty())
            && head_of(&t.path, HEAD_CHECK).is_some_and(|c| same(&c))
        {
            continue;
        }
        t.known.insert(id);
        if t.heads.iter().any(|x| same(x)) || t.cur.iter().chain(&t.retired).any(|h| same(&h.head))
        {
            continue;
        }
        let Ok(h) = Handle::open(&p, ctx.max_gzip_ratio) else {
            continue;
        };
        ctx.rotation.generations_read += 1;
        t.retired.push(h);
    }
}

/// After copytruncate: reads the rest of the old content from its rotated copy, and
/// counts the lines copytruncate's window lost.
fn after_truncation<'f>(
    t: &mut Tail<'f>,
    h: &mut Handle,
    ctx: &mut Ctx<'_>,
    formats: &'f [LogFormat],
) {
    ctx.rotation.truncated += 1;
    let mut found = false;
    if !h.head.is_empty() {
        for (p, m) in siblings(&t.path).into_iter().rev() {
            let id = (m.dev(), m.ino());
            if id == h.id || t.retired.iter().any(|r| r.id == id) {
                continue;
            }
            if head_of(&p, h.head.len()).as_deref() != Some(&h.head[..]) {
                continue;
            }
            let Ok(mut c) = Handle::open(&p, ctx.max_gzip_ratio) else {
                continue;
            };
            t.known.insert(id);
            found = true;
            // Skip what was read already, then read the rest of the copy.
            let mut skipped = 0u64;
            if let Src::Gz(r) = &mut c.src {
                let mut take = r.take(h.offset);
                skipped = std::io::copy(&mut take, &mut std::io::sink()).unwrap_or(0);
            } else if let Some(len) = c.len() {
                skipped = len.min(h.offset);
            }
            c.offset = skipped;
            if skipped < h.offset {
                // The copy ends before what we read: lines past its end were written in
                // copytruncate's window and are on disk nowhere any more.
                let lost = h.line_ends.iter().filter(|&&e| e > skipped).count() as u64;
                ctx.rotation.lost_lines += lost;
                if lost > 0 && !t.warned_lost {
                    t.warned_lost = true;
                    ctx.hints.push(format!(
                        "{}: copytruncate removed lines that were already counted (written after the copy, before the truncation); see rotation.lost_lines. Use `create` rotation with a USR1 reopen instead of copytruncate",
                        t.path.display()
                    ));
                }
                h.partial.clear();
            } else {
                // Read with the rotated generations (in bounded chunks, before the
                // truncated file), and closed at its end: nobody writes to a copy.
                c.partial = std::mem::take(&mut h.partial);
                c.no_writer = true;
                t.retired.push(c);
            }
            break;
        }
    }
    if !found {
        ctx.rotation.copies_not_found += 1;
        if !t.warned_truncation {
            t.warned_truncation = true;
            ctx.hints.push(format!(
                "{} was truncated (copytruncate) and its rotated copy was not found next to it: lines written just before the truncation may be missing",
                t.path.display()
            ));
        }
        flush_partial(t, h, ctx, formats);
    }
    if !h.head.is_empty() {
        t.heads.push(std::mem::take(&mut h.head));
    }
    h.offset = 0;
    h.partial.clear();
    h.head.clear();
    h.line_ends.clear();
    h.eof = false;
}

/// One poll of one file. Returns early (to be resumed) when a summary or a signal is due.
fn poll<'f>(t: &mut Tail<'f>, ctx: &mut Ctx<'_>, formats: &'f [LogFormat]) {
    let mut buf = std::mem::take(&mut ctx.buf);
    poll_inner(t, ctx, formats, &mut buf);
    ctx.buf = buf;
}

fn poll_inner<'f>(t: &mut Tail<'f>, ctx: &mut Ctx<'_>, formats: &'f [LogFormat], buf: &mut [u8]) {
    // Retired files first, oldest first: their lines are older.
    let mut retired = std::mem::take(&mut t.retired);
    let mut interrupted = false;
    for h in &mut retired {
        if interrupted {
            break;
        }
        let due = || ctx.due();
        interrupted = !drain(h, buf, false, &due, |l| line(t, l, ctx, formats));
    }
    t.retired = retired;
    if interrupted {
        return;
    }
    let new_has_data = t.cur.as_ref().is_some_and(|h| h.offset > 0);
    let grace = ctx.grace;
    let mut i = 0;
    while i < t.retired.len() {
        let quiet = t.retired[i].last_growth.elapsed();
        let gone = (t.retired[i].no_writer && t.retired[i].eof) || (new_has_data && quiet > grace);
        let over = t.retired.len() > MAX_RETIRED;
        if gone || over {
            let mut h = t.retired.remove(i);
            if over && !gone {
                ctx.rotation.closed_early += 1;
            }
            flush_partial(t, &mut h, ctx, formats);
            report_failure(&t.path, &mut h, ctx);
            if !h.head.is_empty() {
                t.heads.push(std::mem::take(&mut h.head));
            }
        } else {
            i += 1;
        }
    }

    // Has the path moved to a new inode? (When it does not exist, it was renamed away
    // and not recreated yet, or not created yet: wait.)
    if let Ok(m) = std::fs::metadata(&t.path)
        && t.cur.as_ref().is_none_or(|h| h.id != (m.dev(), m.ino()))
    {
        if let Some(mut old) = t.cur.take() {
            // Read the old file to its current end first.
            let due = || ctx.due();
            let done = drain(&mut old, buf, true, &due, |l| line(t, l, ctx, formats));
            t.cur = Some(old);
            if !done {
                return;
            }
        }
        if let Ok(h) = Handle::open(&t.path, ctx.max_gzip_ratio)
            && let Some(mut old) = t.cur.replace(h)
        {
            ctx.rotation.renamed += 1;
            old.last_growth = Instant::now();
            old.line_ends.clear();
            t.known.insert(old.id);
            t.retired.push(old);
        }
    }
    // Generations rotated and never seen (two rotations in one poll, or a copy of a
    // file we had not read yet).
    let dm = dir_mtime(&t.path);
    if dm != t.dir_mtime {
        t.dir_mtime = dm;
        open_new_generations(t, ctx);
    }
    if let Some(mut h) = t.cur.take() {
        let was_truncated = truncated(&h);
        if was_truncated {
            after_truncation(t, &mut h, ctx, formats);
        }
        t.cur = Some(h);
        if was_truncated {
            open_new_generations(t, ctx);
        }
    }
    if let Some(mut h) = t.cur.take() {
        let due = || ctx.due();
        drain(&mut h, buf, true, &due, |l| line(t, l, ctx, formats));
        report_failure(&t.path, &mut h, ctx);
        t.cur = Some(h);
    }
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
    /// Rotation counters since the start.
    pub rotation: Rotation,
}

/// Follows the files of `setup` until a signal stops it, handing each summary to `emit`
/// (which renders and writes it). SIGINT and SIGTERM: a final summary now (what was
/// not read yet stays unread). SIGQUIT: read every file to its current end, then the
/// final summary. SIGHUP and SIGUSR1: a summary now, and go on (with `--output`, each
/// summary replaces the file, so a log shipper's rotation needs nothing else).
pub fn run(
    args: &Options,
    setup: Setup,
    emit: &mut dyn FnMut(&Tick<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1};
    let flags = Flags {
        term: Arc::new(AtomicBool::new(false)),
        quit: Arc::new(AtomicBool::new(false)),
        hup: Arc::new(AtomicBool::new(false)),
        usr1: Arc::new(AtomicBool::new(false)),
    };
    for (sig, flag) in [
        (SIGINT, &flags.term),
        (SIGTERM, &flags.term),
        (SIGQUIT, &flags.quit),
        (SIGHUP, &flags.hup),
        (SIGUSR1, &flags.usr1),
    ] {
        signal_hook::flag::register(sig, Arc::clone(flag))
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
        grace: args.rotate_grace,
        flags: &flags,
        next: Instant::now() + args.interval,
        no_interrupt: false,
        rotation: Rotation::default(),
        max_gzip_ratio: args.max_gzip_ratio,
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
                known: HashSet::new(),
                heads: Vec::new(),
                dir_mtime: None,
                warned_truncation: false,
                warned_lost: false,
            })
        })
        .collect();
    for t in &mut tails {
        learn_siblings(t);
        if t.kind.is_some() && (t.kind == Some(Kind::Error) || t.format.is_some()) {
            decide(t, &ctx, &formats);
        }
    }
    let mut total = template.empty_like();
    let mut round = 0usize;
    loop {
        // Each round starts with another file, so that one file's backlog, read between
        // summaries, does not starve the others.
        let n = tails.len().max(1);
        round = round.wrapping_add(1);
        for k in 0..tails.len() {
            if ctx.due() {
                break;
            }
            poll(&mut tails[(round + k) % n], &mut ctx, &formats);
        }
        let term = flags.term.load(Ordering::Relaxed);
        let quit = !term && flags.quit.load(Ordering::Relaxed);
        if quit {
            // Read everything there is now, then stop.
            ctx.no_interrupt = true;
            for t in &mut tails {
                poll(t, &mut ctx, &formats);
            }
        }
        let stop = term || quit;
        let now_due = flags.hup.swap(false, Ordering::Relaxed)
            | flags.usr1.swap(false, Ordering::Relaxed)
            | (Instant::now() >= ctx.next);
        if stop || now_due {
            for t in &mut tails {
                if stop {
                    // The last lines without their newline count, as in batch mode.
                    let mut hs: Vec<Handle> = std::mem::take(&mut t.retired);
                    hs.extend(t.cur.take());
                    for h in &mut hs {
                        flush_partial(t, h, &ctx, &formats);
                    }
                }
                // Lines still undecided (too few to recognise the file): decide now.
                if t.counter.is_none() && !t.pending.is_empty() {
                    decide(t, &ctx, &formats);
                }
            }
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
                rotation: ctx.rotation,
            })?;
            ctx.next = Instant::now() + args.interval;
        }
        if stop {
            return Ok(());
        }
        if !ctx.due() {
            std::thread::sleep(POLL.min(args.interval));
        }
    }
}
