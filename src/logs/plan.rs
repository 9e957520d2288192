//! Which files to read, of which kind, with which `log_format`: from the command line
//! and from the nginx configuration.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::directives::ERROR_LOG_LEVELS as LEVELS;
use crate::config::{self, Input, LoadOptions};
use crate::error::Error;
use crate::logs::format::{Escape, LogFormat};
use crate::logs::options::{Kind, Options};

/// A log file to read.
#[derive(Clone, Debug)]
pub struct FileSpec {
    /// `None`: stdin.
    pub path: Option<PathBuf>,
    /// Forced (`--kind`) or known from the configuration.
    pub kind: Option<Kind>,
    /// The format for access logs (`None`: choose from the content).
    pub format: Option<LogFormat>,
}

impl FileSpec {
    pub fn display(&self) -> String {
        self.path
            .as_ref()
            .map_or_else(|| "<stdin>".to_string(), |p| p.display().to_string())
    }
}

/// What the configuration says about logging.
#[derive(Clone, Debug, Default)]
pub struct ConfigLogs {
    pub formats: BTreeMap<String, LogFormat>,
    /// access_log path -> format name.
    pub access: Vec<(PathBuf, String)>,
    /// error_log path -> level.
    pub error: Vec<(PathBuf, String)>,
    pub hints: Vec<String>,
}

/// The prefix relative log paths are resolved against (nginx's `-p`).
fn log_prefix(args: &Options, conf: &Path) -> PathBuf {
    if let Some(p) = &args.prefix {
        return p.clone();
    }
    let dir = conf
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if dir.file_name().is_some_and(|n| n == "conf")
        && let Some(parent) = dir.parent()
    {
        return parent.to_path_buf();
    }
    dir.to_path_buf()
}

fn resolve(prefix: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        prefix.join(p)
    }
}

/// Reads `log_format`, `access_log` and `error_log` from the configuration.
pub fn read_config(args: &Options, conf: &Path) -> Result<ConfigLogs, Error> {
    let cfg = config::load(&Input::File(conf.to_path_buf()), &LoadOptions::default());
    if cfg.roots.is_empty() {
        let message = cfg.errors.first().map_or_else(
            || "cannot read the configuration".to_string(),
            |e| e.message.clone(),
        );
        return Err(Error::Input {
            path: conf.display().to_string(),
            message,
        });
    }
    let prefix = log_prefix(args, conf);
    let mut out = ConfigLogs::default();
    for e in cfg.syntax_errors() {
        out.hints.push(format!(
            "{}: {} (nginx would not start; log_format, access_log and error_log after it may be missing here)",
            cfg.sources.location(e.span),
            e.message
        ));
    }
    for e in cfg.errors.iter().filter(|e| e.span.is_some()) {
        out.hints.push(format!(
            "{} (its access_log and error_log are not read)",
            e.message
        ));
    }
    let mut main_error_log = false;
    let mut has_http = false;
    let mut used_relative = false;
    cfg.walk(&mut |v| {
        let d = v.directive;
        let name = d.name.as_str();
        let args: Vec<String> = d.args.iter().map(|a| a.as_str().into_owned()).collect();
        match name.as_ref() {
            "http" => has_http = true,
            "log_format" if !args.is_empty() => {
                let mut rest = &args[1..];
                let mut escape = Escape::Default;
                if let Some(e) = rest.first().and_then(|a| a.strip_prefix("escape=")) {
                    escape = match e {
                        "json" => Escape::Json,
                        "none" => Escape::None,
                        _ => Escape::Default,
                    };
                    rest = &rest[1..];
                }
                let src: String = rest.concat();
                out.formats
                    .insert(args[0].clone(), LogFormat::new(&args[0], escape, &src));
            }
            "access_log" if !args.is_empty() => {
                let p = &args[0];
                if p == "off" || p.starts_with("syslog:") {
                } else if p.contains('$') {
                    out.hints.push(format!(
                        "access_log {p}: the path has variables; pass the files it expands to on the command line"
                    ));
                } else {
                    let fmt = args.get(1).cloned().unwrap_or_else(|| "combined".into());
                    used_relative |= Path::new(p).is_relative();
                    let path = resolve(&prefix, p);
                    if !out.access.iter().any(|(q, _)| *q == path) {
                        out.access.push((path, fmt));
                    }
                }
            }
            "error_log" if !args.is_empty() => {
                let p = &args[0];
                let level = args.get(1).cloned().unwrap_or_else(|| "error".into());
                if v.parents.is_empty() {
                    main_error_log = true;
                }
                if p == "stderr" || p.starts_with("syslog:") || p.starts_with("memory:") {
                    return;
                }
                used_relative |= Path::new(p).is_relative();
                let path = resolve(&prefix, p);
                if !out.error.iter().any(|(q, _)| *q == path) {
                    out.error.push((path, level));
                }
            }
            _ => {}
        }
    });
    if args.prefix.is_none() && used_relative {
        out.hints.push(format!(
            "relative log paths were resolved against {} (a guess: nginx resolves them against its prefix, `nginx -V` shows --prefix=...); pass --prefix if that is wrong",
            prefix.display()
        ));
    }
    if !main_error_log {
        out.error
            .push((prefix.join("logs/error.log"), "error".to_string()));
        out.hints.push(format!(
            "{}: no error_log in the main context; nginx uses its built-in path (see `nginx -V`, --error-log-path) at level error",
            conf.display()
        ));
    }
    if has_http && out.access.is_empty() {
        out.access
            .push((prefix.join("logs/access.log"), "combined".to_string()));
    }
    for (p, level) in &out.error {
        let rank = LEVELS
            .iter()
            .position(|l| *l == level.as_str())
            .unwrap_or(4);
        if rank > 1 {
            out.hints.push(format!(
                "error_log {} is at level `{level}`: nginx writes client-certificate messages (no required SSL certificate, verify errors) at `info`, so they are not in this log; use `error_log {} info;` to see them",
                p.display(),
                p.display()
            ));
        }
    }
    Ok(out)
}

/// Whether `file` is `declared` or one of its rotations (`access.log.1`, `.2.gz`, `-2025...`).
fn is_rotation_of(file: &Path, declared: &Path) -> bool {
    if file == declared {
        return true;
    }
    let (Some(f), Some(d)) = (file.file_name(), declared.file_name()) else {
        return false;
    };
    let (f, d) = (f.to_string_lossy(), d.to_string_lossy());
    f.len() > d.len()
        && f.starts_with(d.as_ref())
        && matches!(f.as_bytes()[d.len()], b'.' | b'-' | b'_')
}

/// Builds the list of files to read.
pub fn plan(args: &Options, cl: Option<&ConfigLogs>) -> Result<Vec<FileSpec>, Error> {
    let forced = if let Some(s) = &args.log_format_string {
        Some(LogFormat::new("(command line)", args.escape, s))
    } else if let Some(name) = &args.log_format {
        match cl.and_then(|c| c.formats.get(name)) {
            Some(f) => Some(f.clone()),
            None if name == "combined" => Some(LogFormat::combined()),
            None => {
                return Err(Error::Input {
                    path: args
                        .config
                        .as_ref()
                        .map_or_else(|| "--log-format".into(), |p| p.display().to_string()),
                    message: format!(
                        "no log_format `{name}` (defined: {})",
                        cl.map_or_else(
                            || "only `combined` without --config".to_string(),
                            |c| std::iter::once("combined".to_string())
                                .chain(c.formats.keys().cloned())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    ),
                });
            }
        }
    } else {
        None
    };
    let format_named = |name: &str| -> LogFormat {
        cl.and_then(|c| c.formats.get(name))
            .cloned()
            .unwrap_or_else(LogFormat::combined)
    };
    let mut out = Vec::new();
    if args.files.is_empty() {
        let Some(c) = cl else {
            return Err(Error::Input {
                path: "<command line>".into(),
                message: "no log files given: name FILEs, `-` for stdin, or --config to read the logs the configuration declares".into(),
            });
        };
        for (p, f) in &c.access {
            out.push(FileSpec {
                path: Some(p.clone()),
                kind: Some(args.kind.unwrap_or(Kind::Access)),
                format: Some(forced.clone().unwrap_or_else(|| format_named(f))),
            });
        }
        for (p, _) in &c.error {
            out.push(FileSpec {
                path: Some(p.clone()),
                kind: Some(args.kind.unwrap_or(Kind::Error)),
                format: None,
            });
        }
        return Ok(out);
    }
    for f in &args.files {
        let path = (f.as_os_str() != "-").then(|| f.clone());
        let mut spec = FileSpec {
            path: path.clone(),
            kind: args.kind,
            format: forced.clone(),
        };
        if let (Some(c), Some(p)) = (cl, &path) {
            if let Some((_, name)) = c.access.iter().find(|(d, _)| is_rotation_of(p, d)) {
                spec.kind = spec.kind.or(Some(Kind::Access));
                if spec.format.is_none() {
                    spec.format = Some(format_named(name));
                }
            } else if spec.kind.is_none() && c.error.iter().any(|(d, _)| is_rotation_of(p, d)) {
                spec.kind = Some(Kind::Error);
            }
        }
        out.push(spec);
    }
    Ok(out)
}

/// The formats worth trying on an access log whose format is not known.
pub fn candidates(cl: Option<&ConfigLogs>) -> Vec<LogFormat> {
    let mut v: Vec<LogFormat> = cl
        .map(|c| c.formats.values().cloned().collect())
        .unwrap_or_default();
    v.push(LogFormat::combined());
    v
}
