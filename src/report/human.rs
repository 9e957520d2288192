//! Human output: miette diagnostics with the source excerpt, labels and help.

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan,
};

use crate::config::{Config, Span};
use crate::rules::{Finding, Location, Severity};

#[derive(Debug)]
struct Rendered {
    code: &'static str,
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Rendered>,
}

impl std::fmt::Display for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Rendered {}

impl Diagnostic for Rendered {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        if self.code.is_empty() {
            None
        } else {
            Some(Box::new(self.code))
        }
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|r| r as &dyn Diagnostic)))
        }
    }
}

fn source_of(config: &Config, span: Span) -> NamedSource<String> {
    let file = config.sources.get(span.file);
    NamedSource::new(file.path.display().to_string(), file.text())
}

/// Byte offsets shift where the file is not UTF-8; map them into the lossy text.
fn source_span(config: &Config, span: Span) -> SourceSpan {
    let src = &config.sources.get(span.file).src;
    let r = span.range();
    let start = String::from_utf8_lossy(&src[..r.start.min(src.len())]).len();
    let len = String::from_utf8_lossy(&src[r.start.min(src.len())..r.end.min(src.len())]).len();
    SourceSpan::new(start.into(), len.max(1))
}

fn severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

fn rendered(config: &Config, f: &Finding) -> Rendered {
    let (source, labels, message) = match &f.location {
        Location::Span(s) => (
            Some(source_of(config, *s)),
            vec![LabeledSpan::new_primary_with_span(
                f.label.clone(),
                source_span(config, *s),
            )],
            f.message.clone(),
        ),
        Location::File(p) => (None, Vec::new(), format!("{} ({})", f.message, p.display())),
    };
    let related = f
        .related
        .iter()
        .map(|r| {
            let (source, labels, message) = match &r.location {
                Location::Span(s) => (
                    Some(source_of(config, *s)),
                    vec![LabeledSpan::new_with_span(
                        Some(r.message.clone()),
                        source_span(config, *s),
                    )],
                    format!("related: {}", config.sources.location(*s)),
                ),
                Location::File(p) => (
                    None,
                    Vec::new(),
                    format!("related: {}: {}", p.display(), r.message),
                ),
            };
            Rendered {
                code: "",
                message,
                severity: miette::Severity::Advice,
                help: None,
                source,
                labels,
                related: Vec::new(),
            }
        })
        .collect();
    Rendered {
        code: f.code,
        message,
        severity: severity(f.severity),
        help: f.help.clone(),
        source,
        labels,
        related,
    }
}

/// Renders findings as text. `width` fixes the line width (for snapshots).
pub fn render(config: &Config, findings: &[Finding], colour: bool, width: Option<usize>) -> String {
    let theme = if colour {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let mut handler = GraphicalReportHandler::new_themed(theme);
    if let Some(w) = width {
        handler = handler.with_width(w);
    }
    let mut out = String::new();
    for f in findings {
        let r = rendered(config, f);
        if handler.render_report(&mut out, &r).is_err() {
            out.push_str(&format!("{}: {}\n", f.code, r.message));
        }
        out.push('\n');
    }
    out
}
