//! The configuration parser on arbitrary bytes: it must never panic, and what it
//! returns must be consistent (spans inside the input, errors with a message). The
//! crossplane JSON written from the tree, while parsing, and from two halves parsed
//! apart (cut at the start of a line chosen by the input) must be the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nginx_mtls_lint::config::{Directive, FileId, crossplane, parse};

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
    // A cut after the n-th newline, n from the first byte.
    let n = data.first().map_or(0, |b| *b as usize);
    let cut = data
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i + 1)
        .nth(n % 8)
        .unwrap_or(0);
    let (tree, whole, halves, errors) = crossplane::parsed_three_ways(data, cut);
    assert_eq!(tree, whole);
    if let Some(h) = halves {
        assert!(!errors);
        assert_eq!(h, whole);
    }
});
