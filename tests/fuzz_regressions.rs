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
