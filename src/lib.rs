//! nginx-mtls-lint: lint nginx mutual-TLS configurations, predict what nginx does with a
//! client certificate, and summarise what nginx logged.

pub mod certs;
pub mod cli;
pub mod config;
pub mod logs;
pub mod model;
pub mod report;
pub mod rules;
pub mod settings;
pub mod verify;

use std::io::Write;

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
        let bytes =
            config::load::read_at_most(std::io::stdin().lock(), config::load::MAX_FILE_SIZE)
                .map_err(|e| Error::Input {
                    path: "<stdin>".into(),
                    message: config::load::os_error(&e),
                })?
                .ok_or_else(|| Error::Input {
                    path: "<stdin>".into(),
                    message: format!("more than {} bytes", config::load::MAX_FILE_SIZE),
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
        Some(Command::Rules) => print_rules(),
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "nginx-mtls-lint", &mut std::io::stdout());
            Ok(exit::CLEAN)
        }
        Some(Command::Man) => {
            let cmd = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd)
                .render(&mut std::io::stdout())
                .map(|_| exit::CLEAN)
                .map_err(Error::Output)
        }
        Some(Command::Rule { code }) => print_rule(&code),
        Some(Command::Verify(args)) => verify::run(&args),
        Some(Command::Logs(args)) => logs::run(&args),
        None => report::run_lint(&cli.lint),
    };
    match result {
        Ok(code) => code,
        // A reader that stops early (`| head`) is not an error.
        Err(Error::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => exit::CLEAN,
        Err(e) => {
            // Paths and messages can hold bytes from a file: no control character is sent.
            eprintln!(
                "nginx-mtls-lint: error: {}",
                report::printable(&e.to_string())
            );
            exit::ERROR
        }
    }
}

fn run_parse(args: &cli::ParseArgs) -> Result<u8, Error> {
    // One file alone (the common case, and the large one): its JSON is written while it
    // is parsed, with no tree. Anything else, and a file that cannot be read (for the
    // error message), goes through the loader.
    if args.single_file
        && let Some(path) = &args.input.path
        && path.as_os_str() != "-"
        && std::fs::canonicalize(path).is_ok()
        && let Ok(src) = config::load::read_file(path)
    {
        let payload = config::crossplane::stream(path.clone(), src, args.indent);
        return write_payload(&payload, args.indent);
    }
    let config = load_input(&args.input, args.single_file)?;
    let code = write_payload(&config::crossplane::payload(&config), args.indent);
    // The process ends here: freeing a large tree piece by piece only costs time.
    std::mem::forget(config);
    code
}

fn write_payload(
    payload: &config::crossplane::Payload,
    indent: Option<usize>,
) -> Result<u8, Error> {
    let stdout = std::io::stdout().lock();
    // Standard output is line-buffered: it looks for the last newline in everything
    // written to it, megabytes for a large configuration. A duplicate of its descriptor
    // writes to the same place without looking.
    #[cfg(unix)]
    let raw = std::os::fd::AsFd::as_fd(&stdout)
        .try_clone_to_owned()
        .map(std::fs::File::from);
    #[cfg(not(unix))]
    let raw: std::io::Result<std::fs::File> = Err(std::io::ErrorKind::Unsupported.into());
    let out: Box<dyn Write> = match raw {
        Ok(file) => Box::new(file),
        Err(_) => Box::new(stdout),
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    payload.write(indent, &mut out)?;
    writeln!(out)?;
    out.flush()?;
    Ok(if payload.status == "ok" {
        exit::CLEAN
    } else {
        exit::FINDINGS
    })
}

/// The rules table, as `nginx-mtls-lint rules` prints it.
pub fn rules_table() -> String {
    let mut out = String::from("| code | name | severity | what it finds |\n|---|---|---|---|\n");
    for r in rules::registry() {
        let i = r.info();
        out.push_str(&format!(
            "| [{}](#{}) | `{}` | {} | {} |\n",
            i.code,
            format!("{}-{}", i.code, i.name).to_ascii_lowercase(),
            i.name,
            i.severity.as_str(),
            i.summary()
        ));
    }
    out
}

/// The README's rules section: the table, then every rule's documentation.
pub fn rules_markdown() -> String {
    let mut out = rules_table();
    for r in rules::registry() {
        out.push('\n');
        // Rule docs start at "# CODE name"; in the README they sit two levels lower.
        for line in r.info().doc().lines() {
            if line.starts_with('#') && !line.starts_with("#!") {
                out.push_str("##");
            }
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn print_rules() -> Result<u8, Error> {
    let mut out = std::io::stdout().lock();
    out.write_all(rules_table().as_bytes())?;
    Ok(exit::CLEAN)
}

fn print_rule(code: &str) -> Result<u8, Error> {
    let wanted = code.to_ascii_uppercase();
    let found = rules::registry()
        .into_iter()
        .find(|r| r.info().code == wanted || r.info().name == code);
    match found {
        Some(r) => {
            std::io::stdout()
                .lock()
                .write_all(r.info().doc().as_bytes())?;
            Ok(exit::CLEAN)
        }
        None => Err(Error::Input {
            path: code.to_string(),
            message: "no such rule (see `nginx-mtls-lint rules`)".into(),
        }),
    }
}
