//! Phase timings for whoever measures the tool: with `NGINX_MTLS_LINT_TIMINGS=1` in the
//! environment, each phase of a run (and each rule) prints its wall time to standard
//! error. Nothing is printed otherwise, and the output on standard output never changes.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("NGINX_MTLS_LINT_TIMINGS").is_some_and(|v| v == "1"))
}

/// Runs `f`, and prints how long it took under `name` when timings are on.
pub fn phase<T>(name: &str, f: impl FnOnce() -> T) -> T {
    if !enabled() {
        return f();
    }
    let start = Instant::now();
    let out = f();
    eprintln!(
        "timing {name}: {:.3} ms, RSS {}",
        start.elapsed().as_secs_f64() * 1e3,
        rss_kib()
    );
    out
}

/// The resident set size now, with its anonymous and file-backed parts (the binary's
/// own pages), from /proc (empty where there is none).
fn rss_kib() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().trim_end_matches(" kB").to_string())
            .unwrap_or_default()
    };
    format!(
        "{} KiB (anonymous {}, file {})",
        field("VmRSS:"),
        field("RssAnon:"),
        field("RssFile:")
    )
}

/// Prints the resident set size at a point of the run, when timings are on.
pub fn mark(name: &str) {
    if enabled() {
        eprintln!("timing {name}: RSS {}", rss_kib());
    }
}
