//! Command-line arguments of `nginx-mtls-lint logs`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// Summarise what nginx logged about client certificates.
#[derive(Args, Debug, Clone)]
pub struct LogsArgs {
    /// Log files to read (plain or `.gz`), or `-` for stdin. Without files, the
    /// `access_log` and `error_log` paths declared by `--config` are read.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// nginx.conf: gives the `log_format` of each `access_log`, the log paths and the
    /// `error_log` level.
    #[arg(long, short = 'c', value_name = "NGINX_CONF")]
    pub config: Option<PathBuf>,
    /// nginx's prefix (its `-p`): relative log paths in the configuration are relative
    /// to it. Default: the parent of the configuration directory when that directory is
    /// called `conf` (nginx's own layout), else the configuration directory.
    #[arg(long, short = 'p', value_name = "DIR")]
    pub prefix: Option<PathBuf>,
    /// Use this `log_format` (by name, from `--config`, or `combined`) for every access log.
    #[arg(long, value_name = "NAME", conflicts_with = "log_format_string")]
    pub log_format: Option<String>,
    /// Use this format string (nginx `log_format` syntax) for every access log.
    #[arg(long, value_name = "FORMAT")]
    pub log_format_string: Option<String>,
    /// Escaping used by `--log-format-string` (nginx's `escape=`).
    #[arg(long, value_enum, default_value_t = Escape::Default, value_name = "MODE")]
    pub escape: Escape,
    /// Keep reading as lines arrive (like `tail -F`); print a summary every `--interval`.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Only count lines whose time is within this duration before `--at` (e.g. 90s, 15m,
    /// 1h, 2d).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_arg)]
    pub since: Option<std::time::Duration>,
    /// Summary interval for `--follow`, and time bucket size (e.g. 100ms, 10s, 1m).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration_arg)]
    pub interval: std::time::Duration,
    /// Size of the time buckets in the report (default: 1h in batch mode, `--interval`
    /// with `--follow`).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_arg)]
    pub bucket: Option<std::time::Duration>,
    /// Rows shown per table in the human report.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LogsFormat::Human)]
    pub format: LogsFormat,
    /// Treat every FILE as this kind of log instead of recognising it from its content.
    #[arg(long, value_enum)]
    pub kind: Option<Kind>,
    /// Write the report to FILE (atomically: a temporary file in the same directory,
    /// then rename), e.g. for node_exporter's textfile collector.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The reference time for `--since` and certificate expiry ("now" by default):
    /// RFC 3339 (`2026-01-02T03:04:05Z`) or Unix seconds.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Most distinct client certificates / client addresses / servers kept (each);
    /// further ones are counted in an `(other)` row.
    #[arg(long, value_name = "N", default_value_t = crate::logs::aggregate::DEFAULT_TABLE_LIMIT)]
    pub limit: usize,
    /// Threads used for batch reading (default: the number of CPUs).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogsFormat {
    Human,
    Json,
    Jsonl,
    Prometheus,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Access,
    Error,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Escape {
    #[default]
    Default,
    Json,
    None,
}

fn parse_duration_arg(s: &str) -> Result<std::time::Duration, String> {
    crate::logs::time::parse_duration(s)
        .ok_or_else(|| format!("`{s}` is not a duration (examples: 500ms, 10s, 15m, 1h, 2d)"))
}
