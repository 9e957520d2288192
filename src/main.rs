use std::process::ExitCode;

use clap::Parser;

/// Parsing allocates one small vector per directive and reading logs many short
/// strings; mimalloc does both with fewer instructions than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(message) = nginx_mtls_lint::commands::mistyped_command(&args) {
        eprintln!("{message}");
        return ExitCode::from(nginx_mtls_lint::exit::ERROR);
    }
    let cli = nginx_mtls_lint::cli::Cli::parse_from(args);
    ExitCode::from(nginx_mtls_lint::run(cli))
}
