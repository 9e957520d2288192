//! crossplane-compatible JSON (`crossplane parse` output), so that tools written against
//! crossplane's schema read ours unchanged:
//! `{status, errors[{file, line, error}], config[{file, status, errors[{line, error}],
//! parsed[{directive, line, args, includes?, block?}]}]}`.
//!
//! Differences from crossplane are where crossplane differs from nginx; they are listed
//! in `grammar-tests/DIVERGENCES.md`.

use serde::Serialize;

use super::ast::Directive;
use super::load::Config;

#[derive(Serialize, Debug)]
pub struct Payload {
    pub status: &'static str,
    pub errors: Vec<PayloadError>,
    pub config: Vec<FileEntry>,
}

#[derive(Serialize, Debug)]
pub struct PayloadError {
    pub file: String,
    pub error: String,
    pub line: Option<usize>,
}

#[derive(Serialize, Debug)]
pub struct FileEntry {
    pub file: String,
    pub status: &'static str,
    pub errors: Vec<FileError>,
    pub parsed: Vec<Stmt>,
}

#[derive(Serialize, Debug)]
pub struct FileError {
    pub error: String,
    pub line: Option<usize>,
}

#[derive(Serialize, Debug)]
pub struct Stmt {
    pub directive: String,
    pub line: usize,
    pub args: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub includes: Option<Vec<usize>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<Vec<Stmt>>,
}

/// crossplane removes the parentheses around an `if` condition from its arguments.
fn strip_if_parens(args: &mut Vec<String>) {
    let (Some(first), Some(last)) = (args.first(), args.last()) else {
        return;
    };
    if !(first.starts_with('(') && last.ends_with(')')) {
        return;
    }
    let n = args.len();
    args[0] = args[0][1..].trim_start().to_string();
    let l = args[n - 1].len();
    args[n - 1] = args[n - 1][..l - 1].trim_end().to_string();
    if args.last().is_some_and(String::is_empty) {
        args.pop();
    }
    if args.first().is_some_and(String::is_empty) {
        args.remove(0);
    }
}

fn stmts(config: &Config, list: &[Directive]) -> Vec<Stmt> {
    list.iter()
        .map(|d| {
            let file = config.sources.get(d.span.file);
            let mut args: Vec<String> = d.args.iter().map(|a| a.as_str().into_owned()).collect();
            if d.is("if") {
                strip_if_parens(&mut args);
            }
            Stmt {
                directive: d.name.as_str().into_owned(),
                line: file.line(d.name.span.start),
                args,
                includes: config
                    .includes
                    .get(&d.span)
                    .map(|t| t.iter().map(|f| f.0 as usize).collect()),
                block: d.block.as_ref().map(|b| stmts(config, &b.directives)),
            }
        })
        .collect()
}

/// The crossplane payload of a loaded configuration.
pub fn payload(config: &Config) -> Payload {
    let mut top = Vec::new();
    let mut entries = Vec::new();
    for (id, src) in config.sources.iter() {
        let parse = &config.files[id.0 as usize];
        let name = src.path.display().to_string();
        let mut errors = Vec::new();
        for e in &parse.errors {
            let line = src.line(e.span.start);
            errors.push(FileError {
                error: format!("{} in {}:{}", e.message, name, line),
                line: Some(line),
            });
        }
        for e in config
            .errors
            .iter()
            .filter(|e| e.span.is_some_and(|s| s.file == id))
        {
            let line = e.span.map(|s| src.line(s.start));
            errors.push(FileError {
                error: e.message.clone(),
                line,
            });
        }
        errors.sort_by_key(|e| e.line);
        for e in &errors {
            top.push(PayloadError {
                file: name.clone(),
                error: e.error.clone(),
                line: e.line,
            });
        }
        entries.push(FileEntry {
            file: name,
            status: if errors.is_empty() { "ok" } else { "failed" },
            errors,
            parsed: stmts(config, &parse.directives),
        });
    }
    for e in config.errors.iter().filter(|e| e.span.is_none()) {
        top.push(PayloadError {
            file: e.path.display().to_string(),
            error: e.message.clone(),
            line: None,
        });
    }
    Payload {
        status: if top.is_empty() { "ok" } else { "failed" },
        errors: top,
        config: entries,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(v: &[&str]) -> Vec<String> {
        let mut a: Vec<String> = v.iter().map(|s| s.to_string()).collect();
        strip_if_parens(&mut a);
        a
    }

    #[test]
    fn if_parentheses() {
        assert_eq!(strip(&["($a", "=", "b)"]), ["$a", "=", "b"]);
        assert_eq!(strip(&["(", "$a", ")"]), ["$a"]);
        assert_eq!(strip(&["($a)"]), ["$a"]);
        assert_eq!(strip(&["$a"]), ["$a"]);
    }
}
