//! Reporters: findings, predictions and summaries in, text out. A reporter never
//! decides what is wrong and never runs a pipeline: the commands layer does both.

pub mod github;
pub mod html;
pub mod human;
pub mod json;
pub mod logs;
pub mod prometheus;
pub mod rules;
pub mod sarif;
pub mod verify;

use crate::model::Model;
use crate::model::trust::CertFiles;
use crate::rules::{Finding, Severity};

/// Counts for the summary line and the JSON summary.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Summary {
    /// Configuration files read.
    pub files: usize,
    /// Certificate, key and CRL files read.
    pub certificate_files: usize,
    pub servers: usize,
    /// Servers that request client certificates.
    pub mtls_servers: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// How the input was read.
    pub input: InputSummary,
    /// The nginx and OpenSSL versions the findings are for.
    pub profile: crate::model::profile::Profile,
}

/// How the input was read: a main configuration, a site file read as if included in
/// `http {}` (or where it belongs), a site file read through the main configuration
/// that includes it, or a directory of site files.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct InputSummary {
    /// `main`, `site`, `tree` or `directory`.
    pub read_as: &'static str,
    /// For a site file read alone: the blocks it was read in (`http`, `stream`,
    /// `http server`).
    pub context: Option<String>,
    /// The main configuration above a site file (`tree`: the one read; `site`: the one
    /// that does not include it).
    pub main_config: Option<String>,
    /// `false` when the main configuration above the site file does not include it.
    pub loaded_by_nginx: Option<bool>,
}

impl InputSummary {
    pub fn new(config: &crate::config::Config) -> InputSummary {
        let first = config.roots.first();
        let root_path = || first.map(|r| config.sources.path(r.file).display().to_string());
        let context = first
            .filter(|r| !r.context.is_empty())
            .map(|r| r.context.join(" "));
        if config.focus.is_some() {
            InputSummary {
                read_as: "tree",
                context: None,
                main_config: root_path(),
                loaded_by_nginx: Some(true),
            }
        } else if config.roots.len() > 1 {
            InputSummary {
                read_as: "directory",
                ..InputSummary::default()
            }
        } else if context.is_some() {
            InputSummary {
                read_as: "site",
                context,
                main_config: config
                    .not_loaded_by
                    .as_ref()
                    .map(|p| p.display().to_string()),
                loaded_by_nginx: config.not_loaded_by.as_ref().map(|_| false),
            }
        } else {
            InputSummary {
                read_as: "main",
                ..InputSummary::default()
            }
        }
    }
}

impl Summary {
    pub fn new(model: &Model<'_>, files: &CertFiles, findings: &[Finding]) -> Summary {
        let count = |s| findings.iter().filter(|f| f.severity == s).count();
        Summary {
            files: model.config.sources.len(),
            certificate_files: files.len(),
            servers: model.servers.len(),
            mtls_servers: model.servers.iter().filter(|s| s.mtls()).count(),
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
            input: InputSummary::new(model.config),
            profile: crate::model::profile::Profile {
                openssl: model.openssl.to_string(),
                ..Default::default()
            },
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
            "{}, {}, {} in {}, {} with mTLS",
            plural(self.errors, "error"),
            plural(self.warnings, "warning"),
            plural(self.infos, "info"),
            plural(self.files, "file"),
            plural(self.mtls_servers, "server")
        )
    }
}

/// Text for a terminal: control characters other than newline and tab, which a hostile
/// file or log line can carry (`ESC [` sequences rewrite the screen, set the window
/// title...), are written as `\x1b` / `\u{9b}` instead of being sent as they are.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !s.chars().any(bad) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut o = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if !bad(c) {
            o.push(c);
        } else if (c as u32) < 0x100 && !('\u{80}'..='\u{9f}').contains(&c) {
            o.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            o.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    std::borrow::Cow::Owned(o)
}
