//! Bounded reads: a file or stream is never read past a limit, whatever its metadata
//! says (`/dev/zero`, a FIFO or a `/proc` file report size 0 and never end).

use std::io;
use std::path::Path;

/// Whether this process may run on two CPUs at once (for the work on one large file
/// that two threads share).
pub fn two_cpus() -> bool {
    std::thread::available_parallelism().is_ok_and(|n| n.get() > 1)
}

/// Files at least this large are read by two threads.
const PARALLEL_READ: u64 = 4 << 20;

/// A large regular file of `len` bytes read by two threads, each into its half of the
/// buffer: copying from the page cache, and the kernel's zeroing of the fresh pages it
/// copies into, are most of the cost of reading, and the halves go at once. `None`
/// when the file did not have exactly `len` bytes (it changed; read it again).
#[cfg(unix)]
fn read_halves(file: &std::fs::File, len: usize) -> Option<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let mut data = vec![0u8; len];
    let (first, second) = data.split_at_mut(len / 2);
    let at = first.len() as u64;
    let read = std::thread::scope(|s| {
        // A thread that cannot be started (a limit on threads): read it in one go.
        let other = std::thread::Builder::new()
            .spawn_scoped(s, || file.read_exact_at(second, at))
            .ok()?;
        let mine = file.read_exact_at(first, 0);
        let other = other
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("reader")));
        Some(mine.and(other))
    })?;
    let grown = file
        .read_at(&mut [0u8; 1], len as u64)
        .map_or(true, |n| n > 0);
    (read.is_ok() && !grown).then_some(data)
}

/// Reads a file, refusing directories and files larger than `max` bytes. The file is
/// opened once and read into a buffer of the size its metadata gives: one `read` for
/// the bytes and one to see that it ended.
pub fn read_file(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let too_large = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("file is larger than {} bytes", max),
        )
    };
    read_whole(path, max)?.ok_or_else(too_large)
}

/// Opens `path` and reads it whole, but no more than `max` bytes (`None` past that):
/// a directory is an `IsADirectory` error. The metadata comes from the open file (no
/// second look-up of the path), and its size is the buffer's, so that the bytes come
/// in one `read`; a file that reports a size it does not have (a FIFO, `/proc`) is
/// still read to its end, bounded.
pub fn read_whole(path: &Path, max: u64) -> io::Result<Option<Vec<u8>>> {
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "Is a directory",
        ));
    }
    if meta.len() > max {
        return Ok(None);
    }
    #[cfg(unix)]
    if meta.is_file()
        && meta.len() >= PARALLEL_READ
        && two_cpus()
        && let Some(data) = read_halves(&file, meta.len() as usize)
    {
        return Ok(Some(data));
    }
    // Read into a buffer of the file's size: growing one by doubling touched and
    // copied twice the memory, the largest cost of `parse` on a large file, and read
    // small files in chunks of 32, 32, 64, 128... bytes.
    let mut data = Vec::with_capacity(meta.len() as usize + 1);
    io::Read::read_to_end(&mut io::Read::take(file, max + 1), &mut data)?;
    Ok((data.len() as u64 <= max).then_some(data))
}

/// Reads to the end, but no more than `max` bytes: `None` past that. The size in the
/// metadata is not enough: `/dev/zero`, a FIFO or a `/proc` file report 0 and never end.
pub fn read_at_most(r: impl io::Read, max: u64) -> io::Result<Option<Vec<u8>>> {
    let mut data = Vec::new();
    io::Read::read_to_end(&mut r.take(max + 1), &mut data)?;
    Ok((data.len() as u64 <= max).then_some(data))
}

/// nginx's wording of an I/O error, e.g. `(2: No such file or directory)`.
pub fn os_error(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => {
            let text = e.to_string();
            let text = text.split(" (os error").next().unwrap_or(&text).to_string();
            format!("({code}: {text})")
        }
        None => format!("({e})"),
    }
}
