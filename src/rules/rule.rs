//! What a rule is and what it returns: the [`Rule`] trait, [`Finding`] and its parts,
//! the [`Context`] a rule looks at and the [`Options`] that change its conclusions.

use std::path::PathBuf;

use serde::Serialize;

use crate::config::{Config, Span};
use crate::model::Model;
use crate::model::trust::CertFiles;
use crate::util::time::{date, days_from, now};

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
    /// `Some(message)` when nginx refuses the configuration because of this finding
    /// (`nginx -t` fails; the message is what nginx prints after `[emerg]`, without
    /// `in FILE:LINE`); `None` when nginx starts and the finding is about what clients
    /// get.
    pub nginx_refuses: Option<String>,
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
            nginx_refuses: None,
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

    /// nginx refuses the configuration with this message (`nginx -t` fails).
    pub fn refused(mut self, nginx_message: impl Into<String>) -> Finding {
        self.nginx_refuses = Some(nginx_message.into());
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
    pub source: &'static str,
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
    pub model: &'a Model<'a>,
    pub files: &'a CertFiles,
    pub options: &'a Options,
    /// Client certificates given with `--client-cert` (rules MTLS3xx).
    pub client_certs: &'a [crate::verify::ClientCert],
}

/// Declares a rule's static [`RuleInfo`] from its file.
#[macro_export]
macro_rules! rule_info {
    ($code:literal, $name:literal, $severity:ident, $file:literal) => {
        static INFO: $crate::rules::rule::RuleInfo = $crate::rules::rule::RuleInfo {
            code: $code,
            name: $name,
            severity: $crate::rules::rule::Severity::$severity,
            source: include_str!($file),
        };
    };
}

/// A lint rule.
pub trait Rule: Sync {
    fn info(&self) -> &'static RuleInfo;
    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>);
}

/// Options that change what rules conclude.
#[derive(Debug, Clone)]
pub struct Options {
    /// The time to judge validity at (unix seconds).
    pub now: i64,
    /// Warning windows for expiry, in days, largest first (default 30, 15, 7).
    pub warn_days: Vec<u32>,
    /// The nginx version whose behaviour to assume.
    pub nginx_version: (u32, u32, u32),
    /// Directives of third-party modules the user declared (`extra-directives`).
    pub extra_directives: Vec<String>,
    /// The codes of the rules to run; `None`: every rule. Rules not run read nothing
    /// (`--select MTLS001` reads no certificate).
    pub select: Option<Vec<&'static str>>,
}

impl Options {
    /// How a certificate's validity stands at [`Options::now`], against the warning
    /// windows (see [`validity`]).
    pub fn validity_of(&self, info: &crate::certs::info::CertInfo) -> Option<(Severity, String)> {
        validity(self.now, info.not_before, info.not_after, &self.warn_days)
    }
}

/// The newest nginx behaviour this tool knows about.
pub const NEWEST_NGINX: (u32, u32, u32) = {
    let v = crate::config::directives::NEWEST;
    (v.0, v.1, v.2)
};

impl Default for Options {
    fn default() -> Options {
        Options {
            now: now(),
            warn_days: vec![30, 15, 7],
            nginx_version: NEWEST_NGINX,
            extra_directives: Vec::new(),
            select: None,
        }
    }
}

/// How a validity period stands at `now`: `None` when fine, else the severity and a
/// sentence (`expired on ...`, `expires on ... (in 12 days, within 15 days)`).
pub fn validity(
    now: i64,
    not_before: i64,
    not_after: i64,
    warn_days: &[u32],
) -> Option<(Severity, String)> {
    if not_before > now {
        return Some((
            Severity::Error,
            format!(
                "is not valid until {} ({})",
                date(not_before),
                days_from(now, not_before)
            ),
        ));
    }
    if not_after <= now {
        return Some((
            Severity::Error,
            format!(
                "expired on {} ({})",
                date(not_after),
                days_from(now, not_after)
            ),
        ));
    }
    let left_days = (not_after - now) / 86_400;
    let window = warn_days
        .iter()
        .copied()
        .filter(|d| (*d as i64) > left_days)
        .min()?;
    Some((
        Severity::Warning,
        format!(
            "expires on {} ({}, within {window} days)",
            date(not_after),
            days_from(now, not_after)
        ),
    ))
}
