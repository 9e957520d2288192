//! Command-line interface: clap definitions and their conversion to library settings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "nginx-mtls-lint",
    version,
    about = "Lint nginx mutual-TLS (client certificate) configurations",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub lint: LintArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Lint a configuration (the default command).
    Lint(LintArgs),
    /// Print the parsed configuration as crossplane-compatible JSON.
    Parse(ParseArgs),
    /// List every rule.
    Rules,
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff).
    Man,
    /// Print a rule's documentation (e.g. `rule MTLS101` or `rule verify-depth-too-small`).
    Rule {
        /// The rule's code or name.
        code: String,
    },
    /// Predict what nginx does with a client certificate, server by server.
    Verify(crate::verify::VerifyArgs),
    /// Summarise what nginx logged about client certificates (access and error logs).
    Logs(crate::logs::LogsArgs),
}

#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// nginx.conf, a directory of site files (sites-available/), or `-` for an
    /// `nginx -T` dump on stdin.
    #[arg(value_name = "PATH", required = true)]
    pub path: Option<PathBuf>,
    /// The configuration prefix that relative paths are resolved against (default: the
    /// directory of the main configuration).
    #[arg(long, short = 'p', value_name = "DIR")]
    pub prefix: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct LintArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Judge certificate and CRL validity at this time instead of now
    /// (`2027-01-01`, `2027-01-01T12:00:00Z` or unix seconds).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub at: Option<i64>,
    /// Expiry warning windows in days [default: 30,15,7].
    #[arg(long, value_name = "DAYS", value_delimiter = ',')]
    pub warn_days: Option<Vec<u32>>,
    /// The nginx version to assume (behaviour changed in 1.27.2) [default: the newest].
    #[arg(long, value_name = "X.Y.Z", value_parser = parse_nginx_version)]
    pub nginx_version: Option<(u32, u32, u32)>,
    /// Exit 1 when there are findings at or above this severity [default: error].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Only these rules: codes (MTLS104), families (MTLS1) or names; comma-separated.
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub select: Vec<String>,
    /// Leave out these rules: codes, families or names; comma-separated.
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Change a rule's severity, e.g. `MTLS113=warning` (repeatable).
    #[arg(long = "severity", value_name = "RULE=LEVEL")]
    pub severities: Vec<String>,
    /// Settings file (default: the nearest `.nginx-mtls-lint.toml` above the linted path).
    #[arg(long, value_name = "FILE")]
    pub config_file: Option<PathBuf>,
    /// Ignore every settings file.
    #[arg(long, conflicts_with = "config_file")]
    pub no_config_file: bool,
    /// Colour: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, value_enum, default_value_t = Colour::Auto)]
    pub color: Colour,
    /// Print findings only: no summary line.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Also print, on stderr, the files read and the settings in effect.
    #[arg(long, short = 'v', conflicts_with = "quiet")]
    pub verbose: bool,
    /// Check this client certificate (PEM, DER or PKCS#12) against every mTLS server
    /// (rules MTLS3xx). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub client_cert: Vec<PathBuf>,
    /// The private key of the `--client-cert` at the same position. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub client_key: Vec<PathBuf>,
    /// The NAME of an environment variable holding the PKCS#12 password of the client
    /// certificates (never the password itself).
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    Auto,
    Always,
    Never,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

fn parse_nginx_version(s: &str) -> Result<(u32, u32, u32), String> {
    crate::rules::support::parse_version(s).ok_or_else(|| format!("not a version like 1.27.2: {s}"))
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2027-01-01`, `2027-01-01T12:00:00Z` (or with a space) or unix seconds.
pub fn parse_time(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n);
    }
    let bad = || format!("not a date like 2027-01-01 or 2027-01-01T12:00:00Z: {s}");
    let (date, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t.trim_end_matches('Z'))),
        None => (s, None),
    };
    let p: Vec<i64> = date
        .split('-')
        .map(|x| x.parse().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let [y, m, d] = p[..] else { return Err(bad()) };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    let mut secs = days_from_civil(y, m, d) * 86_400;
    if let Some(t) = time {
        let hms: Vec<i64> = t
            .split(':')
            .map(|x| x.parse().map_err(|_| bad()))
            .collect::<Result<_, _>>()?;
        let h = hms.first().copied().unwrap_or(0);
        let mi = hms.get(1).copied().unwrap_or(0);
        let se = hms.get(2).copied().unwrap_or(0);
        secs += h * 3600 + mi * 60 + se;
    }
    Ok(secs)
}

#[derive(Args, Debug, Clone)]
pub struct ParseArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Parse only the given file; do not follow includes.
    #[arg(long)]
    pub single_file: bool,
    /// Indent the JSON output by this many spaces (default: compact).
    #[arg(long, value_name = "N")]
    pub indent: Option<usize>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    /// SARIF 2.1.0, for code scanning (GitHub, GitLab, Azure DevOps).
    Sarif,
    /// GitHub Actions workflow commands (`::error file=...`), shown as annotations.
    Github,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("1970-01-02"), Ok(86_400));
        assert_eq!(parse_time("2027-01-01T00:00:01Z"), Ok(1_798_761_601));
        assert_eq!(parse_time("12"), Ok(12));
        assert!(parse_time("2027-13-01").is_err());
    }
}
