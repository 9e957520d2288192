//! `nginx-mtls-lint logs`: plan the files, read them (in batch, or following them),
//! and render the summary with the chosen reporter.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::io::emit;
use crate::cli::{Escape as EscapeArg, LogKind, LogsArgs, LogsFormat};
use crate::error::{Error, exit};
use crate::logs::aggregate::Stats;
use crate::logs::follow::{self, Tick};
use crate::logs::format::Escape;
use crate::logs::{self, Kind, Options, batch, time};
use crate::report::logs::{self as report, Ctx};

/// The reading side of the command line.
fn options(args: &LogsArgs) -> Options {
    Options {
        files: args.files.clone(),
        config: args.config.clone(),
        prefix: args.prefix.clone(),
        log_format: args.log_format.clone(),
        log_format_string: args.log_format_string.clone(),
        escape: match args.escape {
            EscapeArg::Default => Escape::Default,
            EscapeArg::Json => Escape::Json,
            EscapeArg::None => Escape::None,
        },
        follow: args.follow,
        since: args.since,
        interval: args.interval,
        bucket: args.bucket,
        kind: args.kind.map(|k| match k {
            LogKind::Access => Kind::Access,
            LogKind::Error => Kind::Error,
        }),
        at: args.at.clone(),
        limit: args.limit,
        rotate_grace: args.rotate_grace,
        max_gzip_ratio: args.max_gzip_ratio,
    }
}

/// Renders a report in the chosen format.
fn render(fmt: LogsFormat, st: &Stats, ctx: &Ctx) -> String {
    match fmt {
        LogsFormat::Human => report::human(st, ctx),
        LogsFormat::Json | LogsFormat::Jsonl => {
            let mut s = serde_json::to_string(&report::report(st, ctx)).unwrap_or_default();
            s.push('\n');
            s
        }
        LogsFormat::Prometheus => report::prometheus(st, ctx),
        LogsFormat::Html => crate::report::html::render(
            &serde_json::to_value(report::report(st, ctx)).unwrap_or_default(),
        ),
    }
}

/// What `--follow` writes for one tick, if anything.
fn follow_text(fmt: LogsFormat, tick: &Tick<'_>, top: usize) -> Option<String> {
    let rctx = Ctx {
        at: tick.at,
        hints: tick.hints.to_vec(),
        top,
    };
    match fmt {
        LogsFormat::Jsonl => {
            let obj = report::JsonlObject {
                schema_version: report::SCHEMA_VERSION,
                time: time::format_rfc3339(time::now()),
                last: tick.last,
                totals: report::report(tick.total, &rctx),
                interval: report::report(tick.interval, &rctx),
            };
            // The follower's own counters (how rotations went), last, keeping the
            // order of the other keys.
            let r = tick.rotation;
            let rotation = format!(
                "{{\"renamed\":{},\"truncated\":{},\"generations_read\":{},\"lost_lines\":{},\"copies_not_found\":{},\"closed_early\":{}}}",
                r.renamed,
                r.truncated,
                r.generations_read,
                r.lost_lines,
                r.copies_not_found,
                r.closed_early
            );
            let mut s = serde_json::to_string(&obj).unwrap_or_default();
            if s.ends_with('}') {
                s.pop();
                s.push_str(",\"rotation\":");
                s.push_str(&rotation);
                s.push('}');
            }
            s.push('\n');
            Some(s)
        }
        // One JSON document: at the end only.
        LogsFormat::Json => tick.last.then(|| render(fmt, tick.total, &rctx)),
        LogsFormat::Human => Some(format!(
            "\n==== {} ====\n{}",
            time::format_rfc3339(time::now()),
            render(fmt, tick.total, &rctx)
        )),
        // A whole document each tick (written over the -o file).
        LogsFormat::Prometheus | LogsFormat::Html => Some(render(fmt, tick.total, &rctx)),
    }
}

fn threads(args: &LogsArgs) -> usize {
    args.threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1)
}

pub fn run(args: &LogsArgs) -> Result<u8, Error> {
    let opts = options(args);
    let setup = logs::setup(&opts)?;
    if opts.follow {
        follow::run(
            &opts,
            setup,
            &mut |tick| match follow_text(args.format, tick, args.top) {
                Some(text) => emit(args.output.as_deref(), &text),
                None => Ok(()),
            },
        )?;
        return Ok(exit::CLEAN);
    }
    let at = setup.at.unwrap_or_else(time::now);
    let cutoff = opts.since.map(|d| at - d.as_secs() as i64);
    let bucket = opts.bucket.map_or(3600, |d| d.as_secs().max(1) as i64);
    // Resolve kind and format of named files from their first bytes (stdin: in the reader).
    let mut kinds = Vec::new();
    let mut formats = Vec::new();
    let mut total_size = 0u64;
    for s in &setup.specs {
        if s.path.is_some() {
            let (_, head, _) = batch::open(s, opts.max_gzip_ratio)?;
            let (k, f) = batch::resolve(s, &head, &setup.candidates);
            kinds.push(Some(k));
            formats.push(f);
            total_size += s
                .path
                .as_ref()
                .and_then(|p| std::fs::metadata(p).ok())
                .map_or(0, |m| m.len());
        } else {
            kinds.push(s.kind);
            formats.push(s.format.clone());
        }
    }
    let progress = AtomicU64::new(0);
    let done = AtomicBool::new(false);
    let show_progress = std::io::stderr().is_terminal() && total_size > (256 << 20);
    let job = batch::Job {
        specs: &setup.specs,
        kinds,
        formats,
        candidates: setup.candidates.clone(),
        threads: threads(args),
        cutoff,
        template: Stats::new(opts.limit, bucket),
        progress: show_progress.then_some(&progress),
        max_gzip_ratio: opts.max_gzip_ratio,
    };
    let stats = std::thread::scope(|sc| {
        if show_progress {
            // Progress is shown by a thread of its own, when one can be started.
            let _ = std::thread::Builder::new().spawn_scoped(sc, || {
                while !done.load(Ordering::Relaxed) {
                    let n = progress.load(Ordering::Relaxed);
                    // Bytes are counted after decompression: with .gz files the total
                    // (on disk) is only a lower bound.
                    if n <= total_size {
                        eprint!(
                            "\rreading logs: {} / {} MiB ({:.0}%)",
                            n >> 20,
                            total_size >> 20,
                            100.0 * n as f64 / total_size.max(1) as f64
                        );
                    } else {
                        eprint!("\rreading logs: {} MiB{:20}", n >> 20, "");
                    }
                    std::thread::sleep(std::time::Duration::from_millis(250));
                }
                eprint!("\r{:60}\r", "");
            });
        }
        let r = batch::run(&job);
        done.store(true, Ordering::Relaxed);
        r
    })?;
    let ctx = Ctx {
        at,
        hints: setup.hints,
        top: args.top,
    };
    emit(args.output.as_deref(), &render(args.format, &stats, &ctx))?;
    Ok(exit::CLEAN)
}
