//! The commands layer: one file per command. Only this layer and `cli` know clap: a
//! command turns its arguments into the plain options of the domain modules, runs the
//! pipeline, and picks the reporter (docs/architecture.md).

pub mod io;
pub mod lint;
pub mod logs;
pub mod parse;
pub mod rules;
pub mod verify;

use crate::cli::{Cli, Command};
use crate::error::{Error, exit};

/// Runs a parsed command line; returns the exit code.
pub fn run(cli: Cli) -> u8 {
    let result = match cli.command {
        Some(Command::Parse(args)) => parse::run(&args),
        Some(Command::Lint(args)) => lint::run(&args),
        Some(Command::Rules) => rules::list(),
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
