//! The error log line parser and the aggregation of error lines: each input line is
//! parsed, classified and counted. Nothing may panic; every field returned must be a
//! slice of the line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nginx_mtls_lint::logs::aggregate::{Counter, FileInfo, Stats};
use nginx_mtls_lint::logs::errorlog::{classify, parse};
use nginx_mtls_lint::report::logs::{Ctx, human, json, prometheus};
use nginx_mtls_lint::logs::time::parse_error_time;

fn inside(line: &[u8], part: &[u8]) -> bool {
    let (a, b) = (line.as_ptr() as usize, part.as_ptr() as usize);
    part.is_empty() || (b >= a && b + part.len() <= a + line.len())
}

fuzz_target!(|data: &[u8]| {
    let mut stats = Stats::new(3, 60);
    stats.files.push(FileInfo {
        path: "error.log".into(),
        kind: "error",
        ..FileInfo::default()
    });
    let mut counter = Counter::new(stats, None, 0);
    for (i, line) in data.split(|b| *b == b'\n').enumerate() {
        if let Some(l) = parse(line) {
            for part in [l.time, l.level, l.message] {
                assert!(inside(line, part));
            }
            for part in [l.client, l.server, l.request, l.host]
                .into_iter()
                .flatten()
            {
                assert!(inside(line, part));
            }
            let _ = parse_error_time(l.time);
            if let Some((_, Some(reason))) = classify(l.message) {
                // A slice of the message, or the fixed "unknown" for an OpenSSL error
                // without `SSL routines:`.
                assert!(inside(line, reason) || reason == b"unknown");
            }
        }
        counter.error_line(line, i as u64 + 1);
    }
    let st = counter.finish();
    if data.first().is_some_and(|b| b & 1 == 1) {
        let ctx = Ctx {
            at: 0,
            hints: Vec::new(),
            top: 3,
        };
        let _ = human(&st, &ctx);
        let _ = json(&st, &ctx).to_string();
        let _ = prometheus(&st, &ctx);
    }
});
