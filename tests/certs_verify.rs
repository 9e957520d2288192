//! The OpenSSL verification model against the expected error lists of the scenario
//! matrix (`certs_pki.rs`), and `$ssl_client_verify` values.

#[path = "certs_pki.rs"]
mod pki;

use nginx_mtls_lint::certs::verify::{ChainSource, VerifyParams, VerifyResult};
use pki::*;

#[test]
fn matrix_matches_expected_errors() {
    let mut failures = Vec::new();
    for s in scenarios() {
        let r = run_model(&s);
        let got: Vec<(u32, usize)> = r.errors.iter().map(|e| (e.code.code(), e.depth)).collect();
        if got != s.expect {
            failures.push(format!(
                "{}: expected {:?}, got {:?} (notes {:?})",
                s.name, s.expect, got, r.notes
            ));
        }
        assert!(r.notes.is_empty(), "{}: {:?}", s.name, r.notes);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn find(name: &str) -> Scenario {
    scenarios().into_iter().find(|s| s.name == name).unwrap()
}

#[test]
fn nginx_reports_the_last_error() {
    let r = run_model(&find("intermediate not sent and not in the store"));
    assert_eq!(
        r.nginx_verify_value(),
        "FAILED:unable to verify the first certificate"
    );
    assert_eq!(
        r.nginx_error_log_message().as_deref(),
        Some("client SSL certificate verify error: (21:unable to verify the first certificate)")
    );
    assert!(r.final_error().unwrap().code.tolerated_by_optional_no_ca());
    let r = run_model(&find(
        "only the intermediate is in the store (no partial chains)",
    ));
    assert!(!r.final_error().unwrap().code.tolerated_by_optional_no_ca());
    let r = run_model(&find("revoked and expired: revocation first, expiry last"));
    assert_eq!(r.nginx_verify_value(), "FAILED:certificate has expired");
    let r = run_model(&find("ok, one intermediate sent, depth 1"));
    assert_eq!(r.nginx_verify_value(), "SUCCESS");
    assert!(r.is_ok() && r.anchored);
}

#[test]
fn chain_records_where_each_certificate_came_from() {
    let r = run_model(&find("ok, one intermediate sent, depth 1"));
    let sources: Vec<ChainSource> = r.chain.iter().map(|l| l.source).collect();
    assert_eq!(
        sources,
        vec![
            ChainSource::Leaf,
            ChainSource::Untrusted(0),
            ChainSource::Trusted(0)
        ]
    );
    assert_eq!(r.chain[0].subject, "CN=client,O=Example");
    assert!(r.chain[2].trusted);

    // The client sent the root too: the store's copy anchors, untrusted search stops.
    let r = run_model(&find("client sends its own root, not trusted"));
    assert!(!r.anchored);
    assert_eq!(r.chain.len(), 3);
    assert!(r.chain.iter().all(|l| !l.trusted));
}

#[test]
fn self_signed_leaf_in_store_is_replaced_by_the_store_copy() {
    let r = run_model(&find("self-signed client certificate that is in the store"));
    assert!(r.anchored);
    assert_eq!(r.chain.len(), 1);
    assert_eq!(r.chain[0].source, ChainSource::Trusted(0));
}

#[test]
fn time_boundaries_follow_openssl_3_0() {
    // OpenSSL 3.0: expired when t >= notAfter, valid from t >= notBefore.
    let r = ca("Root CA").self_signed();
    let l = leaf("client").validity(AT - DAY, AT).signed_by(&r);
    let mut s = Scenario {
        name: "boundary",
        leaf: l,
        sent: vec![],
        store: vec![r],
        crls: vec![],
        crl_check: false,
        depth: 1,
        expect: vec![],
    };
    let codes = |r: &VerifyResult| r.errors.iter().map(|e| e.code.code()).collect::<Vec<_>>();
    assert_eq!(codes(&run_model(&s)), vec![10]);
    s.leaf = leaf("client").validity(AT, AT + DAY).signed_by(&s.store[0]);
    assert_eq!(codes(&run_model(&s)), Vec::<u32>::new());
}

#[test]
fn crl_check_off_ignores_crls() {
    let mut s = find("revoked client certificate");
    s.crl_check = false;
    assert!(run_model(&s).is_ok());
}

#[test]
fn trust_store_from_files_as_nginx_loads_them() {
    use nginx_mtls_lint::certs::load::{load_bundle, load_client_chain};
    use nginx_mtls_lint::certs::verify::{TrustStore, verify_client};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let r = ca("Root CA").self_signed();
    let i = ca("Intermediate").signed_by(&r);
    let l = leaf("client").signed_by(&i);
    let other = ca("Other CA").self_signed();
    let (_, root_crl) = fresh_crl(&r, &[]);
    let (_, int_crl) = fresh_crl(&i, &[&l]);
    std::fs::write(d.join("client_ca.pem"), &other.pem).unwrap();
    // The root only appears in the ssl_crl file, beside the CRLs.
    std::fs::write(
        d.join("crl.pem"),
        format!("{}{}{}", r.pem, root_crl, int_crl),
    )
    .unwrap();
    std::fs::write(d.join("client.pem"), format!("{}{}", l.pem, i.pem)).unwrap();
    let mut store = TrustStore::new();
    for f in ["client_ca.pem", "crl.pem", "crl.pem"] {
        store.add_bundle(&load_bundle(&d.join(f)).unwrap());
    }
    assert_eq!(store.certificates.len(), 2, "duplicates are kept once");
    assert_eq!(store.crls.len(), 2);
    let chain = load_client_chain(&d.join("client.pem")).unwrap();
    let mut params = VerifyParams::nginx_default(AT);
    assert_eq!(
        verify_client(&chain, &store, params).nginx_verify_value(),
        "SUCCESS"
    );
    params.crl_check = true;
    assert_eq!(
        verify_client(&chain, &store, params).nginx_verify_value(),
        "FAILED:certificate revoked"
    );
}

#[test]
fn store_certificates_issuing_each_other_do_not_loop() {
    // Two CAs that cross-sign each other (same names and keys, no self-signed root).
    let a = ca("CA A").self_signed();
    let b = ca("CA B").signed_by(&a);
    let a_by_b = Cert {
        params: a.params.clone(),
        key: rcgen::KeyPair::from_pem(&a.key.serialize_pem()).unwrap(),
        der: vec![],
        pem: String::new(),
    };
    let a_by_b = {
        let c = a_by_b.params.signed_by(&a_by_b.key, &b.issuer()).unwrap();
        Cert {
            der: c.der().to_vec(),
            pem: c.pem(),
            ..a_by_b
        }
    };
    let l = leaf("client").signed_by(&b);
    let s = Scenario {
        name: "cycle",
        leaf: l,
        sent: vec![],
        store: vec![b, a_by_b],
        crls: vec![],
        crl_check: false,
        depth: u32::MAX,
        expect: vec![],
    };
    let r = run_model(&s);
    assert!(!r.anchored);
    // Cut once longer than all the material (3 certificates) + 1.
    assert!(r.chain.len() <= 5, "{}", r.chain.len());
    assert!(
        r.errors.iter().any(|e| e.code.code() == 22),
        "{:?}",
        r.errors
    );
}
