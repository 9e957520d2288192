//! Replays inputs kept in `fuzz/regressions/<target>/`: inputs that once crashed a fuzz
//! target, and hand-made edge cases at the end of the input. None may panic, and every
//! span must stay inside its input.

use nginx_mtls_lint::config::{Directive, FileId, parse};

fn check(list: &[Directive], len: u32) {
    for d in list {
        assert!(d.span.start <= d.span.end && d.span.end <= len);
        for a in &d.args {
            assert!(a.span.end <= len);
        }
        check(d.children(), len);
    }
}

#[test]
fn parse_config_regressions() {
    let mut n = 0;
    for e in std::fs::read_dir("fuzz/regressions/parse_config").unwrap() {
        let path = e.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let p = parse(&data, FileId(0));
        check(&p.directives, data.len() as u32);
        assert!(
            !p.errors.is_empty(),
            "{}: every kept input is malformed and must report an error",
            path.display()
        );
        for e in &p.errors {
            assert!(e.span.end as usize <= data.len(), "{}", path.display());
        }
        n += 1;
    }
    assert!(n >= 6);
}

/// The files kept for one target; `min` guards against a folder that went missing.
fn kept(target: &str, min: usize) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let dir = std::path::Path::new("fuzz/regressions").join(target);
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(&dir) {
        for e in rd {
            let path = e.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            out.push((path, data));
        }
    }
    assert!(
        out.len() >= min,
        "{}: expected at least {min} inputs",
        dir.display()
    );
    out
}

/// The `logs_error` target's checks on one input: fields are slices of their line.
fn logs_error_input(data: &[u8]) {
    use nginx_mtls_lint::logs::aggregate::{Counter, FileInfo, Stats};
    use nginx_mtls_lint::logs::errorlog::{classify, parse};
    let inside = |line: &[u8], part: &[u8]| {
        let (a, b) = (line.as_ptr() as usize, part.as_ptr() as usize);
        part.is_empty() || (b >= a && b + part.len() <= a + line.len())
    };
    let mut stats = Stats::new(3, 60);
    stats.files.push(FileInfo::default());
    let mut counter = Counter::new(stats, None, 0);
    for (i, line) in data.split(|b| *b == b'\n').enumerate() {
        if let Some(l) = parse(line) {
            assert!(inside(line, l.time) && inside(line, l.level) && inside(line, l.message));
            if let Some((_, Some(reason))) = classify(l.message) {
                assert!(inside(line, reason) || reason == b"unknown");
            }
        }
        counter.error_line(line, i as u64 + 1);
    }
    let _ = counter.finish();
}

/// `crash-2d3e…`: an error log whose `SSL_do_handshake() failed` message has no
/// `SSL routines:` part. classify() rightly answers the fixed reason "unknown"; the
/// target's first version wrongly required every reason to be a slice of the line.
#[test]
fn logs_error_regressions() {
    for (path, data) in kept("logs_error", 1) {
        let r = std::panic::catch_unwind(|| logs_error_input(&data));
        assert!(r.is_ok(), "{}", path.display());
    }
}

/// The `logs_access` target's checks on one input: the first line is the format.
fn logs_access_input(data: &[u8]) {
    use nginx_mtls_lint::logs::aggregate::{Counter, FileInfo, Stats};
    use nginx_mtls_lint::logs::format::Escape;
    use nginx_mtls_lint::logs::format::LogFormat;
    let Some((&mode, data)) = data.split_first() else {
        return;
    };
    let escape = [Escape::Default, Escape::Json, Escape::None][usize::from(mode % 3)];
    let (fmt, lines) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let fmt = LogFormat::new("fuzz", escape, &String::from_utf8_lossy(fmt));
    let mut stats = Stats::new(3, 60);
    stats.files.push(FileInfo::default());
    let mut counter = Counter::new(stats, Some(&fmt), 0);
    let mut n = 0;
    for (i, line) in lines.split(|b| *b == b'\n').enumerate() {
        counter.access_line(line, i as u64 + 1);
        n += 1;
    }
    let st = counter.finish();
    assert_eq!(st.access_lines, n);
}

#[test]
fn logs_access_regressions() {
    for (path, data) in kept("logs_access", 2) {
        let r = std::panic::catch_unwind(|| logs_access_input(&data));
        assert!(r.is_ok(), "{}", path.display());
    }
}

/// The `cert_loaders` target on one input: no loader may panic, no error may echo the
/// PKCS#12 password.
fn cert_loaders_input(data: &[u8]) {
    use nginx_mtls_lint::certs::keys::parse_private_key;
    use nginx_mtls_lint::certs::load::{client_chain_from_bundle, parse_bundle};
    use nginx_mtls_lint::certs::pkcs12::{looks_like_pkcs12, parse_pkcs12};
    let path = std::path::Path::new("fuzz.pem");
    let bundle = parse_bundle(data, path);
    if !looks_like_pkcs12(data)
        && let Ok(b) = bundle
    {
        let _ = client_chain_from_bundle(b);
    }
    if let Err(e) = parse_pkcs12(data, path, "fuzz-pw-7Hq2") {
        assert!(!e.to_string().contains("fuzz-pw-7Hq2"));
    }
    let _ = parse_private_key(data, path);
}

#[test]
fn cert_loaders_regressions() {
    for (path, data) in kept("cert_loaders", 3) {
        let r = std::panic::catch_unwind(|| cert_loaders_input(&data));
        assert!(r.is_ok(), "{}", path.display());
    }
}
