//! Command-line interface: every clap definition, and nothing else. The commands layer
//! (`src/commands/`) turns these into the plain options of the domain modules.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::util::time::parse_time;

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
    Rules {
        /// `text` (aligned columns; the default on a terminal) or `markdown` (the
        /// README's table; the default otherwise).
        #[arg(long, value_enum)]
        format: Option<RulesFormat>,
    },
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
    Verify(VerifyArgs),
    /// Summarise what nginx logged about client certificates (access and error logs).
    Logs(LogsArgs),
    /// Build the CA bundle nginx needs (ssl_client_certificate) from certificates and
    /// directories: CAs only, each chain ordered up to its root, checked against the
    /// clients it must accept.
    Bundle(BundleArgs),
    /// Build the PKCS#12 a browser or OS keychain imports, from a client certificate,
    /// its key and chain.
    P12(P12Args),
    /// Ask the running server: what it asks for, which CA names it advertises, what a
    /// client gets, and (with --config) where it differs from the files on disk.
    Probe(ProbeArgs),
}

#[derive(Args, Debug, Clone)]
pub struct ProbeArgs {
    /// HOST[:PORT] (port 443 by default). A name is sent as SNI; an address is not.
    #[arg(value_name = "HOST[:PORT]", required_unless_present_any = ["targets", "as_upstream_of"])]
    pub target: Option<String>,
    /// Connect to the backend of a location of this configuration the way nginx does
    /// (its address, SNI, name check and client certificate), and say what nginx logs.
    #[arg(long, value_name = "NGINX_CONF", conflicts_with_all = ["target", "targets"])]
    pub as_upstream_of: Option<PathBuf>,
    /// With --as-upstream-of: the server (a server_name) whose location is used.
    #[arg(long, value_name = "NAME", requires = "as_upstream_of")]
    pub server: Option<String>,
    /// Probe every target of this file instead, one a line: `HOST[:PORT]
    /// [connect=ADDR:PORT] [sni=NAME] [host=NAME] [path=/uri]` (`#` comments).
    #[arg(long, value_name = "FILE", conflicts_with = "target")]
    pub targets: Option<PathBuf>,
    /// With --targets: how many probes run at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub jobs: usize,
    /// Connect to this address instead of resolving HOST (`127.0.0.1:8443`).
    #[arg(long, value_name = "ADDR:PORT")]
    pub connect: Option<String>,
    /// The name sent as SNI (default: HOST when it is a name).
    #[arg(long, value_name = "NAME", conflicts_with = "no_sni")]
    pub sni: Option<String>,
    /// Send no SNI.
    #[arg(long)]
    pub no_sni: bool,
    /// The HTTP Host header (default: the SNI, else HOST).
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// The request URI.
    #[arg(long, value_name = "URI", default_value = "/")]
    pub path: String,
    /// A client certificate to present as well (PEM, leaf first, then intermediates).
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,
    /// Its private key (PEM or DER, not encrypted). Never printed.
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// The configuration the server should be running: report each difference.
    #[arg(long, value_name = "NGINX_CONF")]
    pub config: Option<PathBuf>,
    /// Seconds for each connection (connect, handshake, answer).
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub timeout: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = VerifyFormat::Human)]
    pub format: VerifyFormat,
}

#[derive(Args, Debug, Clone)]
pub struct BundleArgs {
    /// Certificate files (PEM or DER) and directories holding them.
    #[arg(value_name = "CERT_OR_DIR", required = true)]
    pub inputs: Vec<PathBuf>,
    /// Where to write the bundle (`-` for stdout). Never an input.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// A client certificate that must chain to a root of the bundle (repeatable).
    #[arg(long, value_name = "FILE")]
    pub for_client: Vec<PathBuf>,
    /// CRL files (PEM or DER) to pick each CA's CRL from; written to --crl-out.
    #[arg(long, value_name = "FILE")]
    pub crl: Vec<PathBuf>,
    /// Where to write the CRLs of the bundle's CAs (for ssl_crl).
    #[arg(long, value_name = "FILE", requires = "crl")]
    pub crl_out: Option<PathBuf>,
    /// Warn when a CA expires within these many days (default 30,15,7).
    #[arg(long, value_name = "DAYS", value_delimiter = ',')]
    pub warn_days: Option<Vec<u32>>,
    /// Keep expired CAs (left out by default: nginx would reject their clients anyway).
    #[arg(long)]
    pub allow_expired: bool,
    /// The OpenSSL nginx runs with (which CAs need a CRL).
    #[arg(long, value_name = "X.Y")]
    pub openssl_version: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = VerifyFormat::Human)]
    pub format: VerifyFormat,
}

/// PKCS#12 encryption profiles.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum P12Profile {
    /// What OpenSSL 3 writes by default: AES-256-CBC with PBKDF2-SHA256, SHA-256 MAC.
    Modern,
    /// What older macOS keychains and Windows before 10 1709 import: PBE-SHA1-3DES,
    /// SHA-1 MAC (weaker; still read by OpenSSL 3 without -legacy).
    Compatible,
}

#[derive(Args, Debug, Clone)]
pub struct P12Args {
    /// The client certificate (PEM or DER; intermediates after it are kept).
    #[arg(long, value_name = "FILE")]
    pub cert: PathBuf,
    /// Its private key (PEM or DER, not encrypted). Never printed.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// More chain certificates (intermediates; found beside the certificate otherwise).
    #[arg(long, value_name = "FILE")]
    pub chain: Option<PathBuf>,
    /// Put the root in too (left out by default: the server has it).
    #[arg(long)]
    pub include_root: bool,
    /// The friendly name shown by the keychain (default: the certificate's CN).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The encryption profile.
    #[arg(long, value_enum)]
    pub profile: P12Profile,
    /// Where to write the archive. Never an input; not overwritten.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// The NAME of an environment variable holding the export password.
    #[arg(long, value_name = "VAR", conflicts_with = "generate_password")]
    pub password_env: Option<String>,
    /// Generate a strong password (from the OS random source): shown once on the
    /// terminal, or written to --password-file (created with mode 0600).
    #[arg(long)]
    pub generate_password: bool,
    /// With --generate-password: write the password to this new file (mode 0600).
    #[arg(long, value_name = "FILE", requires = "generate_password")]
    pub password_file: Option<PathBuf>,
    /// Warn when the certificate expires within these many days (default 30,15,7).
    #[arg(long, value_name = "DAYS", value_delimiter = ',')]
    pub warn_days: Option<Vec<u32>>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = VerifyFormat::Human)]
    pub format: VerifyFormat,
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
    /// Write the report to this file instead of stdout, atomically (a temporary file
    /// renamed over it: node_exporter never reads half a file).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
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
    /// The OpenSSL nginx runs with (`3.0` to `3.6`, `4.0`): it decides client
    /// verification and writes its reasons [default: the newest modelled, or the
    /// `openssl-version` of the settings file].
    #[arg(long, value_name = "X.Y")]
    pub openssl_version: Option<String>,
    /// The nginx binary to predict for: its `nginx -V` gives the nginx version and the
    /// OpenSSL it runs with (overridden by `--nginx-version`/`--openssl-version`).
    #[arg(long, value_name = "PATH")]
    pub nginx_binary: Option<PathBuf>,
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

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

fn parse_nginx_version(s: &str) -> Result<(u32, u32, u32), String> {
    crate::util::parse_version(s).ok_or_else(|| format!("not a version like 1.27.2: {s}"))
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
    /// Prometheus text: the expiry of every certificate and CRL the configuration uses,
    /// the findings per rule (for node_exporter's textfile collector, with `-o`).
    Prometheus,
}

#[derive(Args, Debug, Clone)]
pub struct VerifyArgs {
    /// The nginx configuration (nginx.conf, a site file, or `-` for `nginx -T` on stdin).
    #[arg(long, short = 'c', value_name = "PATH")]
    pub config: PathBuf,
    /// The configuration prefix relative paths resolve against (default: the
    /// directory of the main configuration).
    #[arg(long, short = 'p', value_name = "DIR")]
    pub prefix: Option<PathBuf>,
    /// The socket the client connects to (`127.0.0.1:443`, `443`); default: every
    /// socket with a server that requests client certificates.
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<String>,
    /// The server name the client sends in the TLS handshake (none by default).
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
    /// The HTTP Host header (default: the SNI).
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// The client certificate: PEM (leaf first, then intermediates, as curl --cert),
    /// DER, or PKCS#12 (.p12/.pfx). Without it: a client that sends no certificate.
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// The client's private key (checked against the certificate; never printed).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// The NAME of an environment variable holding the PKCS#12 password (never the
    /// password itself). Without it, a terminal prompt.
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Verify at this time instead of now (`2027-01-01`, `2027-01-01T12:00:00Z`, unix seconds).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub at: Option<i64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = VerifyFormat::Human)]
    pub format: VerifyFormat,
    /// The request URI after the handshake (the location is chosen for it).
    #[arg(long, value_name = "URI", default_value = "/")]
    pub path: String,
    /// The request method.
    #[arg(long, value_name = "METHOD", default_value = "GET")]
    pub method: String,
    /// The OpenSSL nginx runs with (`3.0` to `3.6`, `4.0`): it decides client
    /// verification and writes its reasons [default: the newest modelled, or the
    /// `openssl-version` of the settings file].
    #[arg(long, value_name = "X.Y")]
    pub openssl_version: Option<String>,
    /// The nginx binary to predict for: its `nginx -V` gives the nginx version and the
    /// OpenSSL it runs with (overridden by `--nginx-version`/`--openssl-version`).
    #[arg(long, value_name = "PATH")]
    pub nginx_binary: Option<PathBuf>,
    /// Predict nginx as the client of its backends (`proxy_ssl_*`, `grpc_ssl_*`,
    /// `uwsgi_ssl_*`, stream): for the location of `--server` and `--path`, or, with a
    /// NAME, every pass to that host or upstream group.
    #[arg(long, value_name = "NAME", num_args = 0..=1, default_missing_value = "")]
    pub upstream: Option<String>,
    /// With --upstream: the server whose locations are used (a server_name).
    #[arg(long, value_name = "NAME", requires = "upstream")]
    pub server: Option<String>,
    /// With --upstream: the backend's certificate and chain (PEM, leaf first).
    #[arg(long, value_name = "FILE", requires = "upstream")]
    pub peer_cert: Option<PathBuf>,
    /// With --upstream: the backend's CA file (its ssl_client_certificate), to judge
    /// the certificate nginx presents.
    #[arg(long, value_name = "FILE", requires = "upstream")]
    pub peer_ca: Option<PathBuf>,
    /// With --peer-ca: the backend's ssl_verify_depth.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub peer_depth: u32,
    /// With --peer-ca: the backend's ssl_verify_client (on, optional, optional_no_ca),
    /// or `require` for a backend that ends the handshake when it refuses nginx's
    /// certificate (openssl s_server -Verify, most servers other than nginx).
    #[arg(long, value_name = "MODE", default_value = "on")]
    pub peer_verify: String,
}

/// `verify`'s output formats.
/// `rules`' output formats.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RulesFormat {
    Text,
    Markdown,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyFormat {
    Human,
    Json,
}

/// Summarise what nginx logged about client certificates.
#[derive(Args, Debug, Clone)]
pub struct LogsArgs {
    /// Log files to read (plain or `.gz`), or `-` for stdin. Without files, the
    /// `access_log` and `error_log` paths declared by `--config` are read.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// nginx.conf: gives the `log_format` of each `access_log`, the log paths and the
    /// `error_log` level.
    #[arg(long, short = 'c', value_name = "NGINX_CONF")]
    pub config: Option<PathBuf>,
    /// nginx's prefix (its `-p`): relative log paths in the configuration are relative
    /// to it. Default: the parent of the configuration directory when that directory is
    /// called `conf` (nginx's own layout), else the configuration directory.
    #[arg(long, short = 'p', value_name = "DIR")]
    pub prefix: Option<PathBuf>,
    /// Use this `log_format` (by name, from `--config`, or `combined`) for every access log.
    #[arg(long, value_name = "NAME", conflicts_with = "log_format_string")]
    pub log_format: Option<String>,
    /// Use this format string (nginx `log_format` syntax) for every access log.
    #[arg(long, value_name = "FORMAT")]
    pub log_format_string: Option<String>,
    /// Escaping used by `--log-format-string` (nginx's `escape=`).
    #[arg(long, value_enum, default_value_t = Escape::Default, value_name = "MODE")]
    pub escape: Escape,
    /// Keep reading as lines arrive (like `tail -F`); print a summary every `--interval`.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Only count lines whose time is within this duration before `--at` (e.g. 90s, 15m,
    /// 1h, 2d).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_arg)]
    pub since: Option<std::time::Duration>,
    /// Summary interval for `--follow`, and time bucket size (e.g. 100ms, 10s, 1m).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration_arg)]
    pub interval: std::time::Duration,
    /// Size of the time buckets in the report (default: 1h in batch mode, `--interval`
    /// with `--follow`).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_arg)]
    pub bucket: Option<std::time::Duration>,
    /// Rows shown per table in the human report.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LogsFormat::Human)]
    pub format: LogsFormat,
    /// Treat every FILE as this kind of log instead of recognising it from its content.
    #[arg(long, value_enum)]
    pub kind: Option<LogKind>,
    /// Write the report to FILE (atomically: a temporary file in the same directory,
    /// then rename), e.g. for node_exporter's textfile collector.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The reference time for `--since` and certificate expiry ("now" by default):
    /// RFC 3339 (`2026-01-02T03:04:05Z`) or Unix seconds.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Most distinct client certificates / client addresses / servers kept (each);
    /// further ones are counted in an `(other)` row.
    #[arg(long, value_name = "N", default_value_t = crate::logs::aggregate::DEFAULT_TABLE_LIMIT)]
    pub limit: usize,
    /// Threads used for batch reading (default: the number of CPUs).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// `--follow`: keep reading a rotated (renamed or deleted) log until it has not grown
    /// for this long after the new file got data; old nginx workers of a graceful
    /// shutdown keep writing to it.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration_arg)]
    pub rotate_grace: std::time::Duration,
    /// A `.gz` log may expand at most this many times its compressed size (plus 16 MiB);
    /// past it reading that file stops with an error. Real logs compress 5 to 50 times.
    #[arg(long, value_name = "N", default_value_t = crate::logs::batch::DEFAULT_MAX_GZIP_RATIO)]
    pub max_gzip_ratio: u64,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogsFormat {
    Human,
    Json,
    Jsonl,
    Prometheus,
    /// One self-contained page (no script, no network): charts and tables, with `-o`.
    Html,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    Access,
    Error,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Escape {
    #[default]
    Default,
    Json,
    None,
}

fn parse_duration_arg(s: &str) -> Result<std::time::Duration, String> {
    crate::logs::time::parse_duration(s)
        .ok_or_else(|| format!("`{s}` is not a duration (examples: 500ms, 10s, 15m, 1h, 2d)"))
}
