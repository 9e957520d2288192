//! The commands layer: one file per command. Only this layer and `cli` know clap: a
//! command turns its arguments into the plain options of the domain modules, runs the
//! pipeline, and picks the reporter (docs/architecture.md).

pub mod bundle;
pub mod io;
pub mod lint;
pub mod logs;
pub mod p12;
pub mod parse;
pub mod probe;
pub mod rules;
pub mod verify;

use crate::cli::{Cli, Command};
use crate::config::directives::edit_distance;
use crate::error::{Error, exit};

/// A first word that is no command, no option and no file, but close to a command
/// (`verfy`): the message that says so, instead of clap's reading of it as the PATH to
/// lint (which then suggests an option for the next word).
pub fn mistyped_command(args: &[std::ffi::OsString]) -> Option<String> {
    let first = args.get(1)?.to_str()?;
    if first.starts_with('-') || std::path::Path::new(first).exists() {
        return None;
    }
    let cmd = <Cli as clap::CommandFactory>::command();
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    if names.iter().any(|n| n == first) {
        return None;
    }
    let close = names
        .iter()
        .map(|n| (edit_distance(first.as_bytes(), n.as_bytes()), n))
        .filter(|(d, n)| *d <= 2 && *d < n.len())
        .min()?;
    Some(format!(
        "error: '{first}' is no command and no file: did you mean `nginx-mtls-lint {}`? (see `nginx-mtls-lint --help`)",
        close.1
    ))
}

/// Whether this run reads enough for transparent huge pages to pay (see util::pages):
/// `parse` of one large file, `logs` of large files, of standard input or of the logs a
/// configuration names (of unknown length, most often large ones). `logs --follow`
/// runs for long, on little at a time: without.
fn wants_huge_pages(cli: &Cli) -> bool {
    use crate::util::pages::{HUGE_INPUT, input_size};
    match &cli.command {
        Some(Command::Parse(a)) => a
            .input
            .path
            .as_deref()
            .is_some_and(|p| input_size([p]) >= HUGE_INPUT),
        Some(Command::Logs(a)) => {
            !a.follow
                && (a.files.is_empty()
                    || a.files.iter().any(|f| f.as_os_str() == "-")
                    || input_size(a.files.iter().map(std::path::PathBuf::as_path)) >= HUGE_INPUT)
        }
        _ => false,
    }
}

/// Runs a parsed command line; returns the exit code.
pub fn run(cli: Cli) -> u8 {
    crate::util::pages::choose(wants_huge_pages(&cli));
    let result = match cli.command {
        Some(Command::Parse(args)) => parse::run(&args),
        Some(Command::Lint(args)) => lint::run(&args),
        Some(Command::Rules { format }) => rules::list(format),
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
        Some(Command::Rule { code }) => rules::show(&code),
        Some(Command::Verify(args)) => verify::run(&args),
        Some(Command::Logs(args)) => logs::run(&args),
        Some(Command::Bundle(args)) => bundle::run(&args),
        Some(Command::P12(args)) => p12::run(&args),
        Some(Command::Probe(args)) => probe::run(&args),
        None => lint::run(&cli.lint),
    };
    match result {
        Ok(code) => code,
        // A reader that stops early (`| head`) is not an error.
        Err(Error::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => exit::CLEAN,
        Err(e) => {
            // Paths and messages can hold bytes from a file: no control character is sent.
            eprintln!(
                "nginx-mtls-lint: error: {}",
                crate::report::printable(&e.to_string())
            );
            exit::ERROR
        }
    }
}
