//! A compact text view of a parsed configuration with spans, for snapshots and debugging.

use std::fmt::Write;

use super::ast::{Directive, Quote, Span};
use super::load::Config;

fn span(config: &Config, s: Span) -> String {
    let (l1, c1) = config.sources.line_col(s);
    let (l2, c2) = config.sources.end_line_col(s);
    format!("{l1}:{c1}-{l2}:{c2}")
}

fn directives(config: &Config, list: &[Directive], depth: usize, out: &mut String) {
    for d in list {
        let _ = write!(out, "{}{:?}", "  ".repeat(depth), d.name.as_str());
        for a in &d.args {
            let mark = match a.quote {
                Quote::None => "",
                Quote::Single => "'",
                Quote::Double => "\"",
                Quote::Raw => "raw",
            };
            let _ = write!(out, " {mark}{:?}", a.as_str());
        }
        let _ = writeln!(out, "  @{}", span(config, d.span));
        if let Some(b) = &d.block {
            directives(config, &b.directives, depth + 1, out);
        }
    }
}

/// Every file of the configuration: its tree, its syntax errors, then the load errors.
pub fn tree(config: &Config) -> String {
    let mut out = String::new();
    for (id, file) in config.sources.iter() {
        let _ = writeln!(out, "== {}", file.path.display());
        let parse = &config.files[id.0 as usize];
        directives(config, &parse.directives, 0, &mut out);
        for e in &parse.errors {
            let _ = writeln!(out, "error @{}: {}", span(config, e.span), e.message);
        }
    }
    for e in &config.errors {
        let at = e
            .span
            .map(|s| config.sources.location(s))
            .unwrap_or_default();
        let _ = writeln!(out, "load error {at}: {}", e.message);
    }
    out
}
