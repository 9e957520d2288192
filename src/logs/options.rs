//! What a `logs` run is asked to do, as plain values (the commands layer fills them in
//! from the command line).

use std::path::PathBuf;
use std::time::Duration;

use super::format::Escape;

/// Which kind of log a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Access,
    Error,
}

/// The reading side of `nginx-mtls-lint logs`: which files, how to read them, what to
/// count. How the result is shown is the reporter's business.
#[derive(Debug, Clone)]
pub struct Options {
    /// Log files (`-` for stdin); empty: the logs `config` declares.
    pub files: Vec<PathBuf>,
    /// nginx.conf: `log_format`s, log paths and the `error_log` level.
    pub config: Option<PathBuf>,
    /// nginx's prefix, for relative log paths of the configuration.
    pub prefix: Option<PathBuf>,
    /// A `log_format` by name for every access log.
    pub log_format: Option<String>,
    /// A `log_format` string for every access log.
    pub log_format_string: Option<String>,
    /// The escaping of `log_format_string`.
    pub escape: Escape,
    /// Keep reading as lines arrive.
    pub follow: bool,
    /// Only lines within this duration before `at`.
    pub since: Option<Duration>,
    /// Summary interval of `follow`.
    pub interval: Duration,
    /// Time bucket size (default: 1h in batch mode, 1m with `follow`).
    pub bucket: Option<Duration>,
    /// Every file is of this kind instead of recognised from its content.
    pub kind: Option<Kind>,
    /// The reference time (RFC 3339 or unix seconds), as given.
    pub at: Option<String>,
    /// Most distinct certificates / clients / servers kept (each).
    pub limit: usize,
    /// `--follow`: a rotated file is closed after this long without growth once the new
    /// file has data (its writer is gone).
    pub rotate_grace: Duration,
    /// A `.gz` log may expand at most this many times its compressed size.
    pub max_gzip_ratio: u64,
}
