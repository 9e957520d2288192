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
use std::path::Path;
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
    Pki { files }
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
    let mut ports: BTreeMap<(&str, &str), u16> = BTreeMap::new();
    let mut servers = String::new();
    for (name, mode, directives) in &profiles {
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
