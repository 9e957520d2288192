//! Inline suppressions: `# nginx-mtls-lint: ignore MTLS104[, MTLS105] [-- reason]`, on
//! the finding's line or alone on the line before it.

use super::mtls004_unused_suppression;
use super::rule::{Finding, Location};
use crate::config::{Config, Span};

const MARKER: &str = "nginx-mtls-lint:";

/// One suppression comment.
#[derive(Debug, Clone)]
pub struct Suppression {
    pub span: Span,
    /// The line it covers.
    pub line: usize,
    pub codes: Vec<String>,
}

/// Every suppression comment of the configuration.
pub fn suppressions(config: &Config) -> Vec<Suppression> {
    let mut out = Vec::new();
    for (id, file) in config.sources.iter() {
        for c in &config.files[id.0 as usize].comments {
            let text = String::from_utf8_lossy(&file.src[c.range()]);
            let body = text.trim_start_matches('#').trim();
            let Some(rest) = body.strip_prefix(MARKER) else {
                continue;
            };
            let rest = rest.trim();
            let Some(list) = rest.strip_prefix("ignore") else {
                continue;
            };
            let list = list.split(" --").next().unwrap_or("");
            let codes: Vec<String> = list
                .split([',', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_ascii_uppercase)
                .collect();
            let (line, _) = file.line_col(c.start);
            // Alone on its line: it covers the next line; after a directive: its own.
            let line_start = file.src[..c.start as usize]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
            let alone = file.src[line_start..c.start as usize]
                .iter()
                .all(|b| b.is_ascii_whitespace());
            out.push(Suppression {
                span: *c,
                line: if alone { line + 1 } else { line },
                codes,
            });
        }
    }
    out
}

/// Removes the findings a suppression covers; reports suppressions that covered nothing
/// or named no rule (MTLS004).
pub fn apply(config: &Config, findings: Vec<Finding>) -> Vec<Finding> {
    let sups = suppressions(config);
    if sups.is_empty() {
        return findings;
    }
    let mut used = vec![false; sups.len()];
    let mut kept = Vec::with_capacity(findings.len());
    for f in findings {
        let Location::Span(s) = f.location else {
            kept.push(f);
            continue;
        };
        let line = config.sources.get(s.file).line(s.start);
        let hit = sups.iter().position(|sup| {
            sup.span.file == s.file && sup.line == line && sup.codes.iter().any(|c| c == f.code)
        });
        match hit {
            Some(i) => used[i] = true,
            None => kept.push(f),
        }
    }
    let info = mtls004_unused_suppression::info();
    for (sup, used) in sups.iter().zip(used) {
        if used {
            continue;
        }
        let message = if sup.codes.is_empty() {
            "this suppression names no rule: write `# nginx-mtls-lint: ignore MTLS104 -- reason`"
                .to_string()
        } else {
            format!(
                "this suppression of {} matches no finding on line {}",
                sup.codes.join(", "),
                sup.line
            )
        };
        kept.push(
            Finding::new(info, Location::Span(sup.span), message)
                .label("unused suppression")
                .help("remove the comment, or fix the codes it names"),
        );
    }
    kept
}
