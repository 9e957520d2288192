//! The certificate, CRL, PKCS#12 and private key readers on arbitrary bytes: the CA
//! bundle parser, the client certificate reader (as `verify --cert` uses it), the
//! PKCS#12 parser with a fixed password, and the private key parser. None may panic,
//! and no error message may contain the password.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use nginx_mtls_lint::certs::keys::{key_matches, parse_private_key};
use nginx_mtls_lint::certs::load::{client_chain_from_bundle, parse_bundle};
use nginx_mtls_lint::certs::pkcs12::{looks_like_pkcs12, parse_pkcs12};

const PASSWORD: &str = "fuzz-pw-7Hq2";

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.pem");
    let bundle = parse_bundle(data, path);
    if let Ok(b) = &bundle {
        for c in &b.certificates {
            let _ = c.location();
        }
    } else if let Err(e) = &bundle {
        let _ = e.to_string();
    }
    // The client certificate reader: PKCS#12 is refused, the rest is a bundle.
    if !looks_like_pkcs12(data)
        && let Ok(b) = bundle.clone()
    {
        let _ = client_chain_from_bundle(b);
    }
    match parse_pkcs12(data, path, PASSWORD) {
        Ok(p) => {
            if let Some(k) = &p.key {
                let _ = key_matches(k, &p.chain.leaf);
            }
        }
        Err(e) => assert!(!e.to_string().contains(PASSWORD)),
    }
    match parse_private_key(data, path) {
        Ok(k) => {
            if let Ok(b) = &bundle {
                for c in &b.certificates {
                    let _ = key_matches(&k, c);
                }
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
