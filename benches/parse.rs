//! Parser throughput: `cargo bench --bench parse -- FILE [ITERATIONS]`.
//! Prints MB/s for tokenizing + building the tree (no output), for the tree written as
//! crossplane JSON (the path of a configuration with includes), and for the JSON
//! written while parsing (the path of `parse --single-file`).
//! `cargo bench --bench parse -- FILE ITERATIONS tree` times the tree only (for
//! profiling).

use std::time::Instant;

use nginx_mtls_lint::config::{FileId, Input, LoadOptions, crossplane, load, parse};

/// The same allocator as the binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let Some(path) = args.first() else {
        eprintln!("usage: cargo bench --bench parse -- FILE [ITERATIONS]");
        std::process::exit(2);
    };
    let iterations: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10);
    let src = match std::fs::read(path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    };
    let mb = src.len() as f64 / 1e6;
    let (best, tree) = best_of(iterations, || parse(&src, FileId(0)));
    let directives = tree.directives.len();
    println!(
        "parse (tree only): {mb:.1} MB in {:.1} ms, {:.0} MB/s ({directives} top-level directives)",
        best * 1e3,
        mb / best
    );
    if args.get(2).is_some_and(|a| a == "tree") {
        return;
    }
    let (best, _) = best_of(iterations, || {
        let c = load(
            &Input::File(path.into()),
            &LoadOptions {
                single_file: true,
                ..Default::default()
            },
        );
        crossplane::payload(&c).to_vec(None)
    });
    println!(
        "parse + crossplane JSON from the tree: {mb:.1} MB in {:.1} ms, {:.0} MB/s",
        best * 1e3,
        mb / best
    );
    let (best, _) = best_of(iterations, || {
        crossplane::stream(path.into(), src.clone(), None).to_vec(None)
    });
    println!(
        "parse + crossplane JSON streamed (parse --single-file): {mb:.1} MB in {:.1} ms, {:.0} MB/s",
        best * 1e3,
        mb / best
    );
}

/// The best wall time of `n` runs of `f`, in seconds, and the last result. A result is
/// dropped after its run is timed (the command does not free its tree either).
fn best_of<T>(n: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::MAX;
    let mut last = None;
    for _ in 0..n.max(1) {
        let t = Instant::now();
        let r = std::hint::black_box(f());
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(r);
    }
    (best, last.unwrap_or_else(f))
}
