//! The lint rules checked against real nginx: for a matrix of mutual-TLS setups, the
//! tool's prediction (does `nginx -t` fail? is a client with a good certificate
//! rejected? is a request without a certificate served?) must equal what nginx and curl
//! actually do. Certificates are generated here, relative to now, so nothing rots.

mod common;
#[path = "certs_pki.rs"]
mod pki;

use std::fs;
use std::path::Path;
use std::process::Command;

use nginx_mtls_lint::config::{Input, LoadOptions, load};
use nginx_mtls_lint::model::Model;
use nginx_mtls_lint::rules::{self, CertFiles, Context, Options, Severity};
use pki::{Cert, DAY, ca, crl, leaf};
use rcgen::ExtendedKeyUsagePurpose;

fn now() -> i64 {
    nginx_mtls_lint::rules::support::now()
}

/// A CA valid from a year ago for ten years.
fn ca_now(cn: &str) -> pki::Spec {
    let n = now();
    ca(cn).validity(n - 365 * DAY, n + 3650 * DAY)
}

fn leaf_now(cn: &str) -> pki::Spec {
    let n = now();
    leaf(cn).validity(n - DAY, n + 365 * DAY)
}

/// Writes the PKI into `dir`.
fn write_pki(dir: &Path) {
    let n = now();
    let w = |name: &str, body: &str| fs::write(dir.join(name), body).unwrap();
    let root = ca_now("E2E Root").self_signed();
    let int = ca_now("E2E Intermediate").signed_by(&root);
    let int2 = ca_now("E2E Sub-Intermediate").signed_by(&int);
    let client = leaf_now("good-client").signed_by(&int);
    let deep_client = leaf_now("deep-client").signed_by(&int2);
    let other = ca_now("E2E Other Root").self_signed();
    let other_client = leaf_now("other-client").signed_by(&other);
    let old_root = ca("E2E Expired Root")
        .validity(n - 800 * DAY, n - 2 * DAY)
        .self_signed();
    let old_int = ca_now("E2E Int Under Expired Root").signed_by(&old_root);
    let old_client = leaf_now("old-root-client").signed_by(&old_int);
    let mut srv = leaf_now("localhost");
    srv.eku = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server = srv.signed_by(&root);
    let fresh = |c: &Cert| crl(c, &[], n - DAY, n + 60 * DAY).1;

    w("server.pem", &server.pem);
    w("server.key", &server.key.serialize_pem());
    w("root.pem", &root.pem);
    w("int.pem", &int.pem);
    w("root-int.pem", &format!("{}{}", root.pem, int.pem));
    w(
        "root-int-int2.pem",
        &format!("{}{}{}", root.pem, int.pem, int2.pem),
    );
    w("client.pem", &format!("{}{}", client.pem, int.pem));
    w("client-leaf.pem", &client.pem);
    w("client.key", &client.key.serialize_pem());
    w("deep-client.pem", &deep_client.pem);
    w("deep-client.key", &deep_client.key.serialize_pem());
    w("other-client.pem", &other_client.pem);
    w("other-client.key", &other_client.key.serialize_pem());
    w(
        "old-root-int.pem",
        &format!("{}{}", old_root.pem, old_int.pem),
    );
    w("old-client.pem", &old_client.pem);
    w("old-client.key", &old_client.key.serialize_pem());
    w("crl-both.pem", &format!("{}{}", fresh(&root), fresh(&int)));
    w("crl-int.pem", &fresh(&int));
    w("crl-other.pem", &fresh(&other));
    w(
        "crl-expired.pem",
        &format!(
            "{}{}",
            crl(&root, &[], n - 30 * DAY, n - DAY).1,
            fresh(&int)
        ),
    );
    w(
        "crl-both-and-other-root.pem",
        &format!(
            "{}{}{}{}",
            fresh(&root),
            fresh(&int),
            fresh(&other),
            other.pem
        ),
    );
}

/// One setup: the server's mTLS lines and the client to try.
struct Setup {
    name: &'static str,
    server: &'static str,
    /// (certificate, key) the "good" client sends.
    client: (&'static str, &'static str),
    /// Also listen without ssl on a second port.
    plain: bool,
}

const ROOT: &str = "ssl_verify_client on; ssl_client_certificate root.pem;";

fn setups() -> Vec<Setup> {
    let s = |name, server, client, plain| Setup {
        name,
        server,
        client,
        plain,
    };
    let good = ("client.pem", "client.key");
    vec![
        s("root-only-bundle", ROOT, good, false),
        s(
            "root-and-intermediate, client sends leaf only",
            "ssl_verify_client on; ssl_client_certificate root-int.pem;",
            ("client-leaf.pem", "client.key"),
            false,
        ),
        s(
            "intermediate-only bundle",
            "ssl_verify_client on; ssl_client_certificate int.pem;",
            good,
            false,
        ),
        s(
            "expired root CA",
            "ssl_verify_client on; ssl_client_certificate old-root-int.pem; ssl_verify_depth 2;",
            ("old-client.pem", "old-client.key"),
            false,
        ),
        s(
            "fresh CRLs for every CA",
            "ssl_verify_client on; ssl_client_certificate root.pem; ssl_crl crl-both.pem;",
            good,
            false,
        ),
        s(
            "expired CRL",
            "ssl_verify_client on; ssl_client_certificate root.pem; ssl_crl crl-expired.pem;",
            good,
            false,
        ),
        s(
            "CRL missing for the root",
            "ssl_verify_client on; ssl_client_certificate root.pem; ssl_crl crl-int.pem;",
            good,
            false,
        ),
        s(
            "CRL of another CA",
            "ssl_verify_client on; ssl_client_certificate root.pem; ssl_crl crl-other.pem;",
            good,
            false,
        ),
        s(
            "leaf as CA",
            "ssl_verify_client on; ssl_client_certificate client-leaf.pem;",
            good,
            false,
        ),
        s(
            "depth too small",
            "ssl_verify_client on; ssl_client_certificate root-int-int2.pem;",
            ("deep-client.pem", "deep-client.key"),
            false,
        ),
        s(
            "depth sufficient",
            "ssl_verify_client on; ssl_client_certificate root-int-int2.pem; ssl_verify_depth 2;",
            ("deep-client.pem", "deep-client.key"),
            false,
        ),
        s(
            "optional without enforcement",
            "ssl_verify_client optional; ssl_client_certificate root.pem;",
            good,
            false,
        ),
        s(
            "optional enforced",
            "ssl_verify_client optional; ssl_client_certificate root.pem; if ($ssl_client_verify != SUCCESS) { return 403; }",
            good,
            false,
        ),
        s("verify on without CA", "ssl_verify_client on;", good, false),
        s(
            "missing CA file",
            "ssl_verify_client on; ssl_client_certificate missing.pem;",
            good,
            false,
        ),
        s(
            "CA file without verification",
            "ssl_client_certificate missing.pem;",
            good,
            false,
        ),
        s("mTLS server with a plain listener", ROOT, good, true),
        s(
            "certificate in the CRL file",
            "ssl_verify_client on; ssl_client_certificate root.pem; ssl_crl crl-both-and-other-root.pem;",
            ("other-client.pem", "other-client.key"),
            false,
        ),
    ]
}

/// What the tool predicts for a setup.
#[derive(Debug, PartialEq)]
struct Prediction {
    nginx_t_fails: bool,
    good_client_rejected: bool,
    no_certificate_served: bool,
    plain_served_without_certificate: bool,
    foreign_ca_trusted: bool,
}

fn predict(conf: &Path) -> (Prediction, Vec<String>) {
    let config = load(&Input::File(conf.to_path_buf()), &LoadOptions::default());
    let mut model = Model::build(&config);
    model.openssl = common::nginx_openssl();
    let files = CertFiles::read(&model);
    let options = Options::default();
    let findings = rules::check(&Context {
        config: &config,
        model: &model,
        files: &files,
        options: &options,
        client_certs: &[],
    });
    let has = |codes: &[&str]| {
        findings
            .iter()
            .any(|f| f.severity == Severity::Error && codes.contains(&f.code))
    };
    let warn = |code: &str| findings.iter().any(|f| f.code == code);
    let server = &model.servers[0];
    let p = Prediction {
        nginx_t_fails: has(&["MTLS001", "MTLS002", "MTLS101", "MTLS102", "MTLS202"]),
        good_client_rejected: has(&[
            "MTLS104", "MTLS105", "MTLS106", "MTLS107", "MTLS108", "MTLS109", "MTLS201",
        ]) && server.verify_mode() == nginx_mtls_lint::model::VerifyMode::On,
        no_certificate_served: !server.mtls() || warn("MTLS110"),
        plain_served_without_certificate: warn("MTLS112"),
        foreign_ca_trusted: warn("MTLS117"),
    };
    (
        p,
        findings
            .iter()
            .map(|f| format!("{} {}", f.code, f.message))
            .collect(),
    )
}

fn curl(args: &[&str]) -> String {
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
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn tool_predictions_match_real_nginx() {
    if !common::have_tools(&["nginx", "curl"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    write_pki(tmp.path());
    let mut failures = Vec::new();
    for (i, setup) in setups().iter().enumerate() {
        let dir = tmp.path().join(format!("s{i}"));
        fs::create_dir_all(&dir).unwrap();
        for e in fs::read_dir(tmp.path()).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
            }
        }
        let port = common::free_port();
        let plain_port = common::free_port();
        let plain = if setup.plain {
            format!("listen 127.0.0.1:{plain_port};")
        } else {
            String::new()
        };
        let conf = dir.join("nginx.conf");
        fs::write(
            &conf,
            format!(
                "{}http {{\n{}access_log off;\nserver {{\nlisten 127.0.0.1:{port} ssl;\n{plain}\nserver_name localhost;\nssl_certificate server.pem;\nssl_certificate_key server.key;\n{}\nlocation / {{ return 200 \"$ssl_client_verify\"; }}\n}}\n}}\n",
                common::preamble(&dir),
                common::http_temp_paths(&dir),
                setup.server
            ),
        )
        .unwrap();
        let (p, findings) = predict(&conf);
        let t = common::nginx_check(&dir, &conf, "-t");
        let real_t_fails = !t.status.success();
        let mut observed = Prediction {
            nginx_t_fails: real_t_fails,
            good_client_rejected: false,
            no_certificate_served: false,
            plain_served_without_certificate: false,
            foreign_ca_trusted: false,
        };
        if !real_t_fails {
            let _nginx = common::Nginx::start(&dir, &conf, port).unwrap();
            let url = format!("https://127.0.0.1:{port}/");
            let cert = dir.join(setup.client.0).display().to_string();
            let key = dir.join(setup.client.1).display().to_string();
            let with_cert = curl(&["--cert", &cert, "--key", &key, &url]);
            let without = curl(&[&url]);
            observed.good_client_rejected = with_cert != "200";
            observed.no_certificate_served = without == "200";
            if setup.plain {
                observed.plain_served_without_certificate =
                    curl(&[&format!("http://127.0.0.1:{plain_port}/")]) == "200";
            }
            // A client of another CA accepted: only the CRL-file setup uses one.
            observed.foreign_ca_trusted =
                setup.client.0 == "other-client.pem" && with_cert == "200";
            if observed.foreign_ca_trusted {
                observed.good_client_rejected = false;
            }
        } else {
            // nginx did not start: nothing else can be observed, compare only -t.
            observed.good_client_rejected = p.good_client_rejected;
            observed.no_certificate_served = p.no_certificate_served;
            observed.plain_served_without_certificate = p.plain_served_without_certificate;
            observed.foreign_ca_trusted = p.foreign_ca_trusted;
        }
        if p != observed {
            failures.push(format!(
                "{}: tool predicts {p:?}\nnginx/curl did {observed:?}\nnginx -t: {}\nfindings: {findings:#?}",
                setup.name,
                String::from_utf8_lossy(&t.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
