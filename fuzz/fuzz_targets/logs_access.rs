//! The `log_format` compiler together with the access log line reader: the first line of
//! the input is a format string, the rest are log lines. Nothing may panic, and the
//! counts must add up (every non-empty line is either matched or unmatched).
#![no_main]

use libfuzzer_sys::fuzz_target;
use nginx_mtls_lint::logs::aggregate::{Counter, FileInfo, Stats};
use nginx_mtls_lint::logs::format::Escape;
use nginx_mtls_lint::logs::format::{LogFormat, Record, unescape};
use nginx_mtls_lint::report::logs::{Ctx, human, json, prometheus};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, data)) = data.split_first() else {
        return;
    };
    let escape = match mode % 3 {
        0 => Escape::Default,
        1 => Escape::Json,
        _ => Escape::None,
    };
    let (fmt_src, lines) = match memchr_nl(data) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let fmt = LogFormat::new("fuzz", escape, &String::from_utf8_lossy(fmt_src));
    let mut stats = Stats::new(3, 60);
    stats.files.push(FileInfo {
        path: "fuzz.log".into(),
        kind: "access",
        ..FileInfo::default()
    });
    let mut counter = Counter::new(stats, Some(&fmt), 0);
    let mut rec = Record::default();
    let mut buf = Vec::new();
    let mut n = 0u64;
    for (i, line) in lines.split(|b| *b == b'\n').enumerate() {
        counter.access_line(line, i as u64 + 1);
        if fmt.extract(line, &mut rec) {
            let _ = unescape(line, escape, &mut buf);
        }
        n += 1;
    }
    let st = counter.finish();
    assert_eq!(st.access_lines, n);
    assert!(st.matched + st.unmatched <= n);
    assert!(st.unmatched_samples.len() <= 5);
    if mode & 0x80 != 0 {
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

fn memchr_nl(d: &[u8]) -> Option<usize> {
    d.iter().position(|b| *b == b'\n')
}
