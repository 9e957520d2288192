//! `--format github`: GitHub Actions workflow commands, one per finding
//! (`::error file=F,line=L,col=C,endLine=..,endColumn=..,title=MTLS101 name::message`),
//! which the runner shows as annotations on the pull request.

use crate::config::Config;
use crate::rules::{Finding, Location, Severity, registry};

/// Escapes a command's message (`%`, CR, LF).
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (also `:` and `,`).
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(config: &Config, findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let name = registry()
            .iter()
            .find(|r| r.info().code == f.code)
            .map_or("", |r| r.info().name);
        let mut props = Vec::new();
        match &f.location {
            Location::Span(s) => {
                let (line, col) = config.sources.line_col(*s);
                let (end_line, end_col) = config.sources.end_line_col(*s);
                props.push(format!(
                    "file={}",
                    property(&config.sources.path(s.file).display().to_string())
                ));
                props.push(format!("line={line}"));
                props.push(format!("col={col}"));
                props.push(format!("endLine={end_line}"));
                props.push(format!("endColumn={end_col}"));
            }
            Location::File(p) => props.push(format!("file={}", property(&p.display().to_string()))),
        }
        props.push(format!("title={}", property(&format!("{} {name}", f.code))));
        let mut message = f.message.clone();
        if let Some(h) = &f.help {
            message.push_str("\nhelp: ");
            message.push_str(h);
        }
        out.push_str(&format!(
            "::{level} {}::{}\n",
            props.join(","),
            data(&message)
        ));
    }
    out
}
