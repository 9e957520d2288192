//! Lint rules: the [`Rule`] trait, the registry, and one file per rule named after its
//! code. A rule's module documentation (its `//!` lines) is its user documentation,
//! with the headings What it does / Why is this bad? / Example / Use instead / References.

use std::path::PathBuf;

use serde::Serialize;

use crate::config::{Config, Span};

mod mtls001_syntax_error;
mod mtls002_include_not_found;
mod mtls003_include_cycle;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Where a finding points: a place in a configuration file, or a whole file (a
/// certificate, a CA bundle) that has no span in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Span(Span),
    File(PathBuf),
}

/// A secondary location with its own label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub location: Location,
    pub message: String,
}

/// One problem found by a rule. Rules never print; reporters render findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub location: Location,
    /// The label on the primary location.
    pub label: Option<String>,
    /// What to change.
    pub help: Option<String>,
    pub related: Vec<Related>,
}

impl Finding {
    pub fn new(rule: &RuleInfo, location: Location, message: impl Into<String>) -> Finding {
        Finding {
            code: rule.code,
            severity: rule.severity,
            message: message.into(),
            location,
            label: None,
            help: None,
            related: Vec::new(),
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Finding {
        self.label = Some(label.into());
        self
    }

    pub fn related(mut self, location: Location, message: impl Into<String>) -> Finding {
        self.related.push(Related {
            location,
            message: message.into(),
        });
        self
    }
}

/// What every rule is: code, name, default severity and documentation.
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    /// `MTLS` and three digits.
    pub code: &'static str,
    /// kebab-case name of the bad pattern.
    pub name: &'static str,
    pub severity: Severity,
    /// The rule file's source; its `//!` lines are the documentation.
    source: &'static str,
}

impl RuleInfo {
    /// The rule's documentation, in Markdown.
    pub fn doc(&self) -> String {
        let mut out = String::new();
        for line in self.source.lines() {
            let Some(rest) = line.strip_prefix("//!") else {
                if out.is_empty() {
                    continue;
                }
                break;
            };
            out.push_str(rest.strip_prefix(' ').unwrap_or(rest));
            out.push('\n');
        }
        out
    }

    /// The first sentence under "What it does".
    pub fn summary(&self) -> String {
        let doc = self.doc();
        doc.split("## What it does")
            .nth(1)
            .unwrap_or("")
            .trim()
            .split("\n\n")
            .next()
            .unwrap_or("")
            .replace('\n', " ")
    }
}

/// Everything a rule may look at.
pub struct Context<'a> {
    pub config: &'a Config,
}

/// A lint rule.
pub trait Rule: Sync {
    fn info(&self) -> &'static RuleInfo;
    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>);
}

/// Every rule, in code order.
pub fn registry() -> Vec<&'static dyn Rule> {
    vec![
        &mtls001_syntax_error::SyntaxError,
        &mtls002_include_not_found::IncludeNotFound,
        &mtls003_include_cycle::IncludeCycle,
    ]
}

/// Runs every rule on a configuration; findings come back in a stable order.
pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in registry() {
        rule.check(cx, &mut out);
    }
    let sources = &cx.config.sources;
    out.sort_by_cached_key(|f| {
        let (path, start) = match &f.location {
            Location::Span(s) => (sources.path(s.file).to_path_buf(), s.start),
            Location::File(p) => (p.clone(), 0),
        };
        (path, start, f.code, f.message.clone())
    });
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_names_and_files_agree() {
        let mut seen = std::collections::HashSet::new();
        for r in registry() {
            let i = r.info();
            assert!(seen.insert(i.code), "duplicate code {}", i.code);
            assert!(
                i.code.len() == 7 && i.code.starts_with("MTLS"),
                "{}",
                i.code
            );
            let doc = i.doc();
            for heading in [
                "## What it does",
                "## Why is this bad?",
                "## Example",
                "## Use instead",
                "## References",
            ] {
                assert!(doc.contains(heading), "{} lacks {heading}", i.code);
            }
            assert!(
                i.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                i.name
            );
        }
    }
}
