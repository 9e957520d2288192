//! `--format json`: a versioned, documented schema (see `docs/lint-json.md`).

use serde::Serialize;

use super::Summary;
use crate::config::Config;
use crate::rules::{Finding, Location};

/// Bumped on any incompatible change of the document's shape.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
pub struct Document {
    pub schema_version: u32,
    pub findings: Vec<JsonFinding>,
    pub summary: Summary,
}

#[derive(Serialize)]
pub struct JsonLocation {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub end_line: Option<usize>,
    pub end_column: Option<usize>,
}

#[derive(Serialize)]
pub struct JsonFinding {
    pub code: &'static str,
    pub severity: &'static str,
    pub message: String,
    #[serde(flatten)]
    pub location: JsonLocation,
    pub help: Option<String>,
    pub related: Vec<JsonRelated>,
    /// `fails` when nginx refuses the configuration because of this finding, `passes`
    /// when nginx starts (the finding is about what clients get).
    pub nginx_test: &'static str,
    /// What nginx prints after `[emerg]` (without `in FILE:LINE`), when it refuses.
    pub nginx_message: Option<String>,
}

#[derive(Serialize)]
pub struct JsonRelated {
    #[serde(flatten)]
    pub location: JsonLocation,
    pub message: String,
}

pub fn location(config: &Config, l: &Location) -> JsonLocation {
    match l {
        Location::Span(s) => {
            let (line, column) = config.sources.line_col(*s);
            let (end_line, end_column) = config.sources.end_line_col(*s);
            JsonLocation {
                file: config.sources.path(s.file).display().to_string(),
                line: Some(line),
                column: Some(column),
                end_line: Some(end_line),
                end_column: Some(end_column),
            }
        }
        Location::File(p) => JsonLocation {
            file: p.display().to_string(),
            line: None,
            column: None,
            end_line: None,
            end_column: None,
        },
    }
}

pub fn render(config: &Config, findings: &[Finding], summary: &Summary) -> Document {
    Document {
        schema_version: SCHEMA_VERSION,
        findings: findings
            .iter()
            .map(|f| JsonFinding {
                code: f.code,
                severity: f.severity.as_str(),
                message: f.message.clone(),
                location: location(config, &f.location),
                help: f.help.clone(),
                related: f
                    .related
                    .iter()
                    .map(|r| JsonRelated {
                        location: location(config, &r.location),
                        message: r.message.clone(),
                    })
                    .collect(),
                nginx_test: if f.nginx_refuses.is_some() {
                    "fails"
                } else {
                    "passes"
                },
                nginx_message: f.nginx_refuses.clone(),
            })
            .collect(),
        summary: summary.clone(),
    }
}
