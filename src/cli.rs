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
}
