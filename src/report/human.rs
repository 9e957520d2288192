//! Human output: miette diagnostics with the source excerpt, labels and help.

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceSpan, SpanContents,
};

use crate::config::{Config, Span};
use crate::rules::{Finding, Location, Severity};

#[derive(Debug)]
struct Rendered {
    code: &'static str,
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<Snippet>,
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

/// Most bytes of source drawn for one label: the lines of the span and one line either
/// side. A longer excerpt (a 100 MB line) is not drawn: the message names the location
/// instead, so that rendering stays fast and small whatever the file holds.
pub const MAX_SNIPPET: usize = 16 * 1024;

/// The lines around one span, lossily decoded, numbered as in the whole file.
#[derive(Debug)]
struct Snippet {
    name: String,
    text: String,
    /// Lines of the file before `text`.
    first_line: usize,
}

impl miette::SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let c = self.text.read_span(span, before, after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            c.data(),
            *c.span(),
            c.line() + self.first_line,
            c.column(),
            c.line_count(),
        )))
    }
}

fn line_start(src: &[u8], i: usize) -> usize {
    memchr::memrchr(b'\n', &src[..i]).map_or(0, |p| p + 1)
}

fn line_end(src: &[u8], i: usize) -> usize {
    memchr::memchr(b'\n', &src[i..]).map_or(src.len(), |p| i + p)
}

/// Masks (with `*`, keeping every offset) the lines that could be key material, so that a
/// key pasted into a configuration, or a key file linted as one, is never drawn; and
/// control characters (as `?`), so that a hostile file cannot drive the terminal.
fn hide_key_material(text: &mut String) {
    let mut masked = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.strip_suffix('\n').unwrap_or(line);
        let body = body.strip_suffix('\r').unwrap_or(body);
        let key = crate::certs::pem::looks_like_key_material(body.as_bytes());
        for c in body.chars() {
            // As many bytes as the character had: spans stay where they were.
            if key {
                masked.extend(std::iter::repeat_n('*', c.len_utf8()));
            } else if c.is_control() && c != '\t' {
                // A control character from the file (a lone CR included) is not sent to
                // the terminal.
                masked.extend(std::iter::repeat_n('?', c.len_utf8()));
            } else {
                masked.push(c);
            }
        }
        masked.push_str(&line[body.len()..]);
    }
    *text = masked;
}

/// The excerpt for `span` and the span within it (byte offsets shift where the file is
/// not UTF-8, so they are mapped into the lossy text); `None` when it is too long to draw.
fn snippet(config: &Config, span: Span) -> Option<(Snippet, SourceSpan)> {
    let file = config.sources.get(span.file);
    let src = &file.src[..];
    let r = span.range();
    let start = r.start.min(src.len());
    let end = r.end.clamp(start, src.len());
    let mut a = line_start(src, start);
    if a > 0 {
        a = line_start(src, a - 1);
    }
    let mut b = line_end(src, end.saturating_sub(1).max(start));
    if b < src.len() {
        // The context line after, with its newline (miette draws an empty last line only
        // when it ends with one).
        b = (line_end(src, b + 1) + 1).min(src.len());
    }
    if b - a > MAX_SNIPPET {
        return None;
    }
    let lossy = |x: &[u8]| String::from_utf8_lossy(x).len();
    let at = lossy(&src[a..start]);
    let len = lossy(&src[start..end]);
    let mut text = String::from_utf8_lossy(&src[a..b]).into_owned();
    hide_key_material(&mut text);
    let first_line = file.line(a as u32).saturating_sub(1);
    Some((
        Snippet {
            name: file.path.display().to_string(),
            text,
            first_line,
        },
        SourceSpan::new(at.into(), len.max(1)),
    ))
}

fn severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

/// The finding's headline: its message, saying `nginx -t fails:` with nginx's words
/// when nginx refuses the configuration.
fn headline(f: &Finding) -> String {
    match &f.nginx_refuses {
        Some(m) if f.message.starts_with(m.as_str()) => format!("nginx -t fails: {}", f.message),
        Some(m) if !f.message.contains("nginx -t fails") => {
            format!("{}; nginx -t fails: {m}", f.message)
        }
        _ => f.message.clone(),
    }
}

fn rendered(config: &Config, f: &Finding) -> Rendered {
    let headline = headline(f);
    let (source, labels, message) = match &f.location {
        Location::Span(s) => match snippet(config, *s) {
            Some((source, at)) => (
                Some(source),
                vec![LabeledSpan::new_primary_with_span(f.label.clone(), at)],
                headline,
            ),
            None => (
                None,
                Vec::new(),
                format!("{headline} ({})", config.sources.location(*s)),
            ),
        },
        Location::File(p) => (None, Vec::new(), format!("{headline} ({})", p.display())),
    };
    let related = f
        .related
        .iter()
        .map(|r| {
            let (source, labels, message) = match &r.location {
                Location::Span(s) => match snippet(config, *s) {
                    Some((source, at)) => (
                        Some(source),
                        vec![LabeledSpan::new_with_span(
                            Some(crate::report::printable(&r.message).into_owned()),
                            at,
                        )],
                        format!("related: {}", config.sources.location(*s)),
                    ),
                    None => (
                        None,
                        Vec::new(),
                        format!("related: {}: {}", config.sources.location(*s), r.message),
                    ),
                },
                Location::File(p) => (
                    None,
                    Vec::new(),
                    format!("related: {}: {}", p.display(), r.message),
                ),
            };
            Rendered {
                code: "",
                message: crate::report::printable(&message).into_owned(),
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
        message: crate::report::printable(&message).into_owned(),
        severity: severity(f.severity),
        help: f
            .help
            .as_ref()
            .map(|h| crate::report::printable(h).into_owned()),
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
        let mut r = rendered(config, f);
        // Related places are drawn after the finding, each as a note of its own (as
        // miette's related diagnostics they would each get an empty `Advice:` line).
        let related = std::mem::take(&mut r.related);
        if handler.render_report(&mut out, &r).is_err() {
            out.push_str(&format!("{}: {}\n", f.code, r.message));
        }
        for rel in related {
            if handler.render_report(&mut out, &rel).is_err() {
                out.push_str(&format!("  {}\n", rel.message));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Input, LoadOptions, load};
    use crate::model::Model;
    use crate::rules::{self, CertFiles, Context, Options};

    fn human(src: Vec<u8>) -> String {
        let config = load(&Input::Stdin(src), &LoadOptions::default());
        let model = Model::build(&config);
        let files = CertFiles::read(&model);
        let findings = rules::check(&Context {
            config: &config,
            model: &model,
            files: &files,
            options: &Options::default(),
            client_certs: &[],
        });
        render(&config, &findings, false, Some(100))
    }

    /// Regression: a 100 MB word (`events {}\nhttp { aaaa…; }`) made the report hand the
    /// whole file to miette, which drew the 100 MB line: over a minute and 1.4 GB RSS.
    #[test]
    fn a_line_longer_than_the_snippet_limit_is_not_drawn() {
        let mut src = b"events {}\nhttp { ".to_vec();
        src.resize(src.len() + 4 * MAX_SNIPPET, b'a');
        src.extend_from_slice(b"; }\n");
        let out = human(src);
        assert!(out.contains("too long parameter"), "{out}");
        assert!(
            out.contains(":2:8)"),
            "the location is named instead: {out}"
        );
        assert!(out.len() < MAX_SNIPPET, "{out}");
    }

    /// Regression: a key pasted into a configuration (`http {` + key + `}`) was drawn in
    /// the excerpt of the syntax error that follows it.
    #[test]
    fn key_material_in_an_excerpt_is_masked() {
        let src = b"events {}\nhttp {\n-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg4bn/3UZO4rbNR9P5\n}\n".to_vec();
        let out = human(src);
        assert!(out.contains("unexpected"), "{out}");
        assert!(!out.contains("MIGHAgEA"), "{out}");
        assert!(out.contains(" 4 │ ****************"), "{out}");
    }

    /// A hostile configuration cannot drive the terminal: control characters in the
    /// excerpt and in the message (an unknown block name) are not printed as they are.
    #[test]
    fn control_characters_are_not_sent_to_the_terminal() {
        let out = human(b"events {}\n\x1b]0;pwned\x07\x1b[2J {\n}\n".to_vec());
        assert!(out.contains("unknown directive"), "{out}");
        assert!(!out.contains('\x1b') && !out.contains('\x07'), "{out:?}");
        assert!(
            out.contains("unknown directive \"pwned\\x07\\x1b[2J\""),
            "{out}"
        );
        assert!(out.contains(" 2 │ ?]0;pwned??[2J {"), "{out}");
    }

    /// The excerpt of a span deep in a file is numbered as in the whole file.
    #[test]
    fn excerpts_keep_the_file_line_numbers() {
        let mut src = "# filler\n".repeat(5000).into_bytes();
        src.extend_from_slice(b"events {}\nhttp {\n    b\xffgus {\n    }\n}\n");
        let out = human(src);
        assert!(out.contains(":5003:5]"), "{out}");
        assert!(out.contains("5003 │     b\u{fffd}gus {"), "{out}");
        assert!(out.contains("5002 │ http {"), "{out}");
    }
}
