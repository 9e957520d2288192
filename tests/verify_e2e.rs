//! End to end: one real nginx with one server per (trust files, verify mode, depth,
//! CRL) profile on its own 127.0.0.1 port, real curl as the client, and
//! `nginx-mtls-lint verify --format json` for every scenario. For each scenario the
//! tool's `ssl_client_verify` must equal what nginx logged (`$ssl_client_verify` in
//! the access log), its `status` and `rejected` must equal what curl saw, and its
//! error.log line must be the one nginx wrote.
//!
//! Certificates are made here with rcgen, relative to now (expired = validity entirely
//! in the past), so nothing rots.

mod common;
#[path = "certs_pki.rs"]
mod pki;
#[path = "verify_schema.rs"]
mod schema;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Nginx, free_port, have_tools, http_temp_paths, preamble, tool};
use pki::{Cert, DAY, ca, leaf};
use rcgen::{
    CertificateRevocationListParams, ExtendedKeyUsagePurpose, KeyUsagePurpose, RevokedCertParams,
    SerialNumber,
};
use time::OffsetDateTime;

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn t(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap()
}

/// Valid now: a day ago to a year ahead (CAs: ten years).
fn valid_leaf(cn: &str) -> pki::Spec {
    leaf(cn).validity(now() - DAY, now() + 365 * DAY)
}
fn valid_ca(cn: &str) -> pki::Spec {
    ca(cn).validity(now() - DAY, now() + 3650 * DAY)
}

fn crl_pem(issuer: &Cert, revoked: &[&Cert], this_update: i64, next_update: i64) -> String {
    let params = CertificateRevocationListParams {
        this_update: t(this_update),
        next_update: t(next_update),
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: revoked
            .iter()
            .map(|c| RevokedCertParams {
                serial_number: c.serial(),
                revocation_time: t(now() - 3600),
                reason_code: None,
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: issuer.params.key_identifier_method.clone(),
    };
    params.signed_by(&issuer.issuer()).unwrap().pem().unwrap()
}

/// The PKI, written into `dir`: certificate files by name, keys as `<name>.key`.
struct Pki {
    files: BTreeMap<&'static str, String>,
    /// The root CA (its key signs CRLs a test needs).
    root: Cert,
}

fn build_pki(dir: &Path) -> Pki {
    let n = now();
    let root = valid_ca("root").self_signed();
    let int = valid_ca("int").signed_by(&root);
    let int2 = valid_ca("int2").signed_by(&int);
    let unk = valid_ca("unk").self_signed();
    let int_exp = ca("int_exp")
        .validity(n - 400 * DAY, n - 30 * DAY)
        .signed_by(&root);
    let int_caf = valid_ca("int_caf").not_ca().signed_by(&root);
    let int_srv = valid_ca("int_srv")
        .eku(vec![ExtendedKeyUsagePurpose::ServerAuth])
        .signed_by(&root);
    let int_pl0 = valid_ca("int_pl0").pathlen(0).signed_by(&root);
    let int3 = valid_ca("int3").signed_by(&int2);
    let mut nobc = valid_ca("int_nobc");
    nobc.ca = None;
    nobc.explicit_no_ca = false;
    let int_nobc = nobc.signed_by(&root);
    let int2_pl = valid_ca("int2_pl").signed_by(&int_pl0);
    let server_ca = valid_ca("server-ca").self_signed();
    let server = valid_leaf("localhost")
        .eku(vec![ExtendedKeyUsagePurpose::ServerAuth])
        .ku(vec![KeyUsagePurpose::DigitalSignature])
        .signed_by(&server_ca);

    let leaves: Vec<(&'static str, Cert, Vec<&Cert>)> = vec![
        ("leaf", valid_leaf("leaf").signed_by(&int), vec![&int]),
        ("leaf_only", valid_leaf("leaf_only").signed_by(&int), vec![]),
        (
            "leaf_full",
            valid_leaf("leaf_full").signed_by(&int),
            vec![&int, &root],
        ),
        (
            "leaf_root",
            valid_leaf("leaf_root").signed_by(&root),
            vec![],
        ),
        (
            "leaf_int2",
            valid_leaf("leaf_int2").signed_by(&int2),
            vec![&int2, &int],
        ),
        (
            "leaf_int2_only",
            valid_leaf("leaf_int2_only").signed_by(&int2),
            vec![],
        ),
        ("leaf_unk", valid_leaf("leaf_unk").signed_by(&unk), vec![]),
        (
            "leaf_unk_chain",
            valid_leaf("leaf_unk_chain").signed_by(&unk),
            vec![&unk],
        ),
        (
            "leaf_exp",
            leaf("leaf_exp")
                .validity(n - 400 * DAY, n - 30 * DAY)
                .signed_by(&int),
            vec![&int],
        ),
        (
            "leaf_nyv",
            leaf("leaf_nyv")
                .validity(n + 30 * DAY, n + 400 * DAY)
                .signed_by(&int),
            vec![&int],
        ),
        (
            "leaf_intexp",
            valid_leaf("leaf_intexp").signed_by(&int_exp),
            vec![&int_exp],
        ),
        (
            "leaf_srv",
            valid_leaf("leaf_srv")
                .eku(vec![ExtendedKeyUsagePurpose::ServerAuth])
                .signed_by(&int),
            vec![&int],
        ),
        (
            "leaf_noeku",
            valid_leaf("leaf_noeku").eku(vec![]).signed_by(&int),
            vec![&int],
        ),
        (
            "leaf_intcaf",
            valid_leaf("leaf_intcaf").signed_by(&int_caf),
            vec![&int_caf],
        ),
        (
            "leaf_intsrv",
            valid_leaf("leaf_intsrv").signed_by(&int_srv),
            vec![&int_srv],
        ),
        (
            "leaf_pl",
            valid_leaf("leaf_pl").signed_by(&int2_pl),
            vec![&int2_pl, &int_pl0],
        ),
        ("selfleaf", valid_leaf("selfleaf").self_signed(), vec![]),
        (
            "leaf_int3",
            valid_leaf("leaf_int3").signed_by(&int3),
            vec![&int3, &int2, &int],
        ),
        (
            "leaf_intnobc",
            valid_leaf("leaf_intnobc").signed_by(&int_nobc),
            vec![&int_nobc],
        ),
        (
            "leaf_unkexp",
            leaf("leaf_unkexp")
                .validity(n - 400 * DAY, n - 30 * DAY)
                .signed_by(&unk),
            vec![],
        ),
        (
            "leaf_rev_exp",
            leaf("leaf_rev_exp")
                .validity(n - 400 * DAY, n - 30 * DAY)
                .signed_by(&int),
            vec![&int],
        ),
        (
            "leaf_rev",
            valid_leaf("leaf_rev").signed_by(&int),
            vec![&int],
        ),
    ];
    let mut files = BTreeMap::new();
    let w = |name: &str, body: &str| fs::write(dir.join(name), body).unwrap();
    w("server.pem", &format!("{}{}", server.pem, server_ca.pem));
    w("server.key", &server.key.serialize_pem());
    w("root.pem", &root.pem);
    w("int.pem", &int.pem);
    w("unk.pem", &unk.pem);
    // The CAs' keys beside them, as on a machine that issues certificates (the fixes
    // find them there).
    w("root.key", &root.key.serialize_pem());
    w("int.key", &int.key.serialize_pem());
    // root as a TRUSTED CERTIFICATE whose trust settings reject clientAuth
    // (`openssl x509 -addreject clientAuth -trustout`).
    let root_again = pki::Cert {
        params: root.params.clone(),
        key: rcgen::KeyPair::generate().unwrap(),
        der: root.der.clone(),
        pem: root.pem.clone(),
    };
    w(
        "root_reject_clientauth.pem",
        &root_again.with_aux(&[], &["1.3.6.1.5.5.7.3.2"]).pem,
    );
    w("root_int.pem", &format!("{}{}", root.pem, int.pem));
    w(
        "root_int_int2.pem",
        &format!("{}{}{}", root.pem, int.pem, int2.pem),
    );
    let revoked: Vec<&Cert> = leaves
        .iter()
        .filter(|l| l.0 == "leaf_rev" || l.0 == "leaf_rev_exp")
        .map(|l| &l.1)
        .collect();
    let root_crl = crl_pem(&root, &[], n - DAY, n + 30 * DAY);
    let int_crl = crl_pem(&int, &revoked, n - DAY, n + 30 * DAY);
    let int_crl_expired = crl_pem(&int, &[], n - 60 * DAY, n - 30 * DAY);
    w("crl_all.pem", &format!("{root_crl}{int_crl}"));
    w("crl_int_only.pem", &int_crl);
    w(
        "crl_int_expired.pem",
        &format!("{int_crl_expired}{root_crl}"),
    );
    w(
        "crl_with_root.pem",
        &format!("{}{root_crl}{int_crl}", root.pem),
    );
    for (name, cert, sent) in &leaves {
        let mut pem = cert.pem.clone();
        for s in sent {
            pem.push_str(&s.pem);
        }
        w(&format!("{name}.crt"), &pem);
        w(&format!("{name}.key"), &cert.key.serialize_pem());
        files.insert(*name, pem);
    }
    // The root-issued client as DER (curl --cert-type DER).
    let der = leaves
        .iter()
        .find(|l| l.0 == "leaf_root")
        .map(|l| l.1.der.clone())
        .unwrap();
    fs::write(dir.join("leaf_root.der"), der).unwrap();
    // A PKCS#12 of the good client with its intermediate.
    let good = &leaves[0];
    let key = p12_keystore::PrivateKey::from_der(&good.1.key.serialize_der()).unwrap();
    let certs = vec![
        p12_keystore::Certificate::from_der(&good.1.der).unwrap(),
        p12_keystore::Certificate::from_der(&int.der).unwrap(),
    ];
    let mut ks = p12_keystore::KeyStore::new();
    ks.add_entry(
        "client",
        p12_keystore::KeyStoreEntry::PrivateKeyChain(p12_keystore::PrivateKeyChain::new(
            vec![1u8, 2, 3],
            key,
            certs,
        )),
    );
    fs::write(
        dir.join("leaf.p12"),
        ks.writer("s3cret-pw").write().unwrap(),
    )
    .unwrap();
    Pki { files, root }
}

/// Server profiles: (name, verify mode, directives).
fn profiles() -> Vec<(&'static str, &'static str, &'static str)> {
    let mut v = Vec::new();
    for mode in ["on", "optional", "optional_no_ca"] {
        v.push(("root", mode, "ssl_client_certificate root.pem;"));
    }
    for mode in ["on", "optional_no_ca"] {
        v.push(("intonly", mode, "ssl_client_certificate int.pem;"));
    }
    v.extend([
        ("bundle", "on", "ssl_client_certificate root_int.pem;"),
        (
            "trusted_int",
            "on",
            "ssl_client_certificate root.pem; ssl_trusted_certificate int.pem;",
        ),
        (
            "names_unk_trusted_root",
            "on",
            "ssl_client_certificate unk.pem; ssl_trusted_certificate root.pem;",
        ),
        (
            "crl_all",
            "on",
            "ssl_client_certificate root.pem; ssl_crl crl_all.pem;",
        ),
        (
            "crl_int_only",
            "on",
            "ssl_client_certificate root.pem; ssl_crl crl_int_only.pem;",
        ),
        (
            "crl_int_expired",
            "on",
            "ssl_client_certificate root.pem; ssl_crl crl_int_expired.pem;",
        ),
        (
            "crl_file_has_root",
            "on",
            "ssl_client_certificate unk.pem; ssl_crl crl_with_root.pem;",
        ),
        (
            "depth0",
            "on",
            "ssl_client_certificate root.pem; ssl_verify_depth 0;",
        ),
        (
            "depth2",
            "on",
            "ssl_client_certificate root.pem; ssl_verify_depth 2;",
        ),
        (
            "depth0_nca",
            "optional_no_ca",
            "ssl_client_certificate root.pem; ssl_verify_depth 0;",
        ),
        (
            "bundle3_depth1",
            "on",
            "ssl_client_certificate root_int_int2.pem; ssl_verify_depth 1;",
        ),
        (
            "bundle3_depth2",
            "on",
            "ssl_client_certificate root_int_int2.pem; ssl_verify_depth 2;",
        ),
        (
            "root_tls13",
            "on",
            "ssl_client_certificate root.pem; ssl_protocols TLSv1.2 TLSv1.3;",
        ),
        (
            "root_tls13",
            "optional_no_ca",
            "ssl_client_certificate root.pem; ssl_protocols TLSv1.2 TLSv1.3;",
        ),
        (
            "depth1",
            "on",
            "ssl_client_certificate root.pem; ssl_verify_depth 1;",
        ),
        (
            "nca_trusted_only",
            "optional_no_ca",
            "ssl_trusted_certificate root.pem;",
        ),
        ("nca_no_ca", "optional_no_ca", ""),
        (
            "auxreject_client",
            "on",
            "ssl_client_certificate unk.pem; ssl_trusted_certificate root_reject_clientauth.pem;",
        ),
        (
            "crl_all_nca",
            "optional_no_ca",
            "ssl_client_certificate root.pem; ssl_crl crl_all.pem;",
        ),
        (
            "crl_pinned_self",
            "on",
            "ssl_client_certificate selfleaf.crt; ssl_crl crl_all.pem;",
        ),
        (
            "error_page_redirect",
            "on",
            "ssl_client_certificate root.pem; error_page 495 496 https://login.example/;",
        ),
        (
            "error_page_403",
            "on",
            "ssl_client_certificate root.pem; error_page 495 496 = @mtlsfail; location @mtlsfail { return 403 \"no\\n\"; }",
        ),
        (
            "error_page_plain",
            "on",
            "ssl_client_certificate root.pem; error_page 495 496 /err; location = /err { return 200 \"err\\n\"; }",
        ),
    ]);
    v
}

/// (case id, profile, mode, client file (None = no certificate)).
fn scenarios() -> Vec<(
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
)> {
    let mut v = vec![
        ("good", "root", "on", Some("leaf")),
        ("absent", "root", "on", None),
        ("int_nowhere", "root", "on", Some("leaf_only")),
        ("unknown_ca", "root", "on", Some("leaf_unk")),
        ("unknown_ca_chain", "root", "on", Some("leaf_unk_chain")),
        ("expired_leaf", "root", "on", Some("leaf_exp")),
        ("notyet_leaf", "root", "on", Some("leaf_nyv")),
        ("expired_int", "root", "on", Some("leaf_intexp")),
        ("leaf_eku_server", "root", "on", Some("leaf_srv")),
        ("leaf_no_eku", "root", "on", Some("leaf_noeku")),
        ("int_ca_false", "root", "on", Some("leaf_intcaf")),
        ("int_eku_server", "root", "on", Some("leaf_intsrv")),
        ("pathlen0_exceeded", "root", "on", Some("leaf_pl")),
        ("selfsigned_leaf", "root", "on", Some("selfleaf")),
        ("leaf_from_root", "root", "on", Some("leaf_root")),
        ("chain_incl_root", "root", "on", Some("leaf_full")),
        ("default_depth_len3", "root", "on", Some("leaf_int2")),
        ("revoked_no_crl", "root", "on", Some("leaf_rev")),
        ("opt_good", "root", "optional", Some("leaf")),
        ("opt_absent", "root", "optional", None),
        ("opt_unknown_ca", "root", "optional", Some("leaf_unk")),
        ("opt_expired", "root", "optional", Some("leaf_exp")),
        ("nca_absent", "root", "optional_no_ca", None),
        (
            "nca_int_nowhere",
            "root",
            "optional_no_ca",
            Some("leaf_only"),
        ),
        ("nca_unknown_ca", "root", "optional_no_ca", Some("leaf_unk")),
        (
            "nca_unknown_ca_chain",
            "root",
            "optional_no_ca",
            Some("leaf_unk_chain"),
        ),
        ("nca_selfsigned", "root", "optional_no_ca", Some("selfleaf")),
        ("nca_expired", "root", "optional_no_ca", Some("leaf_exp")),
        ("nca_eku_server", "root", "optional_no_ca", Some("leaf_srv")),
        (
            "nca_depth_len3",
            "root",
            "optional_no_ca",
            Some("leaf_int2"),
        ),
        ("partial_leafonly", "intonly", "on", Some("leaf_only")),
        ("partial_leaf_int", "intonly", "on", Some("leaf")),
        (
            "nca_partial",
            "intonly",
            "optional_no_ca",
            Some("leaf_only"),
        ),
        ("int_in_client_cert", "bundle", "on", Some("leaf_only")),
        ("int_in_trusted", "trusted_int", "on", Some("leaf_only")),
        (
            "trusted_only_root",
            "names_unk_trusted_root",
            "on",
            Some("leaf"),
        ),
        ("crl_good", "crl_all", "on", Some("leaf")),
        ("crl_revoked_leaf", "crl_all", "on", Some("leaf_rev")),
        ("crl_rootleaf", "crl_all", "on", Some("leaf_root")),
        ("crl_missing_for_root", "crl_int_only", "on", Some("leaf")),
        ("crl_expired", "crl_int_expired", "on", Some("leaf")),
        (
            "crl_file_cert_trusted",
            "crl_file_has_root",
            "on",
            Some("leaf"),
        ),
        ("depth0_len1", "depth0", "on", Some("leaf_root")),
        ("depth0_len2", "depth0", "on", Some("leaf")),
        ("depth0_len3", "depth0", "on", Some("leaf_int2")),
        ("depth2_len3", "depth2", "on", Some("leaf_int2")),
        (
            "nca_depth0_len2",
            "depth0_nca",
            "optional_no_ca",
            Some("leaf"),
        ),
        (
            "bundle3_depth1",
            "bundle3_depth1",
            "on",
            Some("leaf_int2_only"),
        ),
        (
            "bundle3_depth2",
            "bundle3_depth2",
            "on",
            Some("leaf_int2_only"),
        ),
        (
            "error_page_unknown",
            "error_page_403",
            "on",
            Some("leaf_unk"),
        ),
        ("error_page_absent", "error_page_403", "on", None),
        ("error_page_good", "error_page_403", "on", Some("leaf")),
        (
            "error_page_no_eq",
            "error_page_plain",
            "on",
            Some("leaf_exp"),
        ),
    ];
    v.extend([
        ("depth1_len2", "depth1", "on", Some("leaf")),
        ("depth1_len3", "depth1", "on", Some("leaf_int2")),
        ("depth2_len4", "depth2", "on", Some("leaf_int3")),
        ("int_no_bc", "root", "on", Some("leaf_intnobc")),
        ("multi_expired_unknown", "root", "on", Some("leaf_unkexp")),
        (
            "nca_multi_expired_unknown",
            "root",
            "optional_no_ca",
            Some("leaf_unkexp"),
        ),
        (
            "multi_revoked_expired",
            "crl_all",
            "on",
            Some("leaf_rev_exp"),
        ),
        (
            "nca_revoked",
            "crl_all_nca",
            "optional_no_ca",
            Some("leaf_rev"),
        ),
        (
            "nca_trusted_only_good",
            "nca_trusted_only",
            "optional_no_ca",
            Some("leaf"),
        ),
        (
            "nca_no_ca_good",
            "nca_no_ca",
            "optional_no_ca",
            Some("leaf"),
        ),
        (
            "auxreject_clientauth",
            "auxreject_client",
            "on",
            Some("leaf"),
        ),
        (
            "error_page_redirect",
            "error_page_redirect",
            "on",
            Some("leaf_unk"),
        ),
        // OpenSSL 3.6+ no longer CRL-checks a self-signed certificate (issue #15).
        (
            "crl_pinned_selfsigned",
            "crl_pinned_self",
            "on",
            Some("selfleaf"),
        ),
        (
            "nca_crl_selfsigned",
            "crl_all_nca",
            "optional_no_ca",
            Some("selfleaf"),
        ),
        ("opt_int_nowhere", "root", "optional", Some("leaf_only")),
        ("opt_selfsigned", "root", "optional", Some("selfleaf")),
        ("der_leaf_root", "root", "on", Some("leaf_root.der")),
        // Over TLS 1.3 (curl --tlsv1.3): the same answers.
        ("tls13_good", "root_tls13", "on", Some("leaf")),
        ("tls13_absent", "root_tls13", "on", None),
        ("tls13_unknown_ca", "root_tls13", "on", Some("leaf_unk")),
        ("tls13_expired", "root_tls13", "on", Some("leaf_exp")),
        (
            "tls13_nca_unknown_ca",
            "root_tls13",
            "optional_no_ca",
            Some("leaf_unk"),
        ),
    ]);
    v.push(("p12_good", "root", "on", Some("leaf.p12")));
    v
}

/// What the tool said, what nginx did.
struct Outcome {
    verify: String,
    status: u16,
    rejected: bool,
    error_log: Option<String>,
}

fn run_tool(conf: &Path, dir: &Path, port: u16, client: Option<&str>, extra: &[&str]) -> Outcome {
    let mut cmd = tool();
    cmd.arg("verify")
        .arg("--nginx-binary")
        .arg(common::nginx_bin())
        .arg("--config")
        .arg(conf)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .args(["--format", "json"])
        .args(extra)
        .env("E2E_P12_PASSWORD", "s3cret-pw");
    if let Some(c) = client {
        if c.ends_with(".p12") {
            cmd.arg("--cert")
                .arg(dir.join(c))
                .args(["--password-env", "E2E_P12_PASSWORD"]);
        } else if let Some(stem) = c.strip_suffix(".der") {
            cmd.arg("--cert")
                .arg(dir.join(c))
                .arg("--key")
                .arg(dir.join(format!("{stem}.key")));
        } else {
            cmd.arg("--cert")
                .arg(dir.join(format!("{c}.crt")))
                .arg("--key")
                .arg(dir.join(format!("{c}.key")));
        }
    }
    let out = cmd.output().unwrap();
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "tool failed ({code}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    schema::check_schema(&doc);
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{doc:#}");
    let r = &results[0];
    let rejected = r["rejected"].as_bool().unwrap();
    assert_eq!(code == 1, rejected, "exit code vs rejected: {doc:#}");
    Outcome {
        verify: r["ssl_client_verify"].as_str().unwrap().to_string(),
        status: r["status"].as_u64().unwrap() as u16,
        rejected,
        error_log: r["error_log"].as_str().map(str::to_string),
    }
}

fn curl(
    port: u16,
    case: &str,
    dir: &Path,
    client: Option<&str>,
    sni: Option<&str>,
    host: Option<&str>,
) -> u16 {
    let mut cmd = Command::new("curl");
    cmd.args([
        "-sk",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--max-time",
        "10",
    ]);
    if let Some(c) = client {
        if c.ends_with(".p12") {
            cmd.args(["--cert-type", "P12", "--cert"])
                .arg(format!("{}:s3cret-pw", dir.join(c).display()));
        } else if let Some(stem) = c.strip_suffix(".der") {
            cmd.args(["--cert-type", "DER", "--cert"])
                .arg(dir.join(c))
                .arg("--key")
                .arg(dir.join(format!("{stem}.key")));
        } else {
            cmd.arg("--cert")
                .arg(dir.join(format!("{c}.crt")))
                .arg("--key")
                .arg(dir.join(format!("{c}.key")));
        }
    }
    if let Some(h) = host {
        cmd.arg("-H").arg(format!("Host: {h}"));
    }
    let url = match sni {
        Some(name) => {
            cmd.arg("--resolve").arg(format!("{name}:{port}:127.0.0.1"));
            format!("https://{name}:{port}/?case={case}")
        }
        None => format!("https://127.0.0.1:{port}/?case={case}"),
    };
    let out = cmd.arg(url).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

/// The access-log field `name="..."` or `name=...`.
fn field(line: &str, name: &str) -> Option<String> {
    let start = line.find(&format!("{name}="))? + name.len() + 1;
    let rest = &line[start..];
    if let Some(q) = rest.strip_prefix('"') {
        q.split('"').next().map(str::to_string)
    } else {
        rest.split(' ').next().map(str::to_string)
    }
}

/// The matrix configuration: one server per profile on its own port, and one socket
/// shared by a verifying and a non-verifying server. Returns the file, the port of
/// each (profile, mode) and the shared port.
fn matrix_conf(
    dir: &Path,
    profiles: &[(&'static str, &'static str, &'static str)],
) -> (PathBuf, Ports, u16) {
    let mut ports: Ports = BTreeMap::new();
    let mut servers = String::new();
    for (name, mode, directives) in profiles {
        let port = free_port();
        ports.insert((name, mode), port);
        servers.push_str(&format!(
            "server {{\n  listen 127.0.0.1:{port} ssl;\n  server_name localhost;\n  ssl_certificate server.pem;\n  ssl_certificate_key server.key;\n  ssl_verify_client {mode};\n  {directives}\n  location / {{ return 200 \"verify=$ssl_client_verify\\n\"; }}\n}}\n"
        ));
    }
    // One socket shared by a verifying default server and a non-verifying one (§5).
    let shared = free_port();
    servers.push_str(&format!(
        "server {{ listen 127.0.0.1:{shared} ssl; server_name a.test; ssl_certificate server.pem; ssl_certificate_key server.key; ssl_verify_client on; ssl_client_certificate root.pem; location / {{ return 200 \"a\\n\"; }} }}\n\
         server {{ listen 127.0.0.1:{shared} ssl; server_name b.test; ssl_certificate server.pem; ssl_certificate_key server.key; ssl_verify_client off; ssl_client_certificate root.pem; location / {{ return 200 \"b\\n\"; }} }}\n"
    ));
    let conf = dir.join("nginx.conf");
    fs::write(
        &conf,
        format!(
            "{}http {{\n{}log_format e2e 'uri=$request_uri status=$status verify=\"$ssl_client_verify\"';\naccess_log {}/access.log e2e;\n{servers}}}\n",
            preamble(dir),
            http_temp_paths(dir),
            dir.display()
        ),
    )
    .unwrap();
    (conf, ports, shared)
}

type Ports = BTreeMap<(&'static str, &'static str), u16>;

#[test]
fn verify_matches_real_nginx() {
    if !have_tools(&["nginx", "curl"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let pki = build_pki(dir);
    assert!(pki.files.len() > 10);
    let profiles = profiles();
    let (conf, ports, shared) = matrix_conf(dir, &profiles);
    if let Ok(keep) = std::env::var("VERIFY_E2E_KEEP") {
        keep_for_docs(dir, Path::new(&keep), &profiles);
    }
    let first = *ports.values().next().unwrap();
    let mut nginx = match Nginx::start(dir, &conf, first) {
        Ok(n) => n,
        Err(e) => panic!("nginx did not start: {e}"),
    };

    struct Row {
        case: String,
        port: u16,
        client: Option<&'static str>,
        curl_status: u16,
        tool: Outcome,
    }
    let mut rows = Vec::new();
    for (case, profile, mode, client) in scenarios() {
        let port = ports[&(profile, mode)];
        let curl_status = curl(port, case, dir, client, None, None);
        let tool = run_tool(&conf, dir, port, client, &[]);
        rows.push(Row {
            case: case.into(),
            port,
            client,
            curl_status,
            tool,
        });
    }
    // SNI / Host cases on the shared socket: (case, sni, host, client).
    type SniCase = (
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
    );
    let sni_cases: [SniCase; 4] = [
        (
            "sni_misdirected",
            Some("b.test"),
            Some("a.test"),
            Some("leaf"),
        ),
        (
            "sni_match_good",
            Some("a.test"),
            Some("a.test"),
            Some("leaf"),
        ),
        ("nosni_host_b", None, Some("b.test"), Some("leaf_unk")),
        ("sni_b_host_b", Some("b.test"), Some("b.test"), Some("leaf")),
    ];
    for (case, sni, host, client) in sni_cases {
        let curl_status = curl(shared, case, dir, client, sni, host);
        let mut extra = Vec::new();
        if let Some(s) = sni {
            extra.extend(["--sni", s]);
        }
        if let Some(h) = host {
            extra.extend(["--host", h]);
        }
        let tool = run_tool(&conf, dir, shared, client, &extra);
        rows.push(Row {
            case: case.into(),
            port: shared,
            client,
            curl_status,
            tool,
        });
    }
    nginx.stop();

    let access = fs::read_to_string(dir.join("access.log")).unwrap();
    let errors = fs::read_to_string(dir.join("error.log")).unwrap();
    let mut logged: BTreeMap<String, (u16, String)> = BTreeMap::new();
    for line in access.lines() {
        if let (Some(u), Some(s), Some(v)) = (
            field(line, "uri"),
            field(line, "status"),
            field(line, "verify"),
        ) {
            let c = u.split("case=").nth(1).unwrap_or("").to_string();
            logged.insert(c, (s.parse().unwrap_or(0), v));
        }
    }
    let mut failures = Vec::new();
    // What nginx did in each case: ($ssl_client_verify, rejected).
    let mut seen: BTreeMap<String, (String, bool)> = BTreeMap::new();
    for r in &rows {
        let Some((status, verify)) = logged.get(&r.case) else {
            failures.push(format!("{}: no access-log line", r.case));
            continue;
        };
        let _ = status;
        let nginx_verify = if verify == "-" {
            String::new()
        } else {
            verify.clone()
        };
        let expect_rejected = r.curl_status != 200;
        seen.insert(r.case.clone(), (nginx_verify.clone(), expect_rejected));
        let mut bad = Vec::new();
        if r.tool.verify != nginx_verify {
            bad.push(format!(
                "ssl_client_verify: tool {} nginx {}",
                r.tool.verify, nginx_verify
            ));
        }
        if r.tool.status != r.curl_status {
            bad.push(format!(
                "status: tool {} curl {}",
                r.tool.status, r.curl_status
            ));
        }
        if r.tool.rejected != expect_rejected {
            bad.push(format!(
                "rejected: tool {} curl {}",
                r.tool.rejected, r.curl_status
            ));
        }
        // error.log: the line for this request, up to the client address.
        let nginx_msg = errors
            .lines()
            .find(|l| l.contains(&format!("case={} ", r.case)) && l.contains("[info]"))
            .and_then(|l| l.split_once(": *").map(|(_, m)| m))
            .and_then(|m| m.split_once(' ').map(|(_, m)| m))
            .map(|l| l.split(", client:").next().unwrap_or("").to_string());
        let tool_msg = r
            .tool
            .error_log
            .as_ref()
            .map(|l| l.split(", client:").next().unwrap_or("").to_string());
        if nginx_msg != tool_msg {
            bad.push(format!("error.log: tool {tool_msg:?} nginx {nginx_msg:?}"));
        }
        eprintln!(
            "{:<24} curl {} nginx {:<55} tool {} {}",
            r.case, r.curl_status, nginx_verify, r.tool.status, r.tool.verify
        );
        if !bad.is_empty() {
            failures.push(format!(
                "{} (port {}, client {:?}): {}",
                r.case,
                r.port,
                r.client,
                bad.join("; ")
            ));
        }
    }
    eprintln!("{} scenarios run against nginx", rows.len());
    assert!(rows.len() >= 40);
    assert!(
        failures.is_empty(),
        "{} of {} scenarios differ:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );

    // The OpenSSL harness on OpenSSL 3.0 (nginx's setup reproduced in-process) must
    // decide every scenario of the matrix as this nginx did (issue #15). The SNI cases
    // above choose a server, which the harness does not model.
    let Some(python) = harness_python("3.0") else {
        return;
    };
    let harness = run_harness(&python, dir, &profiles);
    let mut differ = Vec::new();
    for (case, _, _, _) in scenarios() {
        let (nginx_verify, nginx_rejected) = &seen[case];
        let h = &harness[case];
        if (&h.verify, h.rejected) != (nginx_verify, *nginx_rejected) {
            differ.push(format!(
                "{case}: harness {} rejected={} ({}), nginx {nginx_verify} rejected={nginx_rejected}",
                h.verify, h.rejected, h.openssl
            ));
        }
    }
    eprintln!(
        "{} scenarios run on the harness ({})",
        harness.len(),
        harness.values().next().map_or("", |h| h.openssl.as_str())
    );
    assert!(
        differ.is_empty(),
        "the harness on OpenSSL 3.0 differs from nginx in {} scenarios:\n{}",
        differ.len(),
        differ.join("\n")
    );
}

// ---------------------------------------------------------------------------------
// The OpenSSL harness (tools/openssl-harness, issue #15): nginx's verification set up
// in-process on the OpenSSL that each `cryptography` wheel bundles, one venv per
// OpenSSL version made by `tools/openssl-harness/setup.sh DIR` (`.ci/run` does it).

/// The OpenSSL versions the harness must have; others present in the venv directory
/// (3.1 to 3.4) are run too.
const HARNESS_REQUIRED: [&str; 3] = ["3.0", "3.5", "4.0"];

/// The directory of the venvs: `OPENSSL_HARNESS_VENVS`, default `target/openssl-venvs`.
fn harness_dir() -> PathBuf {
    std::env::var_os("OPENSSL_HARNESS_VENVS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/openssl-venvs"))
}

/// The Python of the venv for `version`, or None with a visible SKIP (a failure under
/// `REQUIRE_NGINX=1`).
fn harness_python(version: &str) -> Option<PathBuf> {
    let python = harness_dir().join(version).join("bin/python");
    if python.is_file() {
        return Some(python);
    }
    let how = format!(
        "run tools/openssl-harness/setup.sh {} (or set OPENSSL_HARNESS_VENVS)",
        harness_dir().display()
    );
    if std::env::var("REQUIRE_NGINX").is_ok_and(|v| v == "1") {
        panic!("REQUIRE_NGINX=1 but the OpenSSL {version} harness venv is missing: {how}");
    }
    eprintln!("SKIP: no OpenSSL {version} harness venv; {how}");
    None
}

/// What the harness decided for one scenario.
struct HarnessOutcome {
    verify: String,
    rejected: bool,
    code: u64,
    openssl: String,
}

/// The harness's input line for a matrix scenario: the profile's trust files, depth,
/// CRL and protocols; the client's certificate and chain as PEM (the DER and PKCS#12
/// clients hold the same certificates as their `.crt`).
fn harness_line(
    dir: &Path,
    profiles: &[(&str, &str, &str)],
    (case, profile, mode, client): (&str, &str, &str, Option<&str>),
) -> serde_json::Value {
    let directives = profiles
        .iter()
        .find(|p| p.0 == profile && p.1 == mode)
        .map(|p| p.2)
        .unwrap();
    let mut line = serde_json::json!({"id": case, "mode": mode, "tls13": false});
    let path = |f: &str| serde_json::Value::from(dir.join(f).display().to_string());
    for d in directives.split(';') {
        match d.split_whitespace().collect::<Vec<_>>().as_slice() {
            ["ssl_client_certificate", f] => line["client_certificate"] = path(f),
            ["ssl_trusted_certificate", f] => line["trusted_certificate"] = path(f),
            ["ssl_crl", f] => line["crl"] = path(f),
            ["ssl_verify_depth", n] => line["depth"] = n.parse::<u64>().unwrap().into(),
            ["ssl_protocols", p @ ..] => line["tls13"] = p.contains(&"TLSv1.3").into(),
            _ => {}
        }
    }
    if let Some(c) = client {
        let stem = c
            .strip_suffix(".der")
            .or_else(|| c.strip_suffix(".p12"))
            .unwrap_or(c);
        line["cert"] = path(&format!("{stem}.crt"));
        line["key"] = path(&format!("{stem}.key"));
    }
    line
}

/// nginx >= 1.27.2 reads trust files through its cache (`--loader cache`).
fn harness_loader() -> &'static str {
    let v: Vec<u32> = common::nginx_version()
        .split('.')
        .map(|n| n.parse().unwrap_or(0))
        .collect();
    if v.as_slice() >= [1, 27, 2].as_slice() {
        "cache"
    } else {
        "legacy"
    }
}

/// Runs every scenario of the matrix on the harness of `python`.
fn run_harness(
    python: &Path,
    dir: &Path,
    profiles: &[(&str, &str, &str)],
) -> BTreeMap<String, HarnessOutcome> {
    use std::io::Write;
    let input: String = scenarios()
        .into_iter()
        .map(|s| format!("{}\n", harness_line(dir, profiles, s)))
        .collect();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/openssl-harness/harness.py");
    let mut child = Command::new(python)
        .arg(script)
        .args(["--loader", harness_loader()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{} harness.py failed",
        python.display()
    );
    let mut results = BTreeMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            v.get("harness_error").is_none() && v.get("handshake_error").is_none(),
            "{}: {v}",
            python.display()
        );
        results.insert(
            v["id"].as_str().unwrap().to_string(),
            HarnessOutcome {
                verify: v["ssl_client_verify"].as_str().unwrap().to_string(),
                rejected: v["nginx_status"].as_u64().unwrap() != 200,
                code: v["code"].as_u64().unwrap(),
                openssl: v["openssl"].as_str().unwrap().to_string(),
            },
        );
    }
    assert_eq!(results.len(), scenarios().len(), "{}", python.display());
    results
}

/// `verify --openssl-version X.Y` decides every scenario of the matrix as the harness
/// on that OpenSSL does (the same `$ssl_client_verify`, the same rejection), and
/// MTLS109 (a CA without its CRL) is reported exactly where that OpenSSL refuses a
/// chain for a missing CRL.
#[test]
fn verify_follows_the_openssl_harness_on_each_version() {
    if !have_tools(&["nginx"]) {
        return;
    }
    let mut versions: Vec<String> = HARNESS_REQUIRED.iter().map(|v| v.to_string()).collect();
    if let Ok(entries) = fs::read_dir(harness_dir()) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !versions.contains(&name) && e.path().join("bin/python").is_file() {
                versions.push(name);
            }
        }
    }
    versions.sort();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    build_pki(dir);
    let profiles = profiles();
    let (conf, ports, _) = matrix_conf(dir, &profiles);
    // MTLS109's configurations, each with the scenario that shows what OpenSSL does:
    // the intermediate's CRL only (the root's missing), and a pinned self-signed
    // client certificate with a CRL file that has none of its own.
    let crl_confs: Vec<(&str, PathBuf)> = [
        ("crl_missing_for_root", "root.pem", "crl_int_only.pem"),
        ("crl_pinned_selfsigned", "selfleaf.crt", "crl_all.pem"),
    ]
    .into_iter()
    .map(|(case, ca, crl)| {
        let path = dir.join(format!("{case}.conf"));
        fs::write(
            &path,
            format!(
                "{}http {{\n{}server {{ listen 127.0.0.1:{} ssl; ssl_certificate server.pem; ssl_certificate_key server.key; ssl_verify_client on; ssl_client_certificate {ca}; ssl_crl {crl}; }}\n}}\n",
                preamble(dir),
                http_temp_paths(dir),
                free_port()
            ),
        )
        .unwrap();
        (case, path)
    })
    .collect();
    let mut differ = Vec::new();
    let mut ran = 0;
    for version in &versions {
        let Some(python) = harness_python(version) else {
            continue;
        };
        let harness = run_harness(&python, dir, &profiles);
        for (case, profile, mode, client) in scenarios() {
            let h = &harness[case];
            let port = ports[&(profile, mode)];
            let tool = run_tool(&conf, dir, port, client, &["--openssl-version", version]);
            ran += 1;
            if (&tool.verify, tool.rejected) != (&h.verify, h.rejected) {
                differ.push(format!(
                    "{version} {case}: tool {} rejected={}, harness ({}) {} rejected={}",
                    tool.verify, tool.rejected, h.openssl, h.verify, h.rejected
                ));
            }
        }
        // MTLS109 where this OpenSSL rejects the chain for a missing CRL (error 3).
        for (case, crl_conf) in &crl_confs {
            let needs_crl = harness[*case].code == 3;
            let out = tool()
                .args(["lint", "--format", "json", "--openssl-version", version])
                .arg(crl_conf)
                .output()
                .unwrap();
            let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let mtls109 = doc["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["code"] == "MTLS109");
            if mtls109 != needs_crl {
                differ.push(format!(
                    "{version} {case}: MTLS109 reported={mtls109}, the harness's code is {}",
                    harness[*case].code
                ));
            }
        }
        eprintln!(
            "OpenSSL {version} ({}): {} scenarios",
            harness["good"].openssl,
            harness.len()
        );
    }
    eprintln!("{ran} verify calls compared with the harness");
    assert!(
        differ.is_empty(),
        "{} differences:\n{}",
        differ.len(),
        differ.join("\n")
    );
}

/// `VERIFY_E2E_KEEP=DIR`: copies the PKI to DIR and writes DIR/nginx.conf, one socket
/// (127.0.0.1:8443) with one server per profile named `<profile>-<mode>.test`, for the
/// worked examples in docs/verify.md.
fn keep_for_docs(dir: &Path, keep: &Path, profiles: &[(&str, &str, &str)]) {
    fs::create_dir_all(keep).unwrap();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            fs::copy(&p, keep.join(p.file_name().unwrap())).unwrap();
        }
    }
    let mut conf = String::from(
        "events {}\nhttp {\n    log_format mtls 'status=$status verify=\"$ssl_client_verify\" dn=\"$ssl_client_s_dn\"';\n    access_log /dev/null mtls;\n    ssl_certificate server.pem;\n    ssl_certificate_key server.key;\n",
    );
    for (name, mode, directives) in profiles {
        let host = format!("{}-{}.test", name.replace('_', "-"), mode.replace('_', "-"));
        conf.push_str(&format!(
            "    server {{\n        listen 127.0.0.1:8443 ssl;\n        server_name {host};\n        ssl_verify_client {mode};\n        {directives}\n        location / {{ return 200 \"verify=$ssl_client_verify\\n\"; }}\n    }}\n"
        ));
    }
    conf.push_str("}\n");
    fs::write(keep.join("nginx.conf"), conf).unwrap();
}

// ---------------------------------------------------------------------------------
// The request after the handshake (issue #14): location choice, `if`/`map` on the
// client variables, `error_page`, `deny`, what the backend receives; a configuration
// nginx refuses; client material curl cannot use; a re-keyed and a replaced CA. For
// each scenario the tool's status must equal curl's and the access log's, and the
// directive it names (file:line) must be the one marked `# M:<id>` in the
// configuration.

/// `verify --format json` with `--path`; the first result and the exit code.
fn tool_json(conf: &Path, port: u16, args: &[String]) -> (serde_json::Value, i32) {
    let out = tool()
        .arg("verify")
        .arg("--nginx-binary")
        .arg(common::nginx_bin())
        .arg("--config")
        .arg(conf)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .args(["--format", "json"])
        .args(args)
        .env("E2E_P12_PASSWORD", "s3cret-pw")
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "tool failed ({code}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    schema::check_schema(&doc);
    (doc, code)
}

/// The tool's arguments and curl's for a client (`name`, `name.p12`, `crt+key`).
fn client_args(dir: &Path, client: Option<&str>) -> (Vec<String>, Vec<String>) {
    let d = |f: &str| dir.join(f).display().to_string();
    match client {
        None => (vec![], vec![]),
        Some(c) if c.ends_with(".p12") => (
            vec![
                "--cert".into(),
                d(c),
                "--password-env".into(),
                "E2E_P12_PASSWORD".into(),
            ],
            vec![
                "--cert-type".into(),
                "P12".into(),
                "--cert".into(),
                format!("{}:s3cret-pw", d(c)),
            ],
        ),
        Some(c) => {
            let (crt, key) = c.split_once('+').unwrap_or((c, c));
            let v = vec![
                "--cert".into(),
                d(&format!("{crt}.crt")),
                "--key".into(),
                d(&format!("{key}.key")),
            ];
            (v.clone(), v)
        }
    }
}

/// curl's status (0 = no HTTP answer) and exit code.
fn curl_path(port: u16, case: &str, path: &str, curl_args: &[String]) -> (u16, i32) {
    let out = Command::new("curl")
        .args([
            "-sk",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "10",
        ])
        .args(curl_args)
        .arg(format!("https://127.0.0.1:{port}{path}?case={case}"))
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(0),
        out.status.code().unwrap_or(-1),
    )
}

fn marker_line(conf_text: &str, id: &str) -> usize {
    conf_text
        .lines()
        .position(|l| l.contains(&format!("# M:{id}\n")) || l.ends_with(&format!("# M:{id}")))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("no marker {id}"))
}

fn openssl(args: &[&str], dir: &Path) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn request_matches_real_nginx() {
    if !have_tools(&["nginx", "curl", "openssl"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let _pki = build_pki(dir);
    // Material of this test: a re-keyed root (same name, new key), a legacy PKCS#12.
    let rekeyed = valid_ca("root").self_signed();
    fs::write(dir.join("root_rekeyed.pem"), &rekeyed.pem).unwrap();
    openssl(
        &[
            "pkcs12",
            "-export",
            "-legacy",
            "-out",
            "legacy.p12",
            "-inkey",
            "leaf.key",
            "-in",
            "leaf.crt",
            "-passout",
            "pass:s3cret-pw",
        ],
        dir,
    );
    let serial = openssl(&["x509", "-in", "leaf.crt", "-noout", "-serial"], dir)
        .trim()
        .trim_start_matches("serial=")
        .to_string();
    let fp = openssl(
        &[
            "x509",
            "-in",
            "leaf_full.crt",
            "-noout",
            "-fingerprint",
            "-sha1",
        ],
        dir,
    )
    .trim()
    .split('=')
    .nth(1)
    .unwrap()
    .replace(':', "")
    .to_ascii_lowercase();
    fs::create_dir_all(dir.join("www/local")).unwrap();
    fs::write(dir.join("www/denied.html"), "denied\n").unwrap();
    fs::write(dir.join("www/local/index.html"), "local\n").unwrap();
    let www = dir.join("www").display().to_string();

    let backend = free_port();
    let names = [
        "loc",
        "ifverify",
        "ifdn",
        "map",
        "ep_server",
        "ep_location",
        "ep_495_loc",
        "deny",
        "headers",
        "rekeyed",
        "replaced",
    ];
    let ports: BTreeMap<&str, u16> = names.iter().map(|n| (*n, free_port())).collect();
    let srv = |name: &str, mode: &str, ca: &str, body: &str| {
        format!(
            "server {{\n  listen 127.0.0.1:{} ssl;\n  server_name localhost;\n  ssl_certificate server.pem;\n  ssl_certificate_key server.key;\n  ssl_verify_client {mode};\n  ssl_client_certificate {ca};\n{body}\n}}\n",
            ports[name]
        )
    };
    let mut servers = String::new();
    servers.push_str(&srv("loc", "optional", "root.pem", "  location / { return 200 \"root\\n\"; } # M:root\n  location = /exact { return 201 \"x\\n\"; } # M:exact\n  location ^~ /static/ { return 202 \"s\\n\"; } # M:noregex\n  location /static/deep/ { return 207 \"d\\n\"; } # M:deep\n  location ~ \\.php$ { return 203 \"p\\n\"; } # M:regex\n  location ~* \\.JPG$ { return 206 \"j\\n\"; } # M:regexci\n  location /api/ { return 204 \"a\\n\"; # M:api\n    location ~ ^/api/v2/ { return 205 \"v2\\n\"; } # M:apiv2\n  }"));
    servers.push_str(&srv("ifverify", "optional_no_ca", "root.pem", "  if ($ssl_client_verify != SUCCESS) { return 403; } # M:srvif\n  location / { return 200 \"ok\\n\"; } # M:ok"));
    servers.push_str(&srv("ifdn", "on", "root.pem", &format!("  location / {{ if ($ssl_client_s_dn !~ \"^CN=leaf,\") {{ return 451; }} # M:dn\n    return 200 \"ok\\n\"; }} # M:dnok\n  location /int {{ if ($ssl_client_i_dn != \"CN=int,O=Example\") {{ return 409; }} # M:idn\n    return 200 \"ok\\n\"; }} # M:idnok\n  location /serial {{ if ($ssl_client_serial = \"{serial}\") {{ return 410; }} # M:serial\n    return 200 \"ok\\n\"; }} # M:serialok\n  location /fp {{ if ($ssl_client_fingerprint = {fp}) {{ return 429; }} # M:fp\n    return 200 \"ok\\n\"; }} # M:fpok")));
    servers.push_str(&srv("map", "optional", "root.pem", "  location / { if ($mtls_allowed = 0) { return 401; } # M:map\n    return 200 \"ok\\n\"; } # M:mapok"));
    servers.push_str(&srv("ep_server", "optional", "root.pem", "  error_page 403 = @denied; # M:ep_server\n  location @denied { return 429 \"denied\\n\"; }\n  location / { if ($ssl_client_verify != SUCCESS) { return 403; }\n    return 200 \"ok\\n\"; } # M:epok"));
    servers.push_str(&srv("ep_location", "optional", "root.pem", &format!("  location / {{ error_page 403 /denied.html; # M:ep_loc\n    if ($ssl_client_verify != SUCCESS) {{ return 403; }}\n    return 200 \"ok\\n\"; }}\n  location = /denied.html {{ root {www}; }}\n  location /alt {{ error_page 403 = /altpage; # M:ep_eq\n    if ($ssl_client_verify != SUCCESS) {{ return 403; }}\n    return 200 \"ok\\n\"; }}\n  location = /altpage {{ return 409 \"alt\\n\"; }}")));
    servers.push_str(&srv(
        "ep_495_loc",
        "on",
        "root.pem",
        "  location / { error_page 495 496 =403 /x; return 200 \"ok\\n\"; } # M:ignored495",
    ));
    servers.push_str(&srv("deny", "optional", "root.pem", &format!("  location /admin {{ deny all; return 200 \"return runs first\\n\"; }} # M:deny_return\n  location /admin2 {{ deny all; }} # M:deny\n  location /local {{ allow 127.0.0.1; deny all; root {www}; }} # M:allow")));
    servers.push_str(&srv("headers", "optional", "root.pem", &format!("  location / {{ proxy_set_header X-Client-DN $ssl_client_s_dn; proxy_set_header X-Client-Verify $ssl_client_verify; proxy_pass http://127.0.0.1:{backend}; }} # M:proxy")));
    servers.push_str(&srv(
        "rekeyed",
        "on",
        "root_rekeyed.pem",
        "  location / { return 200 \"ok\\n\"; }",
    ));
    servers.push_str(&srv(
        "replaced",
        "on",
        "unk.pem",
        "  location / { return 200 \"ok\\n\"; }",
    ));
    servers.push_str(&format!(
        "server {{ listen 127.0.0.1:{backend}; access_log {}/backend.log hdr; location / {{ return 200 \"backend\\n\"; }} }}\n",
        dir.display()
    ));
    let conf = dir.join("nginx.conf");
    let conf_text = format!(
        "{}http {{\n{}map $ssl_client_s_dn $mtls_allowed {{ default 0; \"CN=leaf,O=Example\" 1; ~^CN=leaf_full, 1; }}\nlog_format e2e 'uri=$request_uri status=$status verify=\"$ssl_client_verify\"';\nlog_format hdr 'uri=$request_uri dn=\"$http_x_client_dn\" v=\"$http_x_client_verify\"';\naccess_log {}/access.log e2e;\n{servers}}}\n",
        preamble(dir),
        http_temp_paths(dir),
        dir.display()
    );
    fs::write(&conf, &conf_text).unwrap();
    let mut nginx = Nginx::start(dir, &conf, ports["loc"]).unwrap_or_else(|e| panic!("nginx: {e}"));

    // (case, server, client, path, marker of the deciding directive).
    let matrix: Vec<(&str, &str, Option<&str>, &str, &str)> = vec![
        ("loc_root", "loc", Some("leaf"), "/", "root"),
        ("loc_exact", "loc", Some("leaf"), "/exact", "exact"),
        ("loc_exact_more", "loc", Some("leaf"), "/exact/more", "root"),
        (
            "loc_noregex",
            "loc",
            Some("leaf"),
            "/static/a.php",
            "noregex",
        ),
        ("loc_regex", "loc", Some("leaf"), "/b/a.php", "regex"),
        ("loc_regex_ci", "loc", None, "/b/a.jpg", "regexci"),
        (
            "loc_longer_prefix_regex",
            "loc",
            None,
            "/static/deep/a.php",
            "regex",
        ),
        ("loc_longer_prefix", "loc", None, "/static/deep/x", "deep"),
        ("loc_nested_prefix", "loc", Some("leaf"), "/api/v1", "api"),
        (
            "loc_nested_regex",
            "loc",
            Some("leaf"),
            "/api/v2/x",
            "apiv2",
        ),
        ("if_verify_absent", "ifverify", None, "/", "srvif"),
        (
            "if_verify_unknown",
            "ifverify",
            Some("leaf_unk"),
            "/",
            "srvif",
        ),
        ("if_verify_good", "ifverify", Some("leaf"), "/", "ok"),
        ("if_sdn_good", "ifdn", Some("leaf"), "/", "dnok"),
        ("if_sdn_other", "ifdn", Some("leaf_full"), "/", "dn"),
        ("if_idn_int", "ifdn", Some("leaf"), "/int", "idnok"),
        ("if_idn_root", "ifdn", Some("leaf_root"), "/int", "idn"),
        ("if_serial_hit", "ifdn", Some("leaf"), "/serial", "serial"),
        (
            "if_serial_miss",
            "ifdn",
            Some("leaf_full"),
            "/serial",
            "serialok",
        ),
        ("if_fp_hit", "ifdn", Some("leaf_full"), "/fp", "fp"),
        ("if_fp_miss", "ifdn", Some("leaf"), "/fp", "fpok"),
        ("map_exact", "map", Some("leaf"), "/", "mapok"),
        ("map_regex", "map", Some("leaf_full"), "/", "mapok"),
        ("map_default", "map", Some("leaf_root"), "/", "map"),
        ("map_absent", "map", None, "/", "map"),
        ("ep_server_absent", "ep_server", None, "/", "ep_server"),
        ("ep_server_good", "ep_server", Some("leaf"), "/", "epok"),
        ("ep_location_absent", "ep_location", None, "/", "ep_loc"),
        ("ep_location_eq", "ep_location", None, "/alt", "ep_eq"),
        ("ep_495_in_location", "ep_495_loc", None, "/", "-"),
        ("deny_after_return", "deny", None, "/admin", "deny_return"),
        ("deny_all", "deny", None, "/admin2", "deny"),
        ("allow_local", "deny", None, "/local/", "allow"),
        ("proxy_headers", "headers", Some("leaf"), "/", "-"),
        ("rekeyed_ca", "rekeyed", Some("leaf_root"), "/", "-"),
        ("replaced_ca", "replaced", Some("leaf_root"), "/", "-"),
    ];
    let mut failures = Vec::new();
    let mut tool_out = BTreeMap::new();
    for (case, server, client, path, _) in &matrix {
        let port = ports[server];
        let (targs, cargs) = client_args(dir, *client);
        let (status, _) = curl_path(port, case, path, &cargs);
        let mut a = targs.clone();
        a.extend(["--path".to_string(), path.to_string()]);
        let (doc, code) = tool_json(&conf, port, &a);
        tool_out.insert(*case, (status, doc, code));
    }
    // The legacy PKCS#12 and the key mismatch: curl cannot even connect.
    let unusable = [
        ("legacy_p12", "legacy.p12"),
        ("key_mismatch", "leaf+leaf_unk"),
    ];
    let mut unusable_out = Vec::new();
    for (case, client) in unusable {
        let (targs, cargs) = client_args(dir, Some(client));
        let (status, curl_code) = curl_path(ports["loc"], case, "/", &cargs);
        let (doc, code) = tool_json(&conf, ports["loc"], &targs);
        unusable_out.push((case, status, curl_code, doc, code));
    }
    // The legacy PKCS#12's fix, applied: a new AES archive curl loads.
    let legacy_fix = unusable_out[0].3["client"]["fixes"][0]
        .as_str()
        .unwrap_or("")
        .to_string();
    let cmd = legacy_fix
        .split_once(": ")
        .map(|(_, c)| c.split(", then curl").next().unwrap_or("").to_string())
        .unwrap_or_default();
    let ran = Command::new("bash")
        .arg("-c")
        .arg(&cmd)
        .env("P12_PASSWORD", "s3cret-pw")
        .current_dir(dir)
        .output()
        .unwrap();
    let fixed_p12 = dir.join("legacy-aes.p12");
    let (fixed_status, _) = curl_path(
        ports["loc"],
        "legacy_fixed",
        "/",
        &client_args(dir, Some("legacy-aes.p12")).1,
    );
    nginx.stop();

    let access = fs::read_to_string(dir.join("access.log")).unwrap();
    let logged: BTreeMap<String, u16> = access
        .lines()
        .filter_map(|l| {
            let u = field(l, "uri")?;
            let c = u.split("case=").nth(1)?.to_string();
            Some((c, field(l, "status")?.parse().ok()?))
        })
        .collect();
    for (case, _, _, _, marker) in &matrix {
        let (curl_status, doc, code) = &tool_out[case];
        let r = &doc["results"][0];
        let tool_status = r["status"].as_u64().unwrap_or(0) as u16;
        let by = r["decided_by"].as_str().unwrap_or("").to_string();
        let verdict = r["verdict"].as_str().unwrap_or("");
        let mut bad = Vec::new();
        if Some(curl_status) != logged.get(*case) {
            bad.push(format!(
                "curl {curl_status} access.log {:?}",
                logged.get(*case)
            ));
        }
        if tool_status != *curl_status {
            bad.push(format!("status: tool {tool_status} curl {curl_status}"));
        }
        if (*code == 0) != (verdict == "accepted")
            || (verdict == "accepted") != (*curl_status < 400)
        {
            bad.push(format!("verdict {verdict} exit {code} curl {curl_status}"));
        }
        if *marker != "-" {
            let want = format!("nginx.conf:{}", marker_line(&conf_text, marker));
            if !by.contains(&want) {
                bad.push(format!(
                    "decided_by {by:?} does not name {want} (M:{marker})"
                ));
            }
        }
        eprintln!("{case:<26} curl {curl_status} tool {tool_status} {verdict:<9} {by}");
        if !bad.is_empty() {
            failures.push(format!("{case}: {}", bad.join("; ")));
        }
    }
    // 495/496 are decided at the server level: error_page in a location does not apply.
    let r = &tool_out["ep_495_in_location"].1["results"][0];
    if r["nginx_status"] != 496
        || !r["decided_by"]
            .as_str()
            .unwrap_or("")
            .contains("ssl_verify_client")
    {
        failures.push(format!("ep_495_in_location: {r}"));
    }
    // What the backend receives.
    let backend_log = fs::read_to_string(dir.join("backend.log")).unwrap_or_default();
    let got_dn = backend_log
        .lines()
        .find_map(|l| field(l, "dn"))
        .unwrap_or_default();
    let r = &tool_out["proxy_headers"].1["results"][0];
    let headers = r["request"]["backend_headers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let dn = headers
        .iter()
        .find(|h| h["name"] == "X-Client-DN")
        .and_then(|h| h["value"].as_str())
        .unwrap_or("");
    if dn != got_dn || got_dn.is_empty() || !r["request"]["status"].is_null() {
        failures.push(format!(
            "proxy_headers: tool {dn:?} backend {got_dn:?}; {r}"
        ));
    }
    // Re-keyed: the finding names the key, the fix puts the old CA (found in the
    // directory: root.pem signed the client) beside the new.
    let r = &tool_out["rekeyed_ca"].1["results"][0];
    let text = r.to_string();
    if !text.contains("re-keyed") || !text.contains(&format!("{}/root.pem", dir.display())) {
        failures.push(format!("rekeyed_ca: no re-keyed finding/fix: {text}"));
    }
    // Replaced CA (root-issued client, server trusts another root): no "send the
    // intermediate", no placeholder, the real root file.
    let r = &tool_out["replaced_ca"].1["results"][0];
    let fixes = r["fixes"].to_string();
    if fixes.contains("intermediate") || !fixes.contains(&format!("{}/root.pem", dir.display())) {
        failures.push(format!("replaced_ca: fixes {fixes}"));
    }
    for (case, status, curl_code, doc, code) in &unusable_out {
        let r = &doc["results"][0];
        if *status != 0 || *curl_code != 58 || r["verdict"] != "client_unusable" || *code != 1 {
            failures.push(format!(
                "{case}: curl {status} exit {curl_code}, tool verdict {} exit {code}",
                r["verdict"]
            ));
        }
        eprintln!("{case:<26} curl exit {curl_code} tool {}", r["verdict"]);
    }
    if !ran.status.success() || !fixed_p12.is_file() || fixed_status != 200 {
        failures.push(format!(
            "legacy fix `{cmd}` did not give a usable archive: {} / curl {fixed_status}",
            String::from_utf8_lossy(&ran.stderr)
        ));
    }
    let (doc, _) = tool_json(
        &conf,
        ports["loc"],
        &client_args(dir, Some("legacy-aes.p12")).0,
    );
    if doc["results"][0]["verdict"] != "accepted" {
        failures.push(format!(
            "legacy fixed: tool says {}",
            doc["results"][0]["verdict"]
        ));
    }

    // The re-keyed CA's fix and the replaced CA's fix applied: the bundle they write,
    // the directive they name.
    let cat_and_file = |case: &str| -> (String, String, bool) {
        let fix = tool_out[case].1["results"][0]["fixes"][0]
            .as_str()
            .unwrap_or("")
            .to_string();
        let cat = fix
            .split_once(": cat ")
            .map(|(_, c)| format!("cat {}", c.split(", then").next().unwrap_or("")))
            .unwrap_or_default();
        let file = fix
            .split("`ssl_client_certificate ")
            .nth(1)
            .and_then(|s| s.split(';').next())
            .unwrap_or("")
            .to_string();
        let ran = Command::new("bash")
            .arg("-c")
            .arg(&cat)
            .current_dir(dir)
            .output()
            .unwrap();
        (cat, file, ran.status.success() && !fix.is_empty())
    };
    let (cat, new_file, ran_ok) = cat_and_file("rekeyed_ca");
    let (root_cat, root_file, ran_root_ok) = cat_and_file("replaced_ca");
    let fixed_conf = conf_text
        .replacen(
            "ssl_client_certificate root_rekeyed.pem;",
            &format!("ssl_client_certificate {new_file};"),
            1,
        )
        .replacen(
            "ssl_client_certificate unk.pem;",
            &format!("ssl_client_certificate {root_file};"),
            1,
        );
    fs::write(&conf, &fixed_conf).unwrap();
    let mut nginx = Nginx::start(dir, &conf, ports["loc"]).unwrap_or_else(|e| panic!("nginx: {e}"));
    let (st, _) = curl_path(
        ports["rekeyed"],
        "rekeyed_fixed",
        "/",
        &client_args(dir, Some("leaf_root")).1,
    );
    let (st_root, _) = curl_path(
        ports["replaced"],
        "replaced_fixed",
        "/",
        &client_args(dir, Some("leaf_root")).1,
    );
    if !ran_root_ok || st_root != 200 {
        failures.push(format!(
            "replaced fix `{root_cat}` / {root_file}: curl {st_root}"
        ));
    }
    nginx.stop();
    if !ran_ok || st != 200 {
        failures.push(format!("rekeyed fix `{cat}` / {new_file}: curl {st}"));
    }

    // A configuration nginx refuses: the server key does not match its certificate,
    // and an unknown directive.
    let refused = [
        ("server_key_mismatch", "ssl_certificate_key leaf.key;"),
        ("unknown_directive", "ssl_verify_clients on;"),
    ];
    for (case, line) in refused {
        let bad = if case == "unknown_directive" {
            conf_text.replacen(
                "ssl_verify_client optional;",
                &format!("ssl_verify_client optional; {line}"),
                1,
            )
        } else {
            conf_text.replacen("ssl_certificate_key server.key;", line, 1)
        };
        let p = dir.join(format!("{case}.conf"));
        fs::write(&p, &bad).unwrap();
        let t = common::nginx_check(dir, &p, "-t");
        let (doc, code) = tool_json(&p, ports["loc"], &client_args(dir, Some("leaf")).0);
        let r = &doc["results"][0];
        let refusals = doc["nginx_refuses"]
            .as_array()
            .map(|a| a.len())
            .unwrap_or(0);
        eprintln!(
            "{case:<26} nginx -t {} tool {} ({refusals})",
            t.status.success(),
            r["verdict"]
        );
        if t.status.success() || r["verdict"] != "nginx_refuses" || code != 1 || refusals == 0 {
            failures.push(format!(
                "{case}: nginx -t ok={} tool {r}",
                t.status.success()
            ));
        }
    }
    let total = matrix.len() + unusable_out.len() + refused.len();
    eprintln!("{total} request scenarios run against nginx");
    assert!(total >= 30);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// One server of the fix test: its settings, its client, and what the fixes change.
struct FixCase {
    case: &'static str,
    mode: &'static str,
    /// `ssl_*` directives of the server (a fix replaces or adds one).
    directives: Vec<String>,
    body: String,
    client: Option<&'static str>,
    path: &'static str,
    /// A client the configuration lets through on purpose (for a DN policy).
    allowed: Option<&'static str>,
}

impl FixCase {
    fn server(&self, port: u16) -> String {
        format!(
            "server {{\n  listen 127.0.0.1:{port} ssl;\n  server_name localhost;\n  ssl_certificate server.pem;\n  ssl_certificate_key server.key;\n  ssl_verify_client {};\n  {}\n{}\n}}\n",
            self.mode,
            self.directives.join("\n  "),
            self.body
        )
    }

    /// Replaces the directive of the same name, or adds it.
    fn set(&mut self, directive: &str) {
        let name = directive
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_string();
        match self
            .directives
            .iter()
            .position(|d| d.split_whitespace().next() == Some(&name))
        {
            Some(i) => self.directives[i] = directive.to_string(),
            None => self.directives.push(directive.to_string()),
        }
    }
}

/// What applying a fix asks of the next request.
enum Applied {
    /// Send with these (tool arguments, curl arguments).
    Client(Vec<String>, Vec<String>),
    /// Same client, changed configuration.
    Config,
    /// Nothing to apply: it points at the other fixes.
    Refers,
}

/// Applies one printed fix: runs its commands in `dir` (as a user would paste them),
/// makes its configuration change, and returns how the next request is sent.
fn apply_fix(fix: &str, c: &mut FixCase, maps: &mut String, dir: &Path) -> Result<Applied, String> {
    let d = |f: &str| dir.join(f).display().to_string();
    if fix.contains("(the fixes above)") {
        return Ok(Applied::Refers);
    }
    if fix.contains(" on purpose") {
        // A DN policy: the configuration means it; a certificate it allows passes.
        let allowed = c.allowed.ok_or("no allowed client for a policy")?;
        let (t, c) = client_args(dir, Some(allowed));
        return Ok(Applied::Client(t, c));
    }
    let between = |a: &str, b: &str| -> Option<String> {
        let i = fix.find(a)? + a.len();
        let j = fix[i..].find(b)? + i;
        Some(fix[i..j].to_string())
    };
    if let Some(entry) = between("add `", "` to that map") {
        let i = maps.find('{').ok_or("no map")? + 1;
        maps.insert_str(i, &format!(" {entry}"));
        return Ok(Applied::Config);
    }
    if let Some(allow) = between("add `", "` (the client's address") {
        c.body = c
            .body
            .replacen("deny all;", &format!("{allow} deny all;"), 1);
        return Ok(Applied::Config);
    }
    // The commands: from the first `cat`/`openssl x509 -x509toreq` to `, then` or `&& curl`.
    let start = [": cat ", ": openssl x509 -x509toreq", ": (umask 077;"]
        .iter()
        .filter_map(|p| fix.find(p).map(|i| i + 2))
        .min();
    if let Some(start) = start {
        let rest = &fix[start..];
        let end = [", then ", " && curl "]
            .iter()
            .filter_map(|p| rest.find(p))
            .min()
            .unwrap_or(rest.len());
        let cmd = &rest[..end];
        let out = Command::new("bash")
            .arg("-c")
            .arg(cmd)
            .env("P12_PASSWORD", "s3cret-pw")
            .current_dir(dir)
            .output()
            .unwrap();
        if !out.status.success() {
            return Err(format!(
                "`{cmd}` failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    // A directive to set: after ", then `...;`", "set `...;`", or "`ssl_certificate_key ...;`".
    let directive = between(", then `", "`")
        .or_else(|| between("set `", "`"))
        .or_else(|| {
            between("`ssl_certificate_key ", "`").map(|a| format!("ssl_certificate_key {a}"))
        });
    if let Some(dv) = directive.filter(|d| d.ends_with(';')) {
        c.set(&dv);
        return Ok(Applied::Config);
    }
    // A client to send: curl's --cert/--key, the placeholders meaning "a certificate the
    // server trusts" (the good client's files).
    if let Some(p12) = between("--cert-type P12 --cert \"", ":$P12_PASSWORD\"") {
        let (t, c) = client_args(dir, Some(&p12));
        return Ok(Applied::Client(t, c));
    }
    if let Some(args) = between("curl -v ", " https://")
        .or_else(|| between("curl ", "\n"))
        .or_else(|| fix.find("curl --cert ").map(|i| fix[i + 5..].to_string()))
    {
        let args: Vec<String> = args
            .split_whitespace()
            .map(|a| match a {
                "CERT" => d("leaf.crt"),
                "KEY" => d("leaf.key"),
                a => a.to_string(),
            })
            .collect();
        return Ok(Applied::Client(args.clone(), args));
    }
    Err("no command, directive or client in it".into())
}

/// Every fix `verify` prints for a failing request, applied by the test as a user would
/// (its commands run, its directive set, nginx restarted, the request sent again), makes
/// the request succeed; the tool then predicts that success too. A DN policy is shown
/// instead: the configuration refuses the certificate on purpose, one it allows passes.
#[test]
fn printed_fixes_make_the_request_succeed() {
    if !have_tools(&["nginx", "curl", "openssl"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let pki = build_pki(dir);
    fs::create_dir_all(dir.join("www/admin")).unwrap();
    fs::write(dir.join("www/admin/index.html"), "admin\n").unwrap();
    let www = dir.join("www").display().to_string();
    let ca = |f: &str| vec![format!("ssl_client_certificate {f};")];
    let ok = "  location / { return 200 \"ok\\n\"; }".to_string();
    let fresh = || -> Vec<FixCase> {
        vec![
            FixCase { case: "absent_on", mode: "on", directives: ca("root.pem"), body: ok.clone(), client: None, path: "/", allowed: None },
            FixCase { case: "int_not_sent", mode: "on", directives: ca("root.pem"), body: ok.clone(), client: Some("leaf_only"), path: "/", allowed: None },
            FixCase { case: "unknown_root", mode: "on", directives: ca("root.pem"), body: ok.clone(), client: Some("leaf_unk"), path: "/", allowed: None },
            FixCase { case: "own_root_sent", mode: "on", directives: ca("root.pem"), body: ok.clone(), client: Some("leaf_unk_chain"), path: "/", allowed: None },
            FixCase { case: "partial_chain", mode: "on", directives: ca("int.pem"), body: ok.clone(), client: Some("leaf_only"), path: "/", allowed: None },
            FixCase { case: "depth", mode: "on", directives: ca("root.pem"), body: ok.clone(), client: Some("leaf_int2"), path: "/", allowed: None },
            FixCase { case: "expired_leaf", mode: "on", directives: ca("root.pem"), body: ok.clone(), client: Some("leaf_exp"), path: "/", allowed: None },
            FixCase { case: "self_signed", mode: "on", directives: ca("root.pem"), body: ok.clone(), client: Some("selfleaf"), path: "/", allowed: None },
            FixCase { case: "crl_for_root", mode: "on", directives: vec!["ssl_client_certificate root.pem;".into(), "ssl_crl crl_int_only.pem;".into()], body: ok.clone(), client: Some("leaf"), path: "/", allowed: None },
            FixCase { case: "p12_no_chain", mode: "on", directives: ca("root.pem"), body: ok.clone(), client: Some("leaf_only.p12"), path: "/", allowed: None },
            FixCase { case: "key_mismatch", mode: "on", directives: ca("root.pem"), body: ok.clone(), client: Some("leaf+leaf_unk"), path: "/", allowed: None },
            FixCase { case: "if_verify_absent", mode: "optional_no_ca", directives: ca("root.pem"), body: format!("  if ($ssl_client_verify != SUCCESS) {{ return 403; }}\n{ok}"), client: None, path: "/", allowed: None },
            FixCase { case: "if_verify_unknown", mode: "optional_no_ca", directives: ca("root.pem"), body: format!("  if ($ssl_client_verify != SUCCESS) {{ return 403; }}\n{ok}"), client: Some("leaf_unk"), path: "/", allowed: None },
            FixCase { case: "error_page_absent", mode: "optional", directives: ca("root.pem"), body: "  error_page 403 = @denied;\n  location @denied { return 429 \"denied\\n\"; }\n  location / { if ($ssl_client_verify != SUCCESS) { return 403; } return 200 \"ok\\n\"; }".into(), client: None, path: "/", allowed: None },
            FixCase { case: "map_default", mode: "optional", directives: ca("root.pem"), body: "  location / { if ($fix_allowed = 0) { return 401; } return 200 \"ok\\n\"; }".into(), client: Some("leaf_root"), path: "/", allowed: None },
            FixCase { case: "map_absent", mode: "optional", directives: ca("root.pem"), body: "  location / { if ($fix_allowed = 0) { return 401; } return 200 \"ok\\n\"; }".into(), client: None, path: "/", allowed: None },
            FixCase { case: "dn_policy", mode: "on", directives: ca("root.pem"), body: "  location / { if ($ssl_client_s_dn !~ \"^CN=leaf,\") { return 451; } return 200 \"ok\\n\"; }".into(), client: Some("leaf_full"), path: "/", allowed: Some("leaf") },
            FixCase { case: "deny", mode: "optional", directives: ca("root.pem"), body: format!("  location /admin {{ deny all; root {www}; }}"), client: Some("leaf"), path: "/admin/", allowed: None },
        ]
    };
    let initial_maps =
        "map $ssl_client_s_dn $fix_allowed { default 0; \"CN=leaf,O=Example\" 1; }\n".to_string();
    let ports: Vec<u16> = fresh().iter().map(|_| free_port()).collect();
    let conf = dir.join("nginx.conf");
    let write_conf = |cases: &[FixCase], maps: &str| {
        let servers: String = cases
            .iter()
            .zip(&ports)
            .map(|(c, p)| c.server(*p))
            .collect();
        fs::write(
            &conf,
            format!(
                "{}http {{\n{}{maps}log_format fx 'uri=$request_uri status=$status';\naccess_log {}/access.log fx;\n{servers}}}\n",
                preamble(dir),
                http_temp_paths(dir),
                dir.display()
            ),
        )
        .unwrap();
    };
    // A PKCS#12 of a client without its intermediate.
    openssl(
        &[
            "pkcs12",
            "-export",
            "-out",
            "leaf_only.p12",
            "-inkey",
            "leaf_only.key",
            "-in",
            "leaf_only.crt",
            "-passout",
            "pass:s3cret-pw",
        ],
        dir,
    );
    // The CRL a `openssl ca -gencrl` would make for the root (the test holds its key).
    fs::write(
        dir.join("root.crl"),
        crl_pem(&pki.root, &[], now() - DAY, now() + 30 * DAY),
    )
    .unwrap();

    // Round 0: what fails, and the fixes printed for it.
    let base = fresh();
    write_conf(&base, &initial_maps);
    let mut nginx = Nginx::start(dir, &conf, ports[0]).unwrap_or_else(|e| panic!("nginx: {e}"));
    let mut printed: Vec<Vec<String>> = Vec::new();
    let mut failures = Vec::new();
    for (c, port) in base.iter().zip(&ports) {
        let (targs, cargs) = client_args(dir, c.client);
        let (status, _) = curl_path(*port, c.case, c.path, &cargs);
        let mut a = targs.clone();
        a.extend(["--path".to_string(), c.path.to_string()]);
        let (doc, _) = tool_json(&conf, *port, &a);
        let r = &doc["results"][0];
        let fixes: Vec<String> = doc["client"]["fixes"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(r["fixes"].as_array().into_iter().flatten())
            .filter_map(|f| f.as_str().map(str::to_owned))
            .collect();
        if r["verdict"] == "accepted" || fixes.is_empty() {
            failures.push(format!(
                "{}: curl {status}, tool {} with fixes {fixes:?}",
                c.case, r["verdict"]
            ));
        }
        eprintln!(
            "{:<20} curl {status} tool {} {} fixes",
            c.case,
            r["verdict"],
            fixes.len()
        );
        for f in &fixes {
            eprintln!("    fix: {f}");
        }
        printed.push(fixes);
    }
    nginx.stop();

    // Round k applies the k-th fix of every case at once (each touches its own server).
    let rounds = printed.iter().map(Vec::len).max().unwrap_or(0);
    let mut applied = 0;
    for k in 0..rounds {
        let mut cases = fresh();
        let mut maps = initial_maps.clone();
        let mut sends: Vec<Option<(Vec<String>, Vec<String>)>> = Vec::new();
        for (i, c) in cases.iter_mut().enumerate() {
            let Some(fix) = printed[i].get(k) else {
                sends.push(None);
                continue;
            };
            match apply_fix(fix, c, &mut maps, dir) {
                Ok(Applied::Refers) => sends.push(None),
                Ok(Applied::Config) => sends.push(Some(client_args(dir, c.client))),
                Ok(Applied::Client(t, a)) => sends.push(Some((t, a))),
                Err(e) => {
                    failures.push(format!("{} fix {k} `{fix}`: {e}", c.case));
                    sends.push(None);
                }
            }
        }
        write_conf(&cases, &maps);
        let mut nginx = Nginx::start(dir, &conf, ports[0])
            .unwrap_or_else(|e| panic!("nginx after round {k}: {e}"));
        for (i, c) in cases.iter().enumerate() {
            let Some((targs, cargs)) = &sends[i] else {
                continue;
            };
            applied += 1;
            let (status, _) = curl_path(ports[i], &format!("{}_fix{k}", c.case), c.path, cargs);
            let mut a = targs.clone();
            a.extend(["--path".to_string(), c.path.to_string()]);
            let (doc, _) = tool_json(&conf, ports[i], &a);
            let r = &doc["results"][0];
            eprintln!(
                "{:<20} fix {k}: curl {status}, tool {} {}",
                c.case, r["verdict"], r["status"]
            );
            if !(200..400).contains(&status) || r["verdict"] != "accepted" || r["status"] != status
            {
                failures.push(format!(
                    "{} fix {k} `{}` applied: curl {status}, tool {} {}",
                    c.case, printed[i][k], r["verdict"], r["status"]
                ));
            }
        }
        nginx.stop();
    }

    // A configuration nginx refuses: the server key of another certificate. The fix
    // names the right key; with it nginx -t passes and the request succeeds.
    let mut cases = fresh();
    cases.truncate(1);
    cases[0].client = Some("leaf");
    let good = cases[0].server(ports[0]);
    let bad = good.replacen(
        "ssl_certificate_key server.key;",
        "ssl_certificate_key leaf.key;",
        1,
    );
    let write_one = |server: &str| {
        fs::write(
            &conf,
            format!(
                "{}http {{\n{}{server}}}\n",
                preamble(dir),
                http_temp_paths(dir)
            ),
        )
        .unwrap()
    };
    write_one(&bad);
    let (doc, _) = tool_json(&conf, ports[0], &client_args(dir, Some("leaf")).0);
    let r = &doc["results"][0];
    let fix = r["fixes"][0].as_str().unwrap_or("").to_string();
    let key = fix
        .split("`ssl_certificate_key ")
        .nth(1)
        .and_then(|s| s.split(';').next())
        .unwrap_or("")
        .to_string();
    write_one(&bad.replacen(
        "ssl_certificate_key leaf.key;",
        &format!("ssl_certificate_key {key};"),
        1,
    ));
    let t = common::nginx_check(dir, &conf, "-t");
    let mut nginx = Nginx::start(dir, &conf, ports[0]).unwrap_or_else(|e| panic!("nginx: {e}"));
    let (status, _) = curl_path(
        ports[0],
        "server_key_fixed",
        "/",
        &client_args(dir, Some("leaf")).1,
    );
    nginx.stop();
    applied += 1;
    eprintln!(
        "server_key_mismatch  {} fix `{fix}`: nginx -t {}, curl {status}",
        r["verdict"],
        t.status.success()
    );
    if r["verdict"] != "nginx_refuses" || !t.status.success() || status != 200 {
        failures.push(format!(
            "server_key_mismatch: fix `{fix}`: nginx -t {}, curl {status}",
            t.status.success()
        ));
    }
    eprintln!("{applied} printed fixes applied");
    assert!(applied >= 20, "only {applied} fixes applied");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
