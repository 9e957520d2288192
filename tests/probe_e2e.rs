//! `probe` end to end (issue #17) against a real nginx on 127.0.0.1: one socket with a
//! `required`, an `optional`, an `optional_no_ca` and a `not requested` server chosen by
//! SNI, TLS 1.2 and 1.3. The CA names must equal, name for name, what `openssl s_client`
//! prints as "Acceptable client certificate CA names"; the verdicts and statuses must
//! equal what curl gets. Then the drift: `ca.pem` and `server.pem` replaced on disk
//! without a reload are both reported by `probe --config`; after the reload, nothing.

mod common;
#[path = "certs_pki.rs"]
mod pki;

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Nginx, free_port, have_tools, http_temp_paths, now, preamble, tool};
use pki::{DAY, ca, leaf};

const NAMES: [(&str, &str); 4] = [
    ("req.test", "on"),
    ("opt.test", "optional"),
    ("nca.test", "optional_no_ca"),
    ("none.test", "off"),
];

fn probe(port: u16, sni: &str, extra: &[&str]) -> (serde_json::Value, i32) {
    let out = tool()
        .args(["probe", "--format", "json", "--timeout", "5", "--connect"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["--sni", sni])
        .args(extra)
        .arg(format!("{sni}:{port}"))
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("probe {sni}: {}", String::from_utf8_lossy(&out.stderr)));
    (doc, out.status.code().unwrap_or(-1))
}

fn curl(port: u16, sni: &str, cert: Option<(&Path, &Path)>, tls: &str) -> u16 {
    let mut cmd = Command::new("curl");
    cmd.args([
        "-sk",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--max-time",
        "10",
        tls,
    ])
    .arg("--resolve")
    .arg(format!("{sni}:{port}:127.0.0.1"));
    if let Some((c, k)) = cert {
        cmd.arg("--cert").arg(c).arg("--key").arg(k);
    }
    let out = cmd.arg(format!("https://{sni}:{port}/")).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

/// The "Acceptable client certificate CA names" of `openssl s_client`, each as
/// attribute=value pairs in order.
fn s_client_names(port: u16, sni: &str, tls: &str) -> Vec<String> {
    let out = Command::new("openssl")
        .args([
            "s_client",
            tls,
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-servername",
            sni,
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut names = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("Acceptable client certificate CA names") {
            inside = true;
            continue;
        }
        if inside {
            if line.starts_with("Requested Signature")
                || line.starts_with("Client Certificate Types")
                || line.starts_with("---")
                || line.starts_with("No client certificate")
            {
                break;
            }
            names.push(normal(line));
        }
    }
    names
}

/// `O = Example, CN = root` and `O=Example, CN=root` alike.
fn normal(dn: &str) -> String {
    dn.split(',')
        .map(|p| p.split('=').map(str::trim).collect::<Vec<_>>().join("="))
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn probe_matches_openssl_and_curl_and_sees_drift() {
    if !have_tools(&["nginx", "curl", "openssl"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let n = now();
    let root = ca("Probe Root")
        .validity(n - DAY, n + 3650 * DAY)
        .self_signed();
    let int = ca("Probe Intermediate")
        .validity(n - DAY, n + 3650 * DAY)
        .signed_by(&root);
    let other = ca("Probe Other Root")
        .validity(n - DAY, n + 3650 * DAY)
        .self_signed();
    let client = leaf("probe-client")
        .validity(n - DAY, n + 365 * DAY)
        .signed_by(&int);
    let server_ca = ca("Probe Server CA")
        .validity(n - DAY, n + 3650 * DAY)
        .self_signed();
    let mut spec = leaf("probe-server").validity(n - DAY, n + 365 * DAY);
    spec.eku = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    for (name, _) in NAMES {
        spec = spec.san(&format!("DNS:{name}"));
    }
    let server = spec.clone().signed_by(&server_ca);
    // The renewal: the same key, a new certificate.
    let renewed = spec
        .validity(n - DAY, n + 700 * DAY)
        .signed_by_same_key(&server, &server_ca);
    let w = |name: &str, body: &str| fs::write(dir.join(name), body).unwrap();
    w("ca.pem", &format!("{}{}", root.pem, int.pem));
    w("server.pem", &server.pem);
    w("server.key", &server.key.serialize_pem());
    w("client.crt", &format!("{}{}", client.pem, int.pem));
    w("client.key", &client.key.serialize_pem());
    w("server-ca.pem", &server_ca.pem);
    w("other-ca.pem", &other.pem);
    let port = free_port();
    let mut servers = String::new();
    for (i, (name, mode)) in NAMES.iter().enumerate() {
        servers.push_str(&format!(
            "server {{ listen 127.0.0.1:{port} ssl{}; server_name {name}; ssl_protocols TLSv1.2 TLSv1.3; ssl_certificate server.pem; ssl_certificate_key server.key; ssl_verify_client {mode}; ssl_client_certificate ca.pem; ssl_verify_depth 2; location / {{ return 200 \"{name}\\n\"; }} }}\n",
            if i == 0 { " default_server" } else { "" }
        ));
    }
    let conf = dir.join("nginx.conf");
    fs::write(
        &conf,
        format!(
            "{}http {{\n{}{servers}}}\n",
            preamble(dir),
            http_temp_paths(dir)
        ),
    )
    .unwrap();
    let mut nginx = Nginx::start(dir, &conf, port).expect("nginx");
    let (crt, key) = (dir.join("client.crt"), dir.join("client.key"));
    let mut bad = Vec::new();
    for (name, mode) in NAMES {
        let cert_args = [
            "--cert",
            crt.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ];
        let (doc, _) = probe(port, name, &cert_args);
        for (i, tls) in ["-tls1_3", "-tls1_2"].iter().enumerate() {
            let hs = &doc["handshakes"][i];
            let ours: Vec<String> = hs["ca_names"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| normal(n.as_str().unwrap()))
                .collect();
            let theirs = s_client_names(port, name, tls);
            // ca.pem holds the root and the intermediate: both are advertised.
            let want = if mode == "off" { 0 } else { 2 };
            if ours.len() != want {
                bad.push(format!(
                    "{name} {tls}: {} CA names, expected {want}",
                    ours.len()
                ));
            }
            if ours != theirs {
                bad.push(format!(
                    "{name} {tls}: CA names: probe {ours:?}, s_client {theirs:?}"
                ));
            }
            if hs["certificate_requested"].as_bool() != Some(mode != "off") {
                bad.push(format!(
                    "{name} {tls}: requested {}",
                    hs["certificate_requested"]
                ));
            }
        }
        let expected = match mode {
            "on" => "required",
            "off" => "not requested",
            _ => "optional",
        };
        let curl_without = curl(port, name, None, "--tlsv1.3");
        let curl_with = curl(port, name, Some((&crt, &key)), "--tlsv1.3");
        let probe_without = doc["without_certificate"]["status"].as_u64().unwrap_or(0) as u16;
        let probe_with = doc["with_certificate"]["status"].as_u64().unwrap_or(0) as u16;
        if doc["verdict"] != expected || probe_without != curl_without || probe_with != curl_with {
            bad.push(format!(
                "{name}: verdict {} (expected {expected}), without: probe {probe_without} curl {curl_without}, with: probe {probe_with} curl {curl_with}",
                doc["verdict"]
            ));
        }
        if mode != "off" && doc["browser_offers"] != true {
            bad.push(format!(
                "{name}: a browser offers the client's certificate: {}",
                doc["browser_offers"]
            ));
        }
        eprintln!(
            "{name:<10} {expected:<14} curl {curl_without}/{curl_with} probe {probe_without}/{probe_with}"
        );
    }
    // A targets file: every name, and a port nothing listens on, 3 at a time.
    let closed = free_port();
    let mut list = String::from("# probe targets\n");
    for (name, _) in NAMES {
        list.push_str(&format!(
            "{name}:{port} connect=127.0.0.1:{port} sni={name}\n"
        ));
    }
    list.push_str(&format!("down.test:{closed} connect=127.0.0.1:{closed}\n"));
    let targets = dir.join("targets.txt");
    fs::write(&targets, list).unwrap();
    let out = tool()
        .args([
            "probe",
            "--format",
            "json",
            "--timeout",
            "3",
            "--jobs",
            "3",
            "--targets",
        ])
        .arg(&targets)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<String> = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            t["verdict"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| format!("error:{}", t["error"].as_str().is_some()))
        })
        .collect();
    if got
        != [
            "required",
            "optional",
            "optional",
            "not requested",
            "error:true",
        ]
        || out.status.code() != Some(2)
    {
        bad.push(format!(
            "targets file: {got:?}, exit {:?}",
            out.status.code()
        ));
    }
    // As the upstream side: a proxy configuration (not started) whose locations reach
    // this nginx the way the proxy would; the backend's chain judged as nginx would.
    let proxy = dir.join("proxy.conf");
    let loc = |path: &str, trusted: &str| {
        format!(
            "location {path} {{ proxy_pass https://127.0.0.1:{port}; proxy_ssl_certificate {}; proxy_ssl_certificate_key {}; proxy_ssl_name req.test; proxy_ssl_server_name on; proxy_ssl_verify on; proxy_ssl_trusted_certificate {}; }}",
            crt.display(),
            key.display(),
            dir.join(trusted).display()
        )
    };
    fs::write(
        &proxy,
        format!(
            "events {{}}\nhttp {{ server {{ listen 127.0.0.1:{}; server_name px.test; {} {} }} }}\n",
            free_port(),
            loc("/good/", "server-ca.pem"),
            loc("/untrusted/", "other-ca.pem")
        ),
    )
    .unwrap();
    for (path, refused) in [("/good/", false), ("/untrusted/", true)] {
        let out = tool()
            .args(["probe", "--format", "json", "--as-upstream-of"])
            .arg(&proxy)
            .args(["--server", "px.test", "--path", path])
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{path}: {}", String::from_utf8_lossy(&out.stderr)));
        let log = doc["nginx"]["error_log"].as_str().unwrap_or("");
        let ok = doc["sni"] == "req.test"
            && doc["handshake"]["client_certificate_sent"] == true
            && doc["backend_answer"]["status"] == 200
            && (doc["nginx"]["status"] == 502) == refused
            && log.starts_with("upstream SSL certificate verify error") == refused
            && out.status.code() == Some(if refused { 1 } else { 0 });
        if !ok {
            bad.push(format!("--as-upstream-of {path}: {doc:#}"));
        }
    }
    // Drift: no difference first.
    let with_config = [
        "--config",
        conf.to_str().unwrap(),
        "--cert",
        crt.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ];
    let (doc, code) = probe(port, "req.test", &with_config);
    if doc["drift"].as_array().is_none_or(|d| !d.is_empty()) || code != 0 {
        bad.push(format!(
            "before any change: drift {} (exit {code})",
            doc["drift"]
        ));
    }
    // The files change, nginx is not reloaded.
    w("ca.pem", &format!("{}{}", other.pem, int.pem));
    w("server.pem", &renewed.pem);
    let (doc, code) = probe(port, "req.test", &with_config);
    let kinds: Vec<&str> = doc["drift"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["kind"].as_str())
        .collect();
    // The new CA file no longer holds the client's root: the files predict 400 where the
    // running server, on the old file, answers 200.
    if !(kinds.contains(&"ca_names")
        && kinds.contains(&"server_certificate")
        && kinds.contains(&"status"))
        || code != 1
    {
        bad.push(format!(
            "after the change: {kinds:?} (exit {code}): {:#}",
            doc["drift"]
        ));
    }
    // After the reload the running server matches again.
    nginx.reload();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut after = serde_json::Value::Null;
    while Instant::now() < deadline {
        let (doc, _) = probe(port, "req.test", &with_config);
        if doc["drift"].as_array().is_some_and(|d| d.is_empty()) {
            after = doc;
            break;
        }
        after = doc;
        std::thread::sleep(Duration::from_millis(200));
    }
    nginx.stop();
    if after["drift"].as_array().is_none_or(|d| !d.is_empty()) {
        bad.push(format!("after the reload: {:#}", after["drift"]));
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
