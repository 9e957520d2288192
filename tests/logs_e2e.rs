//! End to end: real nginx, real curl clients with real certificates on 127.0.0.1; the
//! `logs` subcommand's counts must equal the requests made, in a custom `log_format`
//! (escape=default) and in an `escape=json` one, and the error log (level info) must be
//! summarised by verify-error reason.
//!
//! Set `NGINX_MTLS_SAVE_SAMPLE_LOGS=1` to copy the logs and the configuration of the run
//! into `sample-logs/e2e/` (that is how the committed sample logs were made).

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn openssl(dir: &Path, args: &[&str]) {
    run(Command::new("openssl").current_dir(dir).args(args));
}

fn key(dir: &Path, name: &str) {
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            name,
        ],
    );
}

/// `YYYYMMDDHHMMSSZ` for `openssl ca -startdate/-enddate`.
fn asn1_time(t: i64) -> String {
    let (y, m, d) = nginx_mtls_lint::logs::time::civil_from_days(t.div_euclid(86400));
    let s = t.rem_euclid(86400);
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// A client CA, a server certificate, and three clients: good (valid 10 days), expired
/// (ended 2 days ago), and one from an unknown CA.
fn make_certs(dir: &Path) {
    let now = nginx_mtls_lint::logs::time::now();
    key(dir, "ca.key");
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "30",
            "-subj",
            "/CN=E2E Client CA",
        ],
    );
    key(dir, "other-ca.key");
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            "other-ca.key",
            "-out",
            "other-ca.crt",
            "-days",
            "30",
            "-subj",
            "/CN=Unknown CA",
        ],
    );
    fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:a.test,DNS:b.test,IP:127.0.0.1\n",
    )
    .unwrap();
    fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
    key(dir, "server.key");
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-key",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=a.test",
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-set_serial",
            "0x0500",
            "-days",
            "30",
            "-extfile",
            "server.ext",
            "-out",
            "server.crt",
        ],
    );
    for (name, ca, serial, cn) in [
        ("good", "ca", "0x1001", "/CN=good client/O=Example"),
        ("unknown", "other-ca", "0x2001", "/CN=stranger/O=Elsewhere"),
    ] {
        key(dir, &format!("{name}.key"));
        openssl(
            dir,
            &[
                "req",
                "-new",
                "-key",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.csr"),
                "-subj",
                cn,
            ],
        );
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                &format!("{ca}.crt"),
                "-CAkey",
                &format!("{ca}.key"),
                "-set_serial",
                serial,
                "-days",
                "10",
                "-extfile",
                "client.ext",
                "-out",
                &format!("{name}.crt"),
            ],
        );
    }
    // Expired: `openssl ca` lets us set both dates (x509 -req has no -not_before in 3.0).
    fs::create_dir_all(dir.join("newcerts")).unwrap();
    fs::write(dir.join("index.txt"), "").unwrap();
    fs::write(dir.join("serial"), "3001\n").unwrap();
    fs::write(
        dir.join("ca.cnf"),
        "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=newcerts\nserial=serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\nx509_extensions=ext\n[p]\ncommonName=supplied\norganizationName=optional\n[ext]\nextendedKeyUsage=clientAuth\n",
    )
    .unwrap();
    key(dir, "expired.key");
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-key",
            "expired.key",
            "-out",
            "expired.csr",
            "-subj",
            "/CN=expired client/O=Example",
        ],
    );
    openssl(
        dir,
        &[
            "ca",
            "-batch",
            "-config",
            "ca.cnf",
            "-cert",
            "ca.crt",
            "-keyfile",
            "ca.key",
            "-in",
            "expired.csr",
            "-out",
            "expired.crt",
            "-notext",
            "-startdate",
            &asn1_time(now - 20 * 86400),
            "-enddate",
            &asn1_time(now - 2 * 86400),
        ],
    );
}

const LOG_FORMATS: &str = r#"
    log_format mtls '$remote_addr - [$time_local] "$request" $status '
                    '"$ssl_client_verify" "$ssl_client_s_dn" "$ssl_client_i_dn" '
                    '"$ssl_client_serial" "$ssl_client_v_end" "$ssl_client_fingerprint" '
                    '$server_name:$server_port "$ssl_server_name" "$http_user_agent"';
    log_format mtls_json escape=json '{"time":"$time_iso8601","addr":"$remote_addr",'
                    '"status":$status,"verify":"$ssl_client_verify",'
                    '"subject":"${ssl_client_s_dn}","serial":"$ssl_client_serial",'
                    '"not_after":"$ssl_client_v_end","server":"$server_name","port":"$server_port",'
                    '"sni":"$ssl_server_name","ua":"$http_user_agent"}';
"#;

fn server(name: &str, port: u16, verify: &str, log: &str, format: &str) -> String {
    format!(
        "    server {{
        listen 127.0.0.1:{port} ssl;
        server_name {name};
        ssl_certificate server.crt;
        ssl_certificate_key server.key;
        ssl_client_certificate ca.crt;
        ssl_verify_client {verify};
        access_log {log} {format};
        location / {{ return 200 \"ok\\n\"; }}
    }}
"
    )
}

fn curl(host: &str, port: u16, client: Option<&str>, dir: &Path) -> String {
    let mut c = Command::new("curl");
    c.current_dir(dir)
        .args([
            "-sk",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "10",
        ])
        .arg("--resolve")
        .arg(format!("{host}:{port}:127.0.0.1"))
        .args(["-A", "e2e \"quoted\" agent"]);
    if let Some(n) = client {
        c.args(["--cert", &format!("{n}.crt"), "--key", &format!("{n}.key")]);
    }
    c.arg(format!("https://{host}:{port}/"));
    run(&mut c)
}

fn logs_json(args: &[&str]) -> Value {
    let out = common::tool()
        .arg("logs")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn counts_match_requests_made_by_real_clients() {
    if !common::have_tools(&["nginx", "curl", "openssl"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_certs(dir);
    let (pa, pb) = (common::free_port(), common::free_port());
    // c.test shares a.test's port: a request negotiated as a.test (SNI) but sent with
    // `Host: c.test` is refused with 421 and the SNI/Host mismatch message.
    let conf = format!(
        "{}http {{\n    {}{LOG_FORMATS}{}{}{}}}\n",
        common::preamble(dir),
        common::http_temp_paths(dir),
        server("a.test", pa, "optional", "logs/a.log", "mtls"),
        server("b.test", pb, "on", "logs/b.json.log", "mtls_json"),
        server("c.test", pa, "on", "logs/a.log", "mtls"),
    );
    // nginx resolves certificate paths against the conf dir and log paths against -p:
    // both are `dir` here.
    fs::write(dir.join("nginx.conf"), &conf).unwrap();
    let mut nginx = common::Nginx::start(dir, &dir.join("nginx.conf"), pb).unwrap();

    // (host, port, client, how many, expected status)
    let plan: &[(&str, u16, Option<&str>, usize, &str)] = &[
        ("a.test", pa, Some("good"), 3, "200"),
        ("a.test", pa, None, 2, "200"),
        ("a.test", pa, Some("expired"), 2, "400"),
        ("a.test", pa, Some("unknown"), 1, "400"),
        ("b.test", pb, Some("good"), 2, "200"),
        ("b.test", pb, None, 2, "400"),
        ("b.test", pb, Some("expired"), 1, "400"),
        ("b.test", pb, Some("unknown"), 2, "400"),
    ];
    for (host, port, client, n, want) in plan {
        for _ in 0..*n {
            assert_eq!(&curl(host, *port, *client, dir), want, "{host} {client:?}");
        }
    }
    // SNI a.test, Host c.test.
    let misdirected = run(Command::new("curl").current_dir(dir).args([
        "-sk",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--max-time",
        "10",
        "--cert",
        "good.crt",
        "--key",
        "good.key",
        "-H",
        "Host: c.test",
        "--resolve",
        &format!("a.test:{pa}:127.0.0.1"),
        &format!("https://a.test:{pa}/"),
    ]));
    assert_eq!(misdirected, "421");
    // A client that rejects nginx's certificate (curl without -k does not know our CA):
    // the handshake fails with an alert that nginx logs at info.
    let rejected = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "--max-time", "10", "--resolve"])
        .arg(format!("b.test:{pb}:127.0.0.1"))
        .arg(format!("https://b.test:{pb}/"))
        .status()
        .unwrap();
    assert!(!rejected.success());
    nginx.stop();

    let d = dir.display().to_string();
    let v = logs_json(&["--config", &format!("{d}/nginx.conf"), "--prefix", &d]);

    // Every request is one matched access log line.
    assert_eq!(v["lines"]["access"], 16, "{v:#}");
    assert_eq!(v["lines"]["matched"], 16, "{v:#}");
    assert_eq!(v["lines"]["unmatched"], 0, "{v:#}");
    assert_eq!(
        v["verify"],
        json!({"SUCCESS": 6, "NONE": 4, "FAILED:certificate has expired": 3,
               "FAILED:unable to verify the first certificate": 3})
    );
    let server = |name: &str| {
        v["servers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["server"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no server {name} in {v:#}"))
    };
    assert_eq!(
        server(&format!("a.test:{pa}"))["verify"],
        // The misdirected request is logged by the server its SNI selected.
        json!({"SUCCESS": 4, "NONE": 2, "FAILED:certificate has expired": 2,
               "FAILED:unable to verify the first certificate": 1})
    );
    assert_eq!(
        server(&format!("b.test:{pb}"))["verify"],
        json!({"SUCCESS": 2, "NONE": 2, "FAILED:certificate has expired": 1,
               "FAILED:unable to verify the first certificate": 2})
    );
    assert_eq!(v["status"], json!({"200": 7, "400": 8, "421": 1}));
    // NONE refused with 400 only on the `ssl_verify_client on` server.
    assert_eq!(v["refused"], json!({"none_400": 2, "failed_400": 6}));

    // Per-certificate table: subject + serial, from both formats.
    let cert = |cn: &str| {
        v["client_certificates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["subject"].as_str().unwrap_or_default().contains(cn))
            .cloned()
            .unwrap_or_else(|| panic!("no certificate {cn} in {v:#}"))
    };
    assert_eq!(cert("good client")["count"], 6);
    assert_eq!(cert("good client")["serial"], "1001");
    assert_eq!(cert("expired client")["count"], 3);
    assert_eq!(cert("stranger")["count"], 3);
    // Expiry relative to now: the expired one, and the good one within 15 (not 7) days.
    let names = |k: &str| -> Vec<String> {
        v["expiring"][k]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["subject"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert!(
        names("expired")
            .iter()
            .any(|s| s.contains("expired client")),
        "{v:#}"
    );
    assert!(
        names("within_15d")
            .iter()
            .any(|s| s.contains("good client")),
        "{v:#}"
    );
    assert!(
        !names("within_7d").iter().any(|s| s.contains("good client")),
        "{v:#}"
    );
    // Clients without a valid certificate: all from 127.0.0.1.
    assert_eq!(v["clients"][0]["address"], "127.0.0.1");
    assert_eq!(v["clients"][0]["none"], 4);
    assert_eq!(v["clients"][0]["failed"], 6);
    // The fix is attached to each reason.
    let failures = v["failures"].as_array().unwrap();
    assert!(
        failures
            .iter()
            .any(|f| f["reason"] == "certificate has expired"
                && f["fix"].as_str().unwrap_or_default().contains("re-issue"))
    );
    assert!(
        failures
            .iter()
            .any(|f| f["verify"] == "NONE" && f["count"] == 2)
    );

    // The error log (level info): one verify error per FAILED request, one "no required"
    // per refused NONE.
    let e = &v["error_log"];
    assert_eq!(
        e["verify_errors"],
        json!({"certificate has expired": 3, "unable to verify the first certificate": 3}),
        "{e:#}"
    );
    assert_eq!(e["kinds"]["verify_error"], 6);
    assert_eq!(e["kinds"]["no_required_certificate"], 2);
    assert_eq!(e["samples"]["verify_error"]["client"], "127.0.0.1");
    assert_eq!(e["kinds"]["sni_mismatch"], 1);
    assert_eq!(e["kinds"]["handshake_failed"], 1);
    assert_eq!(e["handshake_errors"], json!({"tlsv1 alert unknown ca": 1}));

    // Each file alone, its kind and format recognised from the content (no --config).
    let a = logs_json(&[&format!("{d}/logs/a.log")]);
    assert_eq!(a["files"][0]["kind"], "access");
    // Without --config the custom format is unknown: lines do not match `combined`,
    // and are reported, not fatal.
    assert_eq!(a["lines"]["unmatched"], 9);
    assert_eq!(a["unmatched_samples"][0]["line"], 1);
    let err = logs_json(&[&format!("{d}/error.log")]);
    assert_eq!(err["files"][0]["kind"], "error");
    assert_eq!(err["error_log"]["kinds"]["verify_error"], 6);
    // With the format named on the command line.
    let b = logs_json(&[
        "--config",
        &format!("{d}/nginx.conf"),
        "--log-format",
        "mtls_json",
        &format!("{d}/logs/b.json.log"),
    ]);
    assert_eq!(b["lines"]["matched"], 7);
    assert_eq!(b["verify"]["NONE"], 2);

    if std::env::var("NGINX_MTLS_SAVE_SAMPLE_LOGS").is_ok_and(|v| v == "1") {
        save_samples(dir, &conf, pa, pb);
    }
}

/// Copies this run's logs and configuration to sample-logs/e2e/ (the temp dir replaced
/// by a placeholder).
fn save_samples(dir: &Path, conf: &str, pa: u16, pb: u16) {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs/e2e");
    fs::create_dir_all(out.join("logs")).unwrap();
    let d = dir.display().to_string();
    fs::write(out.join("nginx.conf"), conf.replace(&d, "/PREFIX")).unwrap();
    for f in ["logs/a.log", "logs/b.json.log", "error.log"] {
        let text = fs::read_to_string(dir.join(f))
            .unwrap()
            .replace(&d, "/PREFIX");
        fs::write(out.join(f), text).unwrap();
    }
    fs::write(
        out.join("README.md"),
        format!(
            "Written by real nginx during `tests/logs_e2e.rs` (run with NGINX_MTLS_SAVE_SAMPLE_LOGS=1).\n\
             `/PREFIX` stands for the test's temporary directory (nginx -p); server a.test listened on\n\
             port {pa} (`ssl_verify_client optional`, log_format mtls), b.test on {pb}\n\
             (`ssl_verify_client on`, log_format mtls_json with escape=json).\n\n\
             c.test shares a.test's port with `ssl_verify_client on`.\n\n\
             Requests: a.test: good x3, no cert x2, expired x2, unknown CA x1;\n\
             b.test: good x2, no cert x2, expired x1, unknown CA x2;\n\
             then SNI a.test with `Host: c.test` (421, SNI/Host mismatch message), and a client\n\
             that rejects nginx's certificate on b.test (handshake alert `unknown ca`).\n\n\
             ```sh\nnginx-mtls-lint logs --config sample-logs/e2e/nginx.conf --prefix sample-logs/e2e \\\n    \
             sample-logs/e2e/logs/a.log sample-logs/e2e/logs/b.json.log sample-logs/e2e/error.log\n```\n"
        ),
    )
    .unwrap();
}

/// `--follow` on logs real nginx writes while they are rotated as logrotate does it:
/// rename, a few more requests (nginx still writes to the renamed file), USR1 (nginx
/// reopens), more requests. Every request is counted once.
#[test]
fn follow_counts_real_nginx_requests_across_rotation() {
    if !common::have_tools(&["nginx", "curl", "openssl"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_certs(dir);
    let pa = common::free_port();
    let conf = format!(
        "{}http {{\n    {}{LOG_FORMATS}{}}}\n",
        common::preamble(dir),
        common::http_temp_paths(dir),
        server("a.test", pa, "optional", "logs/a.log", "mtls"),
    );
    fs::write(dir.join("nginx.conf"), &conf).unwrap();
    let nginx = common::Nginx::start(dir, &dir.join("nginx.conf"), pa).unwrap();
    let d = dir.display().to_string();
    let mut child = common::tool()
        .args([
            "logs",
            "--follow",
            "--format",
            "jsonl",
            "--interval",
            "100ms",
            "--config",
        ])
        .arg(dir.join("nginx.conf"))
        .args(["--prefix", &d])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).unwrap();
        s
    });
    let log = dir.join("logs/a.log");
    let mut made = 0;
    for round in 0..4 {
        for _ in 0..4 {
            assert_eq!(curl("a.test", pa, Some("good"), dir), "200");
            made += 1;
        }
        if round < 3 {
            let r1 = dir.join("logs/a.log.1");
            if r1.exists() {
                fs::rename(&r1, dir.join("logs/a.log.2")).unwrap();
            }
            fs::rename(&log, &r1).unwrap();
            // Until it is told to reopen, nginx keeps writing to the renamed file.
            for _ in 0..2 {
                assert_eq!(curl("a.test", pa, None, dir), "200");
                made += 1;
            }
            nginx.reopen_logs();
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = reader.join().unwrap();
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    let totals = &last["totals"];
    assert_eq!(made, 22);
    assert_eq!(totals["lines"]["access"], made, "{:#}", totals["files"]);
    assert_eq!(totals["verify"], json!({"SUCCESS": 16, "NONE": 6}));
    // The renamed file really received lines after the rename (so the test exercises
    // reading the old file until nginx reopens).
    let old = fs::read_to_string(dir.join("logs/a.log.1")).unwrap();
    assert!(old.contains("\"NONE\""), "{old}");
}
