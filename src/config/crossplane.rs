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
pub struct Payload<'a> {
    pub status: &'static str,
    pub errors: Vec<PayloadError>,
    pub config: Vec<FileEntry<'a>>,
}

#[derive(Serialize, Debug)]
pub struct PayloadError {
    pub file: String,
    pub error: String,
    pub line: Option<usize>,
}

#[derive(Serialize, Debug)]
pub struct FileEntry<'a> {
    pub file: String,
    pub status: &'static str,
    pub errors: Vec<FileError>,
    pub parsed: Stmts<'a>,
}

#[derive(Serialize, Debug)]
pub struct FileError {
    pub error: String,
    pub line: Option<usize>,
}

/// The statements of one block, serialised straight from the tree.
pub struct Stmts<'a> {
    config: &'a Config,
    list: &'a [Directive],
}

impl std::fmt::Debug for Stmts<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Stmts({} directives)", self.list.len())
    }
}

struct Stmt<'a> {
    config: &'a Config,
    d: &'a Directive,
}

struct Args<'a>(&'a Directive);

impl Serialize for Args<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is("if") {
            let mut args: Vec<String> = self
                .0
                .args
                .iter()
                .map(|a| a.as_str().into_owned())
                .collect();
            strip_if_parens(&mut args);
            return args.serialize(s);
        }
        s.collect_seq(self.0.args.iter().map(|a| a.as_str()))
    }
}

impl Serialize for Stmt<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let d = self.d;
        let includes = self.config.includes.get(&d.span);
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("directive", &d.name.as_str())?;
        let line = self.config.sources.get(d.span.file).line(d.name.span.start);
        m.serialize_entry("line", &line)?;
        m.serialize_entry("args", &Args(d))?;
        if let Some(t) = includes {
            m.serialize_entry("includes", &t.iter().map(|f| f.0).collect::<Vec<_>>())?;
        }
        if let Some(b) = &d.block {
            m.serialize_entry(
                "block",
                &Stmts {
                    config: self.config,
                    list: &b.directives,
                },
            )?;
        }
        m.end()
    }
}

impl Serialize for Stmts<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.list.iter().map(|d| Stmt {
            config: self.config,
            d,
        }))
    }
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

/// The crossplane payload of a loaded configuration.
pub fn payload(config: &Config) -> Payload<'_> {
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
            parsed: Stmts {
                config,
                list: &parse.directives,
            },
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
