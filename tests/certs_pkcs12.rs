//! PKCS#12 client certificates.

#[path = "certs_pki.rs"]
mod pki;

use nginx_mtls_lint::certs::keys::{KeyMatch, key_matches};
use nginx_mtls_lint::certs::load::{ClientCertError, load_client_chain};
use nginx_mtls_lint::certs::pkcs12::{load_pkcs12, parse_pkcs12};
use p12_keystore::{KeyStore, KeyStoreEntry, PrivateKeyChain};
use pki::*;
use std::path::Path;

fn p12(leaf: &Cert, extra: &[&Cert], password: &str) -> Vec<u8> {
    let key = p12_keystore::PrivateKey::from_der(&leaf.key.serialize_der()).unwrap();
    let mut certs = vec![p12_keystore::Certificate::from_der(&leaf.der).unwrap()];
    certs.extend(
        extra
            .iter()
            .map(|c| p12_keystore::Certificate::from_der(&c.der).unwrap()),
    );
    let mut ks = KeyStore::new();
    ks.add_entry(
        "client",
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(vec![1u8, 2, 3], key, certs)),
    );
    ks.writer(password).write().unwrap()
}

#[test]
fn pkcs12_gives_leaf_intermediates_and_key() {
    let r = ca("Root CA").self_signed();
    let i = ca("Intermediate").signed_by(&r);
    let l = leaf("client").signed_by(&i);
    let data = p12(&l, &[&i], "s3cret");
    let c = parse_pkcs12(&data, Path::new("c.p12"), "s3cret").unwrap();
    assert_eq!(c.chain.leaf.info.subject, "CN=client,O=Example");
    assert_eq!(c.chain.intermediates.len(), 1);
    assert_eq!(
        c.chain.intermediates[0].info.subject,
        "CN=Intermediate,O=Example"
    );
    let key = c.key.unwrap();
    assert_eq!(key_matches(&key, &c.chain.leaf), KeyMatch::Matches);
    assert!(!format!("{key:?}").contains("s3cret"));
}

#[test]
fn wrong_password_is_a_clean_error() {
    let l = leaf("client").self_signed();
    let data = p12(&l, &[], "right");
    let e = parse_pkcs12(&data, Path::new("c.p12"), "wrong").unwrap_err();
    assert!(
        matches!(e, ClientCertError::Pkcs12WrongPassword { .. }),
        "{e:?}"
    );
    assert!(!e.to_string().contains("wrong\""));
    assert!(!e.to_string().contains("right"));
}

#[test]
fn client_chain_loader_recognises_pkcs12() {
    let dir = tempfile::tempdir().unwrap();
    let l = leaf("client").self_signed();
    let p = dir.path().join("c.p12");
    std::fs::write(&p, p12(&l, &[], "pw")).unwrap();
    assert!(matches!(
        load_client_chain(&p),
        Err(ClientCertError::Pkcs12NeedsPassword { .. })
    ));
    assert!(load_pkcs12(&p, "pw").is_ok());
}

#[test]
fn openssl_made_pkcs12() {
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_err()
    {
        if std::env::var("REQUIRE_NGINX").as_deref() == Ok("1") {
            panic!("openssl not installed and REQUIRE_NGINX=1");
        }
        let _ = std::io::Write::write_all(&mut std::io::stderr(), b"SKIP: openssl not installed\n");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let r = ca("Root CA").self_signed();
    let i = ca("Intermediate").signed_by(&r);
    let l = leaf("client").signed_by(&i);
    std::fs::write(d.join("leaf.pem"), &l.pem).unwrap();
    std::fs::write(d.join("leaf.key"), l.key.serialize_pem()).unwrap();
    std::fs::write(d.join("chain.pem"), &i.pem).unwrap();
    let out = std::process::Command::new("openssl")
        .args([
            "pkcs12",
            "-export",
            "-in",
            "leaf.pem",
            "-inkey",
            "leaf.key",
            "-certfile",
            "chain.pem",
        ])
        .args(["-passout", "pass:pw", "-out", "c.p12"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c = load_pkcs12(&d.join("c.p12"), "pw").unwrap();
    assert_eq!(c.chain.leaf.info.subject, "CN=client,O=Example");
    assert_eq!(c.chain.intermediates.len(), 1);
    assert_eq!(
        key_matches(c.key.as_ref().unwrap(), &c.chain.leaf),
        KeyMatch::Matches
    );
    assert!(matches!(
        load_pkcs12(&d.join("c.p12"), "nope"),
        Err(ClientCertError::Pkcs12WrongPassword { .. })
    ));
}
