//! Private key / certificate matching.

#[path = "certs_pki.rs"]
mod pki;

use std::path::Path;

use nginx_mtls_lint::certs::info::KeyKind;
use nginx_mtls_lint::certs::keys::{
    KeyError, KeyFormat, KeyMatch, key_matches, load_private_key, parse_private_key,
};
use pki::*;

fn parse(pem: &str) -> nginx_mtls_lint::certs::keys::PrivateKey {
    parse_private_key(pem.as_bytes(), Path::new("key.pem")).unwrap()
}

#[test]
fn ec_pkcs8_key_matches_its_certificate_only() {
    let a = leaf("a").self_signed();
    let b = leaf("b").self_signed();
    let k = parse(&a.key.serialize_pem());
    assert_eq!(k.format, KeyFormat::Pkcs8);
    assert_eq!(k.kind, Some(KeyKind::Ec));
    assert_eq!(key_matches(&k, &a.cert()), KeyMatch::Matches);
    assert_eq!(key_matches(&k, &b.cert()), KeyMatch::Mismatch);
}

#[test]
fn ed25519_public_key_is_derived_from_the_seed() {
    let a = leaf("a").ed25519().self_signed();
    let b = leaf("b").ed25519().self_signed();
    // PKCS#8 v1 (seed only, as OpenSSL writes it): the public key must be derived.
    let k = parse(&openssl_key_pem(&a.key));
    assert_eq!(k.kind, Some(KeyKind::Ed25519));
    assert_eq!(key_matches(&k, &a.cert()), KeyMatch::Matches);
    assert_eq!(key_matches(&k, &b.cert()), KeyMatch::Mismatch);
    // A different key type never matches.
    let ec = leaf("c").self_signed();
    assert_eq!(key_matches(&k, &ec.cert()), KeyMatch::Mismatch);
}

#[test]
fn encrypted_keys_are_reported_not_compared() {
    let a = leaf("a").self_signed();
    let enc = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAYwAAQCAAA=\n-----END ENCRYPTED PRIVATE KEY-----\n";
    let k = parse(enc);
    assert_eq!(k.format, KeyFormat::EncryptedPkcs8);
    assert_eq!(key_matches(&k, &a.cert()), KeyMatch::Encrypted);
    let legacy = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\nAAAA\n-----END RSA PRIVATE KEY-----\n";
    let k = parse(legacy);
    assert_eq!(k.format, KeyFormat::LegacyEncrypted);
    assert_eq!(key_matches(&k, &a.cert()), KeyMatch::Encrypted);
}

#[test]
fn debug_never_shows_key_material() {
    let a = leaf("a").self_signed();
    let pem = a.key.serialize_pem();
    let k = parse(&pem);
    let dbg = format!("{k:?}");
    assert!(dbg.contains("<redacted>"));
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(!dbg.contains(&body[..20]));
}

#[test]
fn files_without_keys_and_broken_keys() {
    let a = leaf("a").self_signed();
    let err = parse_private_key(a.pem.as_bytes(), Path::new("c.pem")).unwrap_err();
    assert!(matches!(err, KeyError::NoKey { .. }), "{err:?}");
    let broken = "x\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    match parse_private_key(broken.as_bytes(), Path::new("k.pem")).unwrap_err() {
        KeyError::Corrupt { line, .. } => assert_eq!(line, Some(2)),
        e => panic!("{e:?}"),
    }
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        load_private_key(&dir.path().join("missing.key")).unwrap_err(),
        KeyError::Load(_)
    ));
}

#[test]
fn openssl_generated_keys_in_every_format() {
    // RSA (PKCS#1 and PKCS#8) and EC (SEC1) keys as OpenSSL writes them.
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
    let sh = |args: &[&str]| {
        let st = std::process::Command::new("openssl")
            .args(args)
            .current_dir(d)
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&st.stderr)
        );
    };
    sh(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        "rsa8.pem",
    ]);
    sh(&["rsa", "-in", "rsa8.pem", "-traditional", "-out", "rsa1.pem"]);
    sh(&[
        "req", "-x509", "-key", "rsa8.pem", "-subj", "/CN=rsa", "-out", "rsa.crt", "-days", "1",
    ]);
    sh(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        "ec1.pem",
    ]);
    sh(&[
        "req", "-x509", "-key", "ec1.pem", "-subj", "/CN=ec", "-out", "ec.crt", "-days", "1",
    ]);
    sh(&[
        "pkcs8", "-topk8", "-nocrypt", "-in", "rsa8.pem", "-outform", "DER", "-out", "rsa8.der",
    ]);
    // `pkey -outform DER` writes RSA keys as PKCS#1.
    sh(&[
        "pkey", "-in", "rsa8.pem", "-outform", "DER", "-out", "rsa1.der",
    ]);
    sh(&[
        "pkcs8",
        "-topk8",
        "-v2",
        "aes-256-cbc",
        "-passout",
        "pass:secret",
        "-in",
        "ec1.pem",
        "-out",
        "ec-enc.pem",
    ]);
    let cert = |n: &str| {
        nginx_mtls_lint::certs::load::load_bundle(&d.join(n))
            .unwrap()
            .certificates
            .remove(0)
    };
    let rsa = cert("rsa.crt");
    let ec = cert("ec.crt");
    for (file, format) in [
        ("rsa8.pem", KeyFormat::Pkcs8),
        ("rsa1.pem", KeyFormat::Pkcs1),
        ("rsa8.der", KeyFormat::Pkcs8),
        ("rsa1.der", KeyFormat::Pkcs1),
    ] {
        let k = load_private_key(&d.join(file)).unwrap();
        assert_eq!(k.format, format, "{file}");
        assert_eq!(key_matches(&k, &rsa), KeyMatch::Matches, "{file}");
        assert_eq!(key_matches(&k, &ec), KeyMatch::Mismatch, "{file}");
    }
    let k = load_private_key(&d.join("ec1.pem")).unwrap();
    assert_eq!(k.format, KeyFormat::Sec1);
    assert_eq!(key_matches(&k, &ec), KeyMatch::Matches);
    assert_eq!(key_matches(&k, &rsa), KeyMatch::Mismatch);
    let k = load_private_key(&d.join("ec-enc.pem")).unwrap();
    assert_eq!(k.format, KeyFormat::EncryptedPkcs8);
    assert_eq!(key_matches(&k, &ec), KeyMatch::Encrypted);
}
