//! What nginx logged about client certificates.
//!
//! Data flows one way: bytes -> records -> aggregate -> one reporter.
//! `plan` decides which files to read with which `log_format`; `batch` reads them in
//! parallel, `follow` keeps reading them as they grow (and rotate); `aggregate` counts;
//! `crate::report::logs` renders (the commands layer picks the reporter).

pub mod aggregate;
pub mod batch;
pub mod errorlog;
pub mod follow;
pub mod format;
pub mod options;
pub mod plan;
pub mod reasons;
pub mod time;

pub use options::{Kind, Options};

use crate::error::Error;
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

pub fn setup(args: &Options) -> Result<Setup, Error> {
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
