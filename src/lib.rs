//! nginx-mtls-lint: lint nginx mutual-TLS configurations, predict what nginx does with a
//! client certificate, and summarise what nginx logged.

pub mod cli;
pub mod config;
pub mod logs;
pub mod report;
pub mod rules;

use std::io::{Read, Write};

use cli::{Cli, Command, InputArgs};
use config::{Config, Input, LoadOptions};

/// Exit codes, as every linter uses them.
pub mod exit {
    /// No findings at or above the failing severity.
    pub const CLEAN: u8 = 0;
    /// Findings at or above the failing severity.
    pub const FINDINGS: u8 = 1;
    /// Usage or I/O error.
    pub const ERROR: u8 = 2;
}

/// An error that stops a command: printed on stderr, exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {message}")]
    Input { path: String, message: String },
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

/// Reads the configuration named on the command line.
pub fn load_input(args: &InputArgs, single_file: bool) -> Result<Config, Error> {
    let path = args.path.clone().unwrap_or_default();
    let opts = LoadOptions {
        prefix: args.prefix.clone(),
        single_file,
    };
    let input = if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Error::Input {
                path: "<stdin>".into(),
                message: config::load::os_error(&e),
            })?;
        Input::Stdin(bytes)
    } else if path.is_dir() {
        Input::Dir(path.clone())
    } else {
        Input::File(path.clone())
    };
    let config = config::load(&input, &opts);
    if let Some(e) = config
        .errors
        .iter()
        .find(|e| e.kind == config::LoadErrorKind::Input)
        && config.roots.is_empty()
    {
        return Err(Error::Input {
            path: e.path.display().to_string(),
            message: e.message.clone(),
        });
    }
    Ok(config)
}

/// Runs a parsed command line; returns the exit code.
pub fn run(cli: Cli) -> u8 {
    let result = match cli.command {
        Some(Command::Parse(args)) => run_parse(&args),
        Some(Command::Lint(args)) => report::run_lint(&args),
        Some(Command::Logs(args)) => logs::run(&args),
        None => report::run_lint(&cli.lint),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("nginx-mtls-lint: error: {e}");
            exit::ERROR
        }
    }
}

fn run_parse(args: &cli::ParseArgs) -> Result<u8, Error> {
    let config = load_input(&args.input, args.single_file)?;
    let payload = config::crossplane::payload(&config);
    let mut out = std::io::stdout().lock();
    match args.indent {
        Some(n) => {
            let indent = vec![b' '; n];
            let fmt = serde_json::ser::PrettyFormatter::with_indent(&indent);
            let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
            serde::Serialize::serialize(&payload, &mut ser).map_err(std::io::Error::other)?;
        }
        None => serde_json::to_writer(&mut out, &payload).map_err(std::io::Error::other)?,
    }
    writeln!(out)?;
    Ok(if payload.status == "ok" {
        exit::CLEAN
    } else {
        exit::FINDINGS
    })
}
