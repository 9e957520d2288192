//! `nginx-mtls-lint logs`: what nginx logged about client certificates.
//!
//! Data flows one way: bytes -> records -> aggregate -> one reporter.
//! `plan` decides which files to read with which `log_format`; `batch` reads them in
//! parallel, `follow` keeps reading them as they grow (and rotate); `aggregate` counts;
//! `report` renders.

pub mod aggregate;
pub mod args;
pub mod batch;
pub mod errorlog;
pub mod follow;
pub mod format;
pub mod plan;
pub mod reasons;
pub mod report;
pub mod time;

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

pub use args::LogsArgs;

use crate::Error;
use aggregate::Stats;
use args::LogsFormat;
use plan::FileSpec;

/// Everything decided before reading.
pub struct Setup {
    pub specs: Vec<FileSpec>,
    pub candidates: Vec<format::LogFormat>,
    pub hints: Vec<String>,
    pub at: Option<i64>,
}

fn usage(message: String) -> Error {
    Error::Input {
        path: "<command line>".into(),
        message,
    }
}

pub fn setup(args: &LogsArgs) -> Result<Setup, Error> {
    let at = match &args.at {
        Some(s) => Some(time::parse_at(s).ok_or_else(|| {
            usage(format!(
                "--at {s}: not a time (RFC 3339 like 2026-01-02T03:04:05Z, or Unix seconds)"
            ))
        })?),
        None => None,
    };
    if let Some(d) = args.files.iter().find(|f| f.is_dir()) {
        return Err(Error::Input {
            path: d.display().to_string(),
            message: "is a directory, not a log file".into(),
        });
    }
    if args.follow && args.files.iter().any(|f| f.as_os_str() == "-") {
        return Err(usage(
            "--follow cannot read stdin (`-`); name the files".into(),
        ));
    }
    let cl = match &args.config {
        Some(c) => Some(plan::read_config(args, c)?),
        None => None,
    };
    let mut specs = plan::plan(args, cl.as_ref())?;
    let mut hints = cl.as_ref().map(|c| c.hints.clone()).unwrap_or_default();
    if args.files.is_empty() && !args.follow {
        // Logs the configuration declares but that do not exist are skipped, not fatal.
        specs.retain(|s| match &s.path {
            Some(p) if !p.exists() => {
                hints.push(format!(
                    "{}: declared in the configuration but not found; skipped",
                    p.display()
                ));
                false
            }
            _ => true,
        });
    }
    Ok(Setup {
        specs,
        candidates: plan::candidates(cl.as_ref()),
        hints,
        at,
    })
}

/// Writes `text` to `--output` atomically (temp file in the same directory, then
/// rename), or to stdout.
pub fn emit(output: Option<&Path>, text: &str) -> Result<(), Error> {
    match output {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
            Ok(())
        }
        Some(p) => write_atomic(p, text.as_bytes()).map_err(|e| Error::Input {
            path: p.display().to_string(),
            message: format!("cannot write {}", crate::config::load::os_error(&e)),
        }),
    }
}

fn write_atomic(p: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = p
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let res = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::rename(&tmp, p)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

/// Renders a report in the chosen format.
pub fn render(fmt: LogsFormat, st: &Stats, ctx: &report::Ctx) -> String {
    match fmt {
        LogsFormat::Human => report::human(st, ctx),
        LogsFormat::Json | LogsFormat::Jsonl => {
            let mut s = serde_json::to_string(&report::report(st, ctx)).unwrap_or_default();
            s.push('\n');
            s
        }
        LogsFormat::Prometheus => report::prometheus(st, ctx),
    }
}

fn threads(args: &LogsArgs) -> usize {
    args.threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1)
}

pub fn run(args: &LogsArgs) -> Result<u8, Error> {
    let setup = setup(args)?;
    if args.follow {
        return follow::run(args, setup);
    }
    let at = setup.at.unwrap_or_else(time::now);
    let cutoff = args.since.map(|d| at - d.as_secs() as i64);
    let bucket = args.bucket.map_or(3600, |d| d.as_secs().max(1) as i64);
    // Resolve kind and format of named files from their first bytes (stdin: in the reader).
    let mut kinds = Vec::new();
    let mut formats = Vec::new();
    let mut total_size = 0u64;
    for s in &setup.specs {
        if s.path.is_some() {
            let (_, head, _) = batch::open(s)?;
            let (k, f) = batch::resolve(s, &head, &setup.candidates);
            kinds.push(Some(k));
            formats.push(f);
            total_size += s
                .path
                .as_ref()
                .and_then(|p| std::fs::metadata(p).ok())
                .map_or(0, |m| m.len());
        } else {
            kinds.push(s.kind);
            formats.push(s.format.clone());
        }
    }
    let progress = AtomicU64::new(0);
    let done = AtomicBool::new(false);
    let show_progress = std::io::stderr().is_terminal() && total_size > (256 << 20);
    let job = batch::Job {
        specs: &setup.specs,
        kinds,
        formats,
        candidates: setup.candidates.clone(),
        threads: threads(args),
        cutoff,
        template: Stats::new(args.limit, bucket),
        progress: show_progress.then_some(&progress),
    };
    let stats = std::thread::scope(|sc| {
        if show_progress {
            // Progress is shown by a thread of its own, when one can be started.
            let _ = std::thread::Builder::new().spawn_scoped(sc, || {
                while !done.load(Ordering::Relaxed) {
                    let n = progress.load(Ordering::Relaxed);
                    // Bytes are counted after decompression: with .gz files the total
                    // (on disk) is only a lower bound.
                    if n <= total_size {
                        eprint!(
                            "\rreading logs: {} / {} MiB ({:.0}%)",
                            n >> 20,
                            total_size >> 20,
                            100.0 * n as f64 / total_size.max(1) as f64
                        );
                    } else {
                        eprint!("\rreading logs: {} MiB{:20}", n >> 20, "");
                    }
                    std::thread::sleep(std::time::Duration::from_millis(250));
                }
                eprint!("\r{:60}\r", "");
            });
        }
        let r = batch::run(&job);
        done.store(true, Ordering::Relaxed);
        r
    })?;
    let ctx = report::Ctx {
        at,
        hints: setup.hints,
        top: args.top,
    };
    emit(args.output.as_deref(), &render(args.format, &stats, &ctx))?;
    Ok(crate::exit::CLEAN)
}
