//! The configuration parser on arbitrary bytes: it must never panic, and what it
//! returns must be consistent (spans inside the input, errors with a message).
#![no_main]

use libfuzzer_sys::fuzz_target;
use nginx_mtls_lint::config::{Directive, FileId, parse};

fn check(list: &[Directive], len: u32) {
    for d in list {
        assert!(d.span.start <= d.span.end && d.span.end <= len);
        assert!(d.name.span.end <= len);
        for a in &d.args {
            assert!(a.span.start <= a.span.end && a.span.end <= len);
        }
        if let Some(b) = &d.block {
            check(&b.directives, len);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let p = parse(data, FileId(0));
    check(&p.directives, data.len() as u32);
    for e in &p.errors {
        assert!(!e.message.is_empty());
        assert!(e.span.end as usize <= data.len());
    }
});
