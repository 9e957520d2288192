//! `verify` and `lint --client-cert` from the command line, without nginx: exit codes
//! (0 accepted, 1 rejected, 2 usage/IO), errors that name the file, secrets never
//! printed, server selection by socket/SNI/Host, and the JSON schema on real output.

mod common;
#[path = "certs_pki.rs"]
mod pki;
#[path = "verify_schema.rs"]
mod schema;

use std::fs;
use std::path::Path;

use common::tool;
use pki::{AT, ca, leaf};

struct Fixture {
    _tmp: tempfile::TempDir,
}

fn p12(leaf: &pki::Cert, extra: &[&pki::Cert], password: &str) -> Vec<u8> {
    let key = p12_keystore::PrivateKey::from_der(&leaf.key.serialize_der()).unwrap();
    let mut certs = vec![p12_keystore::Certificate::from_der(&leaf.der).unwrap()];
    certs.extend(
        extra
            .iter()
            .map(|c| p12_keystore::Certificate::from_der(&c.der).unwrap()),
    );
    let mut ks = p12_keystore::KeyStore::new();
    ks.add_entry(
        "client",
        p12_keystore::KeyStoreEntry::PrivateKeyChain(p12_keystore::PrivateKeyChain::new(
            vec![1u8, 2, 3],
            key,
            certs,
        )),
    );
    ks.writer(password).write().unwrap()
}

/// A PKI and a configuration in a temporary directory (the process's working dir is not
/// changed; every path passed is absolute).
fn fixture() -> (Fixture, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().to_path_buf();
    let w = |n: &str, b: &[u8]| fs::write(d.join(n), b).unwrap();
    let root = ca("root").self_signed();
    let int = ca("int").signed_by(&root);
    let good = leaf("good").signed_by(&int);
    let other = ca("other").self_signed();
    let stranger = leaf("stranger").signed_by(&other);
    let server = leaf("server").signed_by(&root);
    w("root.pem", root.pem.as_bytes());
    w("server.pem", server.pem.as_bytes());
    w("server.key", server.key.serialize_pem().as_bytes());
    w("good.crt", format!("{}{}", good.pem, int.pem).as_bytes());
    w("good.key", good.key.serialize_pem().as_bytes());
    w(
        "good-with-key.pem",
        format!("{}{}{}", good.pem, int.pem, good.key.serialize_pem()).as_bytes(),
    );
    w("stranger.crt", stranger.pem.as_bytes());
    w("stranger.key", stranger.key.serialize_pem().as_bytes());
    w("good.p12", &p12(&good, &[&int], "pw-7f3a9"));
    let conf = "events {}\nhttp {\n  ssl_certificate server.pem; ssl_certificate_key server.key;\n\
  server { listen 127.0.0.1:9443 ssl default_server; server_name open.test; ssl_verify_client off; }\n\
  server { listen 127.0.0.1:9443 ssl; server_name api.test; ssl_verify_client on; ssl_client_certificate root.pem; }\n\
  server { listen 127.0.0.1:9444 ssl; server_name pages.test; ssl_verify_client on; ssl_client_certificate root.pem;\n\
           error_page 495 496 =403 /denied.html; }\n\
  server { listen 127.0.0.1:9445 ssl; server_name loose.test; ssl_verify_client optional_no_ca; ssl_client_certificate root.pem; }\n}\n";
    w("nginx.conf", conf.as_bytes());
    (Fixture { _tmp: tmp }, d)
}

fn verify(d: &Path, args: &[&str], envs: &[(&str, &str)]) -> (i32, serde_json::Value, String) {
    let mut cmd = tool();
    cmd.arg("verify")
        .arg("--config")
        .arg(d.join("nginx.conf"))
        .args(["--at", &AT.to_string(), "--format", "json"]);
    for a in args {
        if a.ends_with(".crt") || a.ends_with(".key") || a.ends_with(".p12") || a.ends_with(".pem")
        {
            cmd.arg(d.join(a));
        } else {
            cmd.arg(a);
        }
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let code = out.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let doc = if code == 2 {
        serde_json::Value::Null
    } else {
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        schema::check_schema(&doc);
        doc
    };
    (code, doc, stderr)
}

#[test]
fn accepted_is_exit_0_rejected_is_exit_1() {
    let (_f, d) = fixture();
    let (code, doc, _) = verify(
        &d,
        &[
            "--sni", "api.test", "--cert", "good.crt", "--key", "good.key",
        ],
        &[],
    );
    assert_eq!(code, 0, "{doc:#}");
    let r = &doc["results"][0];
    assert_eq!(r["ssl_client_verify"], "SUCCESS");
    assert_eq!(r["status"], 200);
    assert_eq!(r["server_name"], "api.test");
    assert_eq!(doc["client"]["key"], "matches");
    // The chain names the trust file and the certificate in it.
    assert_eq!(r["chain"][2]["source"], "ssl_client_certificate");
    assert!(
        r["chain"][2]["file"]
            .as_str()
            .unwrap()
            .ends_with("root.pem")
    );

    let (code, doc, _) = verify(&d, &["--sni", "api.test", "--cert", "stranger.crt"], &[]);
    assert_eq!(code, 1);
    let r = &doc["results"][0];
    assert_eq!(
        r["ssl_client_verify"],
        "FAILED:unable to verify the first certificate"
    );
    assert_eq!(r["rejected"], true);
    assert_eq!(r["status"], 400);
    assert_eq!(r["nginx_status"], 495);
    assert!(r["error_log"].as_str().unwrap().starts_with(
        "client SSL certificate verify error: (21:unable to verify the first certificate) while reading client request headers"
    ));
    assert!(!r["fixes"].as_array().unwrap().is_empty());
}

#[test]
fn default_run_covers_every_mtls_server() {
    let (_f, d) = fixture();
    let (code, doc, _) = verify(&d, &["--cert", "stranger.crt"], &[]);
    assert_eq!(code, 1);
    let names: Vec<&str> = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["server_name"].as_str().unwrap())
        .collect();
    // 9443: the default server (no SNI) and api.test by name; then 9444 and 9445.
    assert_eq!(names, ["open.test", "api.test", "pages.test", "loose.test"]);
    let loose = &doc["results"][3];
    assert_eq!(
        loose["rejected"], false,
        "optional_no_ca tolerates error 21"
    );
    assert_eq!(
        loose["ssl_client_verify"],
        "FAILED:unable to verify the first certificate"
    );
    // error_page 495 496 =403 changes what the client sees.
    assert_eq!(doc["results"][2]["status"], 403);
}

#[test]
fn sni_and_host_select_servers_as_nginx_does() {
    let (_f, d) = fixture();
    // Known SNI, different Host whose server verifies: 421.
    let (code, doc, _) = verify(
        &d,
        &[
            "--listen",
            "127.0.0.1:9443",
            "--sni",
            "open.test",
            "--host",
            "api.test",
            "--cert",
            "good.crt",
        ],
        &[],
    );
    assert_eq!(code, 1);
    assert_eq!(doc["results"][0]["status"], 421);
    assert!(
        doc["results"][0]["error_log"]
            .as_str()
            .unwrap()
            .contains("server: open.test")
    );
    // No SNI: the default server (verify off) runs the handshake, so no certificate is
    // requested, and the Host's verify-on server answers 496.
    let (code, doc, _) = verify(
        &d,
        &[
            "--listen",
            "127.0.0.1:9443",
            "--host",
            "api.test",
            "--cert",
            "good.crt",
        ],
        &[],
    );
    // --host alone sets no SNI only when --sni is absent: Host defaults from SNI, not back.
    let r = &doc["results"][0];
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(r["ssl_client_verify"], "NONE");
    assert_eq!(r["nginx_status"], 496);
    assert_eq!(r["certificate_requested"], false);
    assert_eq!(r["handshake_server"]["server_name"], "open.test");
}

#[test]
fn errors_name_the_file_and_exit_2() {
    let (_f, d) = fixture();
    let (code, _, err) = verify(&d, &["--cert", "missing.crt"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("missing.crt"), "{err}");
    let (code, _, err) = verify(&d, &["--listen", "127.0.0.1:1", "--cert", "good.crt"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("127.0.0.1:1"), "{err}");
    let out = tool()
        .args(["verify", "--config"])
        .arg(d.join("nope.conf"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.conf"));
}

#[test]
fn pkcs12_password_from_env_never_printed() {
    let (_f, d) = fixture();
    let (code, _, err) = verify(
        &d,
        &[
            "--sni",
            "api.test",
            "--cert",
            "good.p12",
            "--password-env",
            "VERIFY_TEST_UNSET_VAR",
        ],
        &[],
    );
    assert_eq!(code, 2);
    assert!(err.contains("VERIFY_TEST_UNSET_VAR"), "{err}");
    let (code, _, err) = verify(
        &d,
        &[
            "--sni",
            "api.test",
            "--cert",
            "good.p12",
            "--password-env",
            "P12PW",
        ],
        &[("P12PW", "not-the-pw-51")],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("wrong password") && !err.contains("not-the-pw-51"),
        "{err}"
    );
    let (code, doc, _) = verify(
        &d,
        &[
            "--sni",
            "api.test",
            "--cert",
            "good.p12",
            "--password-env",
            "P12PW",
        ],
        &[("P12PW", "pw-7f3a9")],
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["client"]["format"], "pkcs12");
    assert!(!doc.to_string().contains("pw-7f3a9"));
    // Without --password-env and without a terminal: a clear error, exit 2.
    let (code, _, err) = verify(&d, &["--sni", "api.test", "--cert", "good.p12"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("--password-env"), "{err}");
}

#[test]
fn key_mismatch_is_a_problem_and_keys_are_never_printed() {
    let (_f, d) = fixture();
    let (code, doc, _) = verify(
        &d,
        &[
            "--sni",
            "api.test",
            "--cert",
            "good.crt",
            "--key",
            "stranger.key",
        ],
        &[],
    );
    assert_eq!(code, 1);
    assert_eq!(doc["client"]["key"], "mismatch");
    assert!(!doc["client"]["problems"].as_array().unwrap().is_empty());
    let out = tool()
        .arg("verify")
        .arg("--config")
        .arg(d.join("nginx.conf"))
        .arg("--cert")
        .arg(d.join("good-with-key.pem"))
        .args(["--sni", "api.test", "--at", &AT.to_string()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("private key: matches"), "{text}");
    let key_body = fs::read_to_string(d.join("good.key")).unwrap();
    let line = key_body.lines().nth(1).unwrap();
    assert!(!text.contains("PRIVATE KEY") && !text.contains(line));
}

#[test]
fn lint_with_client_cert_reports_rejections() {
    let (_f, d) = fixture();
    let out = tool()
        .arg(d.join("nginx.conf"))
        .arg("--client-cert")
        .arg(d.join("stranger.crt"))
        .arg("--client-key")
        .arg(d.join("good.key"))
        .args(["--at", &AT.to_string(), "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes.iter().filter(|c| **c == "MTLS301").count(),
        2,
        "{codes:?}"
    );
    assert!(
        codes.contains(&"MTLS302") && codes.contains(&"MTLS303"),
        "{codes:?}"
    );
    let out = tool()
        .arg(d.join("nginx.conf"))
        .arg("--client-cert")
        .arg(d.join("nope.crt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.crt"));
}

/// PKCS#12 files made by the real openssl CLI: OpenSSL 3's default (AES-256/PBKDF2), the
/// `-legacy` one (RC2-40/3DES) and one without its key, read with their password from the
/// environment and reported by MTLS305/MTLS306.
#[test]
fn openssl_made_pkcs12_algorithms() {
    if !common::have_tools(&["openssl"]) {
        return;
    }
    let (_f, d) = fixture();
    let mk = |name: &str, extra: &[&str]| {
        let st = std::process::Command::new("openssl")
            .args(["pkcs12", "-export", "-passout", "pass:pw-e2e", "-out"])
            .arg(d.join(name))
            .arg("-in")
            .arg(d.join("good.crt"))
            .args(extra)
            .status()
            .unwrap();
        assert!(st.success());
    };
    let key = d.join("good.key").display().to_string();
    mk("modern.p12", &["-inkey", &key]);
    mk("legacy.p12", &["-inkey", &key, "-legacy"]);
    mk("nokey.p12", &["-nokeys"]);
    let lint = |name: &str| {
        let out = tool()
            .arg(d.join("nginx.conf"))
            .arg("--client-cert")
            .arg(d.join(name))
            .args(["--password-env", "P12_E2E", "--format", "json"])
            .env("P12_E2E", "pw-e2e")
            .output()
            .unwrap();
        assert!(!String::from_utf8_lossy(&out.stdout).contains("pw-e2e"));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"].as_str().unwrap().starts_with("MTLS30"))
            .map(|f| {
                format!(
                    "{} {}",
                    f["code"].as_str().unwrap(),
                    f["message"].as_str().unwrap()
                )
            })
            .collect::<Vec<_>>()
    };
    let modern = lint("modern.p12");
    assert!(
        modern
            .iter()
            .any(|m| m.starts_with("MTLS306") && m.contains("AES-256")),
        "{modern:?}"
    );
    assert!(
        !modern.iter().any(|m| m.starts_with("MTLS305")),
        "{modern:?}"
    );
    let legacy = lint("legacy.p12");
    assert!(
        legacy
            .iter()
            .any(|m| m.starts_with("MTLS306") && m.contains("RC2-40")),
        "{legacy:?}"
    );
    let nokey = lint("nokey.p12");
    assert!(
        nokey
            .iter()
            .any(|m| m.starts_with("MTLS305") && m.contains("no private key")),
        "{nokey:?}"
    );
}

/// Issue #14: the request after the handshake decides the status; `--path` chooses the
/// location; the human report names the verdict and the deciding directive.
#[test]
fn the_request_after_the_handshake_decides_the_status() {
    let (_f, d) = fixture();
    let conf = "events {}\nhttp {\n  ssl_certificate server.pem; ssl_certificate_key server.key;\n\
  map $ssl_client_s_dn $partner { default 0; ~^CN=good, 1; }\n\
  server { listen 127.0.0.1:9443 ssl; server_name api.test; ssl_verify_client optional; ssl_client_certificate root.pem;\n\
    if ($ssl_client_verify != SUCCESS) { return 403; }\n\
    location / { return 200 \"ok\\n\"; }\n\
    location /partners/ { if ($partner = 0) { return 401; } proxy_set_header X-DN $ssl_client_s_dn; proxy_pass http://127.0.0.1:9999; }\n\
  }\n}\n";
    fs::write(d.join("request.conf"), conf).unwrap();
    let run = |args: &[&str]| {
        let mut cmd = tool();
        cmd.arg("verify")
            .arg("--config")
            .arg(d.join("request.conf"))
            .args(["--at", &AT.to_string()]);
        for a in args {
            if a.ends_with(".crt") || a.ends_with(".key") {
                cmd.arg(d.join(a));
            } else {
                cmd.arg(a);
            }
        }
        let out = cmd.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    // No certificate: the handshake passes (optional), the server's `if` answers 403.
    let (code, text) = run(&[]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("DENIED after the handshake: the client sees HTTP 403"),
        "{text}"
    );
    assert!(
        text.contains("decided by `return 403` at ") && text.contains("request.conf:6"),
        "{text}"
    );
    // A verified partner: a backend decides, and receives its DN.
    let (code, text) = run(&[
        "--cert",
        "good.crt",
        "--key",
        "good.key",
        "--path",
        "/partners/x",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{text}");
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    schema::check_schema(&doc);
    let r = &doc["results"][0];
    assert_eq!(r["verdict"], "accepted");
    assert!(r["request"]["status"].is_null());
    assert!(
        r["request"]["location"]
            .as_str()
            .unwrap()
            .contains("/partners/")
    );
    assert_eq!(
        r["request"]["backend_headers"][0]["value"],
        "CN=good,O=Example"
    );
    // A key that is not the certificate's: no request at all.
    let (code, text) = run(&["--cert", "good.crt", "--key", "stranger.key"]);
    assert_eq!(code, 1);
    assert!(text.contains("NO REQUEST: the client cannot use"), "{text}");
}

/// Issue #14 (MTLS305): a PKCS#12 whose leaf a root issued directly needs no
/// intermediate; one issued by an intermediate the server trusts is named as such, and
/// the fix writes a new archive, never over the checked one.
#[test]
fn pkcs12_chain_check_knows_a_root_issued_leaf() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let root = ca("root").self_signed();
    let int = ca("int").signed_by(&root);
    let server = leaf("server").signed_by(&root);
    let by_root = leaf("by-root").signed_by(&root);
    let by_int = leaf("by-int").signed_by(&int);
    fs::write(d.join("server.pem"), &server.pem).unwrap();
    fs::write(d.join("server.key"), server.key.serialize_pem()).unwrap();
    fs::write(d.join("bundle.pem"), format!("{}{}", root.pem, int.pem)).unwrap();
    fs::write(d.join("by-root.p12"), p12(&by_root, &[], "pw")).unwrap();
    fs::write(d.join("by-int.p12"), p12(&by_int, &[], "pw")).unwrap();
    fs::write(
        d.join("nginx.conf"),
        "events {}\nhttp { server { listen 127.0.0.1:9443 ssl; server_name a.test; ssl_certificate server.pem; ssl_certificate_key server.key; ssl_verify_client on; ssl_client_certificate bundle.pem; } }\n",
    )
    .unwrap();
    let lint = |p12: &str| {
        let out = tool()
            .arg(d.join("nginx.conf"))
            .arg("--client-cert")
            .arg(d.join(p12))
            .args([
                "--password-env",
                "P12PW",
                "--at",
                &AT.to_string(),
                "--format",
                "json",
            ])
            .env("P12PW", "pw")
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "MTLS305")
            .cloned()
            .collect::<Vec<_>>()
    };
    assert!(lint("by-root.p12").is_empty(), "{:?}", lint("by-root.p12"));
    let f = lint("by-int.p12");
    assert_eq!(f.len(), 1, "{f:?}");
    let text = f[0].to_string();
    assert!(
        text.contains("is an intermediate CA (in ") && text.contains("bundle.pem"),
        "{text}"
    );
    assert!(text.contains("by-int-chain.p12"), "{text}");
    let checked = d.join("by-int.p12").display().to_string();
    assert!(!text.contains(&format!("-out {checked}")), "{text}");
}
