//! Reporters: findings in, text out. A reporter never decides what is wrong.

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

use std::io::{IsTerminal, Write};

use crate::cli::{Colour, FailOn, Format, LintArgs};
use crate::model::Model;
use crate::rules::{self, CertFiles, Context, Finding, Options, Severity};
use crate::settings::Settings;
use crate::{Error, exit, load_input};

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

/// Whether to colour human output: `auto` colours only on a terminal, and never when
/// `NO_COLOR` is set (to anything but the empty string).
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

pub fn use_colour(choice: Colour) -> bool {
    match choice {
        Colour::Always => true,
        Colour::Never => false,
        Colour::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// `nginx-mtls-lint [lint] PATH`.
pub fn run_lint(args: &LintArgs) -> Result<u8, Error> {
    let settings = Settings::resolve(args)?;
    let mut input = args.input.clone();
    input.prefix = settings.prefix.clone();
    let config = load_input(&input, false)?;
    let model = Model::build(&config);
    let files = CertFiles::read(&model);
    let mut options = Options {
        warn_days: settings.warn_days.clone(),
        ..Options::default()
    };
    if let Some(at) = args.at {
        options.now = at;
    }
    if let Some(v) = settings.nginx_version {
        options.nginx_version = v;
    }
    let client_certs = crate::verify::load_lint_clients(args)?;
    let findings = rules::check(&Context {
        config: &config,
        model: &model,
        files: &files,
        options: &options,
        client_certs: &client_certs,
    });
    let findings = settings.apply(&config, findings);
    let summary = Summary::new(&model, &files, &findings);
    if args.verbose {
        eprintln!(
            "settings: {}",
            settings
                .file
                .as_ref()
                .map_or("none".to_string(), |f| f.display().to_string())
        );
        for (_, f) in config.sources.iter() {
            eprintln!("read {}", f.path.display());
        }
        eprintln!("read {} certificate, key and CRL files", files.len());
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        Format::Human => {
            let text = human::render(&config, &findings, use_colour(args.color), None);
            out.write_all(text.as_bytes())?;
            if !args.quiet {
                writeln!(out, "{summary}")?;
            }
        }
        Format::Json => {
            let doc = json::render(&config, &findings, &summary);
            serde_json::to_writer_pretty(&mut out, &doc).map_err(std::io::Error::other)?;
            writeln!(out)?;
        }
        Format::Sarif => {
            let doc = sarif::render(&config, &findings);
            serde_json::to_writer_pretty(&mut out, &doc).map_err(std::io::Error::other)?;
            writeln!(out)?;
        }
        Format::Github => {
            out.write_all(github::render(&config, &findings).as_bytes())?;
        }
    }
    out.flush()?;
    let failing = match settings.fail_on {
        FailOn::Error => summary.errors,
        FailOn::Warning => summary.errors + summary.warnings,
        FailOn::Info => summary.errors + summary.warnings + summary.infos,
        FailOn::Never => 0,
    };
    Ok(if failing > 0 {
        exit::FINDINGS
    } else {
        exit::CLEAN
    })
}
