use std::process::ExitCode;

use clap::Parser;

/// Parsing allocates one small vector per directive and reading logs many short
/// strings; mimalloc does both with fewer instructions than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Short runs do without transparent huge pages; the command turns them back on for
/// large inputs (util::pages). This runs before `main`, and before the first
/// allocation: the Rust runtime allocates before `main`, and the allocator's first
/// pages, faulted in as huge pages, were 4 MiB of every run's memory.
extern "C" fn huge_pages_off() {
    nginx_mtls_lint::util::pages::choose(false);
}

#[used]
#[unsafe(link_section = ".init_array")]
static HUGE_PAGES_OFF: extern "C" fn() = huge_pages_off;

fn main() -> ExitCode {
    nginx_mtls_lint::util::timings::mark("main");
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(message) = nginx_mtls_lint::commands::mistyped_command(&args) {
        eprintln!("{message}");
        return ExitCode::from(nginx_mtls_lint::exit::ERROR);
    }
    let cli = nginx_mtls_lint::cli::Cli::parse_from(args);
    ExitCode::from(nginx_mtls_lint::run(cli))
}
