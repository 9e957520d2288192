//! Transparent huge pages, per run. The allocator asks the kernel for huge pages
//! (`madvise`), and the kernel zeroes 2 MiB at the first touch of each: on this
//! project's machines a third of a short run (`verify`, a rule's documentation, a
//! small configuration) went to zeroing memory it never used, and lint of 20,000
//! servers spent 0.9 s of system time on it. Runs that read a lot in big buffers
//! (`parse` and `logs` of large files) go faster with them, so the choice is made from
//! what the run reads ([`HUGE_INPUT`]); see BENCHMARKS.md.

/// Runs that read at least this many bytes keep transparent huge pages.
pub const HUGE_INPUT: u64 = 32 << 20;

/// Turns transparent huge pages off (`keep` false) or back on for the rest of this
/// process and the processes it starts. Pages already faulted in stay as they are:
/// `main` turns them off before it allocates, and the command turns them back on
/// when what it reads is large.
pub fn choose(keep: bool) {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE takes integer arguments only and changes
    // a flag of this process; a kernel without it returns an error, which leaves
    // things as they were.
    unsafe {
        libc::prctl(
            libc::PR_SET_THP_DISABLE,
            libc::c_ulong::from(!keep),
            0,
            0,
            0,
        );
    }
    #[cfg(not(target_os = "linux"))]
    let _ = keep;
}

/// The size of the files at `paths` together (what cannot be looked at counts 0).
pub fn input_size<'p>(paths: impl IntoIterator<Item = &'p std::path::Path>) -> u64 {
    paths
        .into_iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}
