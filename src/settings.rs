//! Lint settings: the command line over a `.nginx-mtls-lint.toml` file (the nearest one
//! above the linted path, or `--config-file`), over the defaults.
//!
//! ```toml
//! select = ["MTLS1", "MTLS2"]
//! ignore = ["MTLS118"]
//! fail-on = "warning"
//! warn-days = [60, 30, 7]
//! nginx-version = "1.26.2"
//! prefix = "/etc/nginx"
//! extra-directives = ["more_set_headers"]
//! [severity]
//! MTLS113 = "warning"
//! [per-path-ignores]
//! "conf.d/legacy-*.conf" = ["MTLS110", "MTLS118"]
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::Error;
use crate::rules::{Finding, Location, RuleInfo, Severity, registry};

/// From which severity on findings make the run fail (exit 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

/// What the command line says, over the settings file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// The linted path (`-`: stdin); the settings file is looked for above it.
    pub path: Option<PathBuf>,
    pub prefix: Option<PathBuf>,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    /// `RULE=LEVEL` pairs.
    pub severities: Vec<String>,
    pub fail_on: Option<FailOn>,
    pub warn_days: Option<Vec<u32>>,
    pub nginx_version: Option<(u32, u32, u32)>,
    pub config_file: Option<PathBuf>,
    pub no_config_file: bool,
}

/// The settings file's name.
pub const FILE_NAME: &str = ".nginx-mtls-lint.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct FileSettings {
    select: Option<Vec<String>>,
    ignore: Option<Vec<String>>,
    fail_on: Option<FailOn>,
    warn_days: Option<Vec<u32>>,
    nginx_version: Option<String>,
    openssl_version: Option<String>,
    prefix: Option<PathBuf>,
    #[serde(default)]
    extra_directives: Vec<String>,
    #[serde(default)]
    severity: BTreeMap<String, String>,
    #[serde(default)]
    per_path_ignores: BTreeMap<String, Vec<String>>,
}

/// Settings in effect for one run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The settings file used, if any.
    pub file: Option<PathBuf>,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub severity: BTreeMap<&'static str, Severity>,
    /// (pattern, rules) relative to the settings file's directory.
    pub per_path_ignores: Vec<(glob::Pattern, Vec<String>)>,
    pub fail_on: FailOn,
    pub warn_days: Vec<u32>,
    pub nginx_version: Option<(u32, u32, u32)>,
    /// `openssl-version` (checked where it is used).
    pub openssl_version: Option<String>,
    pub prefix: Option<PathBuf>,
    /// Directives of third-party modules, not checked (MTLS006).
    pub extra_directives: Vec<String>,
}

fn bad(path: &Path, message: String) -> Error {
    Error::Input {
        path: path.display().to_string(),
        message,
    }
}

/// Whether a selector (code, family prefix such as `MTLS1`, or name) picks a rule.
pub fn matches(selector: &str, rule: &RuleInfo) -> bool {
    let s = selector.trim();
    rule.name == s || (!s.is_empty() && rule.code.starts_with(&s.to_ascii_uppercase()))
}

fn check_selectors(list: &[String], origin: &Path) -> Result<(), Error> {
    for s in list {
        if !registry().iter().any(|r| matches(s, r.info())) {
            return Err(bad(
                origin,
                format!("no rule matches \"{s}\" (see `nginx-mtls-lint rules`)"),
            ));
        }
    }
    Ok(())
}

fn parse_level(s: &str) -> Option<Severity> {
    match s.to_ascii_lowercase().as_str() {
        "error" => Some(Severity::Error),
        "warning" => Some(Severity::Warning),
        "info" => Some(Severity::Info),
        _ => None,
    }
}

/// Finds the settings file for a linted path: `.nginx-mtls-lint.toml` in its directory
/// or the nearest one above.
pub fn discover(start: &Path) -> Option<PathBuf> {
    let start = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
    let mut dir = if start.is_dir() {
        Some(start.as_path())
    } else {
        start.parent()
    };
    while let Some(d) = dir {
        let candidate = d.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        dir = d.parent();
    }
    None
}

impl Settings {
    /// Merges the command line over the settings file over the defaults.
    pub fn resolve(args: &Overrides) -> Result<Settings, Error> {
        let file = if args.no_config_file {
            None
        } else if let Some(f) = &args.config_file {
            Some(f.clone())
        } else {
            let path = args.path.clone().unwrap_or_default();
            let start = if path.as_os_str() == "-" || path.as_os_str().is_empty() {
                std::env::current_dir().unwrap_or_default()
            } else {
                path
            };
            discover(&start)
        };
        let fs: FileSettings = match &file {
            Some(f) => {
                let text = std::fs::read_to_string(f)
                    .map_err(|e| bad(f, crate::util::read::os_error(&e)))?;
                toml::from_str(&text).map_err(|e| bad(f, e.to_string().trim().to_string()))?
            }
            None => FileSettings::default(),
        };
        let origin = file
            .clone()
            .unwrap_or_else(|| PathBuf::from("<command line>"));
        let base = file
            .as_ref()
            .and_then(|f| f.parent().map(Path::to_path_buf))
            .map(|d| {
                let d = if d.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    d
                };
                std::fs::canonicalize(&d).unwrap_or(d)
            })
            .unwrap_or_default();
        let select = if args.select.is_empty() {
            fs.select.unwrap_or_default()
        } else {
            args.select.clone()
        };
        let mut ignore = fs.ignore.unwrap_or_default();
        ignore.extend(args.ignore.iter().cloned());
        check_selectors(&select, &origin)?;
        check_selectors(&ignore, &origin)?;
        let mut severity = BTreeMap::new();
        let pairs = fs
            .severity
            .into_iter()
            .chain(args.severities.iter().filter_map(|s| {
                s.split_once('=')
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .or(Some((s.clone(), String::new())))
            }));
        for (rule, level) in pairs {
            let Some(level) = parse_level(&level) else {
                return Err(bad(
                    &origin,
                    format!("severity for {rule} must be error, warning or info, not \"{level}\""),
                ));
            };
            let mut any = false;
            for r in registry() {
                if matches(&rule, r.info()) {
                    severity.insert(r.info().code, level);
                    any = true;
                }
            }
            if !any {
                return Err(bad(&origin, format!("no rule matches \"{rule}\"")));
            }
        }
        let mut per_path_ignores = Vec::new();
        for (pattern, rules) in fs.per_path_ignores {
            check_selectors(&rules, &origin)?;
            let full = base.join(&pattern);
            let p = glob::Pattern::new(&full.to_string_lossy())
                .map_err(|e| bad(&origin, format!("bad pattern \"{pattern}\": {}", e.msg)))?;
            per_path_ignores.push((p, rules));
        }
        let nginx_version = match (args.nginx_version, fs.nginx_version) {
            (Some(v), _) => Some(v),
            (None, Some(s)) => Some(crate::util::parse_version(&s).ok_or_else(|| {
                bad(
                    &origin,
                    format!("nginx-version must look like 1.27.2, not \"{s}\""),
                )
            })?),
            (None, None) => None,
        };
        Ok(Settings {
            file,
            select,
            ignore,
            severity,
            per_path_ignores,
            fail_on: args.fail_on.or(fs.fail_on).unwrap_or(FailOn::Error),
            warn_days: args
                .warn_days
                .clone()
                .or(fs.warn_days)
                .unwrap_or_else(|| vec![30, 15, 7]),
            nginx_version,
            openssl_version: fs.openssl_version,
            extra_directives: fs.extra_directives,
            prefix: args
                .prefix
                .clone()
                .or_else(|| fs.prefix.map(|p| base.join(p))),
        })
    }

    /// Whether the selection keeps a rule.
    pub fn enabled(&self, rule: &RuleInfo) -> bool {
        (self.select.is_empty() || self.select.iter().any(|s| matches(s, rule)))
            && !self.ignore.iter().any(|s| matches(s, rule))
    }

    /// Applies selection, per-path ignores and severity overrides to findings.
    pub fn apply(&self, config: &crate::config::Config, findings: Vec<Finding>) -> Vec<Finding> {
        let infos: Vec<&'static RuleInfo> = registry().iter().map(|r| r.info()).collect();
        findings
            .into_iter()
            .filter(|f| {
                let Some(info) = infos.iter().find(|i| i.code == f.code) else {
                    return true;
                };
                if !self.enabled(info) {
                    return false;
                }
                if self.per_path_ignores.is_empty() {
                    return true;
                }
                let path = match &f.location {
                    Location::Span(s) => config.sources.path(s.file).to_path_buf(),
                    Location::File(p) => p.clone(),
                };
                let abs = std::fs::canonicalize(&path).unwrap_or(path);
                !self.per_path_ignores.iter().any(|(p, rules)| {
                    p.matches_path(&abs) && rules.iter().any(|r| matches(r, info))
                })
            })
            .map(|mut f| {
                if let Some(s) = self.severity.get(f.code) {
                    f.severity = *s;
                }
                f
            })
            .collect()
    }
}
