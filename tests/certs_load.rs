//! Reading CA bundles, CRL files and client certificates, and the typed errors.

#[path = "certs_pki.rs"]
mod pki;

use std::path::Path;

use nginx_mtls_lint::certs::load::{
    BlockProblem, ClientCertError, Format, LoadError, load_bundle, load_client_chain,
};
use pki::*;

fn write(dir: &Path, name: &str, data: impl AsRef<[u8]>) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

#[test]
fn bundle_keeps_index_and_line_of_every_certificate_and_crl() {
    let dir = tempfile::tempdir().unwrap();
    let r = ca("Root CA").self_signed();
    let i = ca("Intermediate").signed_by(&r);
    let (_, crl_pem) = fresh_crl(&r, &[&i]);
    let text = format!("# my CAs\n{}\n{}{}", r.pem, i.pem, crl_pem);
    let p = write(dir.path(), "ca.pem", &text);
    let b = load_bundle(&p).unwrap();
    assert_eq!(b.format, Format::Pem);
    assert_eq!(b.certificates.len(), 2);
    assert_eq!(b.crls.len(), 1);
    assert_eq!(b.certificates[0].origin.line, Some(2));
    assert_eq!(b.certificates[0].origin.index, 1);
    let second_line = 2 + r.pem.lines().count() + 1;
    assert_eq!(b.certificates[1].origin.line, Some(second_line));
    assert_eq!(b.certificates[1].origin.index, 2);
    assert_eq!(
        b.certificates[1].location(),
        format!("{}:{second_line}, certificate #2", p.display())
    );
    assert_eq!(b.certificates[1].info.subject, "CN=Intermediate,O=Example");
    assert_eq!(b.crls[0].info.issuer, "CN=Root CA,O=Example");
    assert!(b.crls[0].location().ends_with(", CRL #1"));
    assert_eq!(b.crls[0].info.revoked.len(), 1);
    assert_eq!(
        b.crls[0].info.revoked[0].serial,
        b.certificates[1].info.serial
    );
}

#[test]
fn der_certificate_and_der_crl() {
    let dir = tempfile::tempdir().unwrap();
    let r = ca("Root CA").self_signed();
    let b = load_bundle(&write(dir.path(), "ca.der", &r.der)).unwrap();
    assert_eq!(b.format, Format::Der);
    assert_eq!(b.certificates.len(), 1);
    assert_eq!(b.certificates[0].origin.line, None);
    let (crl_der, _) = fresh_crl(&r, &[]);
    let b = load_bundle(&write(dir.path(), "crl.der", &crl_der)).unwrap();
    assert_eq!(b.crls.len(), 1);
    assert!(b.certificates.is_empty());
}

#[test]
fn file_level_errors_are_typed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(matches!(
        load_bundle(&d.join("nope.pem")),
        Err(LoadError::NotFound { .. })
    ));
    assert!(matches!(
        load_bundle(d),
        Err(LoadError::IsADirectory { .. })
    ));
    assert!(matches!(
        load_bundle(&write(d, "empty.pem", "")),
        Err(LoadError::Empty { .. })
    ));
    assert!(matches!(
        load_bundle(&write(d, "blank.pem", "\n  \n")),
        Err(LoadError::Empty { .. })
    ));
    assert!(matches!(
        load_bundle(&write(d, "junk.pem", "this is not a certificate\n")),
        Err(LoadError::NoCertificate { .. })
    ));
    let csr = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n";
    assert!(matches!(
        load_bundle(&write(d, "csr.pem", csr)),
        Err(LoadError::NoCertificate { .. })
    ));
}

#[test]
fn permission_denied_is_reported() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let r = ca("Root CA").self_signed();
    let p = write(dir.path(), "secret.pem", &r.pem);
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&p).is_ok() {
        // Running as root: permissions do not apply.
        eprintln!("SKIP: running with privileges that bypass file permissions");
        return;
    }
    assert!(matches!(
        load_bundle(&p),
        Err(LoadError::PermissionDenied { .. })
    ));
}

#[test]
fn corrupt_blocks_name_the_block_and_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let r = ca("Root CA").self_signed();
    let i = ca("Intermediate").signed_by(&r);
    // Second certificate cut in half: no END line.
    let half: String = i.pem.lines().take(4).map(|l| format!("{l}\n")).collect();
    let text = format!("{}{}", r.pem, half);
    let e = load_bundle(&write(dir.path(), "cut.pem", &text)).unwrap_err();
    let start = r.pem.lines().count() + 1;
    match &e {
        LoadError::CorruptBlock {
            block,
            line,
            problem,
            ..
        } => {
            assert_eq!(*block, 2);
            assert_eq!(*line, start);
            assert_eq!(*problem, BlockProblem::Truncated);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        e.to_string()
            .contains(&format!("cut.pem:{start}: PEM block #2")),
        "{e}"
    );

    // Valid base64 that is not a certificate.
    let bad = "-----BEGIN CERTIFICATE-----\nAAECAwQF\n-----END CERTIFICATE-----\n";
    let e = load_bundle(&write(dir.path(), "bad.pem", bad)).unwrap_err();
    assert!(matches!(
        e,
        LoadError::CorruptBlock {
            problem: BlockProblem::BadDer(_),
            line: 1,
            ..
        }
    ));
    // Not base64.
    let bad = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
    let e = load_bundle(&write(dir.path(), "b64.pem", bad)).unwrap_err();
    assert!(matches!(
        e,
        LoadError::CorruptBlock {
            problem: BlockProblem::BadBase64,
            ..
        }
    ));
}

#[test]
fn private_keys_are_recorded_by_line_never_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let l = leaf("client").self_signed();
    let key_pem = l.key.serialize_pem();
    let text = format!("{}{}", l.pem, key_pem);
    let b = load_bundle(&write(dir.path(), "both.pem", &text)).unwrap();
    assert_eq!(b.private_keys.len(), 1);
    assert_eq!(b.private_keys[0].line, l.pem.lines().count() + 1);
    assert_eq!(b.private_keys[0].label, "PRIVATE KEY");
    let body: String = key_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    assert!(!format!("{b:?}").contains(&body[..16]));

    // Only a key: an error that still says where the key is.
    let e = load_bundle(&write(dir.path(), "key.pem", &key_pem)).unwrap_err();
    match &e {
        LoadError::NoCertificate { private_keys, .. } => assert_eq!(private_keys[0].line, 1),
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("only a private key, line 1"));
    assert!(!e.to_string().contains(&body[..16]));
}

#[test]
fn client_chain_is_leaf_then_intermediates() {
    let dir = tempfile::tempdir().unwrap();
    let r = ca("Root CA").self_signed();
    let i = ca("Intermediate").signed_by(&r);
    let l = leaf("client").signed_by(&i);
    let text = format!("{}{}{}", l.pem, i.pem, l.key.serialize_pem());
    let c = load_client_chain(&write(dir.path(), "client.pem", &text)).unwrap();
    assert_eq!(c.leaf.info.subject, "CN=client,O=Example");
    assert_eq!(c.intermediates.len(), 1);
    assert_eq!(c.intermediates[0].info.subject, "CN=Intermediate,O=Example");
    assert_eq!(c.private_keys.len(), 1);
    let c = load_client_chain(&write(dir.path(), "client.der", &l.der)).unwrap();
    assert!(c.intermediates.is_empty());
    let (_, crl) = fresh_crl(&r, &[]);
    assert!(matches!(
        load_client_chain(&write(dir.path(), "crl.pem", crl)),
        Err(ClientCertError::NoCertificate { .. })
    ));
}

#[test]
fn cert_info_fields() {
    let r = ca("Root CA").pathlen(2).self_signed();
    let l = leaf("client").signed_by(&r);
    let ri = r.cert().info;
    let li = l.cert().info;
    assert!(ri.self_issued && ri.openssl_self_signed);
    assert!(!li.openssl_self_signed && !li.self_issued);
    assert_eq!(
        ri.basic_constraints.map(|b| (b.ca, b.path_len)),
        Some((true, Some(2)))
    );
    assert_eq!(
        li.extended_key_usage.as_ref().map(|e| e.client_auth),
        Some(true)
    );
    assert_eq!(li.key_usage_names(), Some(vec!["digitalSignature"]));
    assert_eq!(
        li.authority_key_id.as_ref().and_then(|a| a.key_id.clone()),
        ri.subject_key_id
    );
    assert_eq!(li.not_before, AT - 30 * DAY);
    assert_eq!(li.not_after_rfc3339, "2028-01-15T08:00:00Z");
    assert_eq!(li.sha1_fingerprint.len(), 40);
    assert_eq!(li.der_len, l.der.len());
    assert_eq!(li.version, 3);
}
