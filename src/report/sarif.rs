//! `--format sarif`: SARIF 2.1.0, with `tool.driver.rules` from the rule registry and one
//! result per finding (physical location and related locations).

use serde_json::{Value, json};

use crate::config::Config;
use crate::rules::{Finding, Location, Severity, registry};

/// Where each rule's documentation lives (the README's rules section).
pub const HELP_BASE: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "#");

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A file path as a SARIF URI: relative paths stay relative (to the working directory,
/// `%SRCROOT%`), absolute ones become `file://` URIs.
fn uri(path: &std::path::Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let encoded: String = text
        .chars()
        .map(|c| match c {
            ' ' => "%20".to_string(),
            '%' => "%25".to_string(),
            '#' => "%23".to_string(),
            '?' => "%3F".to_string(),
            c => c.to_string(),
        })
        .collect();
    if path.is_absolute() {
        format!("file://{encoded}")
    } else {
        encoded
    }
}

fn physical(config: &Config, l: &Location) -> Value {
    match l {
        Location::Span(s) => {
            let (line, col) = config.sources.line_col(*s);
            let (end_line, end_col) = config.sources.end_line_col(*s);
            let mut artifact = json!({ "uri": uri(config.sources.path(s.file)) });
            if !config.sources.path(s.file).is_absolute() {
                artifact["uriBaseId"] = json!("%SRCROOT%");
            }
            json!({
                "artifactLocation": artifact,
                "region": {
                    "startLine": line,
                    "startColumn": col,
                    "endLine": end_line,
                    "endColumn": end_col.max(1),
                }
            })
        }
        Location::File(p) => json!({ "artifactLocation": { "uri": uri(p) } }),
    }
}

pub fn render(config: &Config, findings: &[Finding]) -> Value {
    let rules: Vec<_> = registry().iter().map(|r| r.info()).collect();
    let driver_rules: Vec<Value> = rules
        .iter()
        .map(|i| {
            let doc = i.doc();
            let full = doc
                .split("## Why is this bad?")
                .nth(1)
                .and_then(|s| s.split("## ").next())
                .unwrap_or("")
                .trim()
                .replace('\n', " ");
            json!({
                "id": i.code,
                "name": i.name,
                "shortDescription": { "text": i.summary() },
                "fullDescription": { "text": full },
                "help": { "text": doc, "markdown": doc },
                "helpUri": format!("{HELP_BASE}{}-{}", i.code.to_ascii_lowercase(), i.name),
                "defaultConfiguration": { "level": level(i.severity) },
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut text = f.message.clone();
            if let Some(h) = &f.help {
                text.push_str("\nhelp: ");
                text.push_str(h);
            }
            let related: Vec<Value> = f
                .related
                .iter()
                .enumerate()
                .map(|(n, r)| {
                    json!({
                        "id": n + 1,
                        "physicalLocation": physical(config, &r.location),
                        "message": { "text": r.message },
                    })
                })
                .collect();
            let mut result = json!({
                "ruleId": f.code,
                "level": level(f.severity),
                "message": { "text": text },
                "locations": [ { "physicalLocation": physical(config, &f.location) } ],
            });
            if let Some(idx) = rules.iter().position(|i| i.code == f.code) {
                result["ruleIndex"] = json!(idx);
            }
            if !related.is_empty() {
                result["relatedLocations"] = json!(related);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [ {
            "tool": { "driver": {
                "name": "nginx-mtls-lint",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": driver_rules,
            } },
            "columnKind": "unicodeCodePoints",
            "results": results,
        } ]
    })
}
