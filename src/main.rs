use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = nginx_mtls_lint::cli::Cli::parse();
    ExitCode::from(nginx_mtls_lint::run(cli))
}
