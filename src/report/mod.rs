//! Reporters: findings in, text out. A reporter never decides what is wrong.

pub mod human;
pub mod json;

use std::io::{IsTerminal, Write};

use crate::cli::{Format, LintArgs};
use crate::rules::{self, Context, Finding, Severity};
use crate::{Error, exit, load_input};

/// Counts for the summary line and the JSON summary.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Summary {
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Summary {
    pub fn new(files: usize, findings: &[Finding]) -> Summary {
        let count = |s| findings.iter().filter(|f| f.severity == s).count();
        Summary {
            files,
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
        }
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}, {}, {} in {}",
            plural(self.errors, "error"),
            plural(self.warnings, "warning"),
            plural(self.infos, "info"),
            plural(self.files, "file")
        )
    }
}

/// Whether to colour human output: only on a terminal, never with `NO_COLOR`.
pub fn use_colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// `nginx-mtls-lint [lint] PATH`.
pub fn run_lint(args: &LintArgs) -> Result<u8, Error> {
    let config = load_input(&args.input, false)?;
    let findings = rules::check(&Context { config: &config });
    let summary = Summary::new(config.sources.len(), &findings);
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Human => {
            let text = human::render(&config, &findings, use_colour(), None);
            out.write_all(text.as_bytes())?;
            writeln!(out, "{summary}")?;
        }
        Format::Json => {
            let doc = json::render(&config, &findings, &summary);
            serde_json::to_writer_pretty(&mut out, &doc).map_err(std::io::Error::other)?;
            writeln!(out)?;
        }
    }
    Ok(if summary.errors > 0 {
        exit::FINDINGS
    } else {
        exit::CLEAN
    })
}
