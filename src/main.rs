use std::process::ExitCode;

use clap::Parser;

/// Parsing allocates one small vector per directive and reading logs many short
/// strings; mimalloc does both with fewer instructions than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = nginx_mtls_lint::cli::Cli::parse();
    ExitCode::from(nginx_mtls_lint::run(cli))
}
