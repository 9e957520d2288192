//! The fleet metrics (issue #20) in the real Prometheus: `lint --format prometheus -o`
//! writes the textfile, Debian's node_exporter (textfile collector only) serves it on
//! 127.0.0.1, Debian's Prometheus scrapes it with docs/prometheus/alerts.yml loaded, and
//! the HTTP API must return each certificate's and CRL's date with the right value and
//! labels, and the 15-day alert for the CA that expires in 10 days. `promtool` checks the
//! metrics and the rules and runs the rules' unit tests.

mod common;
#[path = "certs_pki.rs"]
mod pki;

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, have_tools, now, tool};
use pki::{DAY, ca, leaf};

/// A child process stopped by its PID when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on 127.0.0.1:{port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn get(url: &str) -> serde_json::Value {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "5"])
        .arg(url)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

fn promtool(args: &[&str], dir: &Path, stdin: Option<&Path>) {
    let mut cmd = Command::new(common::find_binary("promtool").unwrap());
    cmd.current_dir(dir).args(args);
    if let Some(f) = stdin {
        cmd.stdin(fs::File::open(f).unwrap());
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "promtool {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn prometheus_scrapes_each_certificate_expiry() {
    if !have_tools(&["prometheus", "promtool", "prometheus-node-exporter", "curl"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let n = now();
    // The client CA expires in 10 days; its CRL's nextUpdate is in 20.
    let client_ca = ca("Fleet Client CA")
        .validity(n - 300 * DAY, n + 10 * DAY)
        .self_signed();
    let server = leaf("fleet.example.com")
        .validity(n - DAY, n + 200 * DAY)
        .eku(vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth])
        .self_signed();
    let upstream = leaf("fleet-nginx-client")
        .validity(n - DAY, n + 90 * DAY)
        .signed_by(&client_ca);
    let crl = pki::crl(&client_ca, &[], n - DAY, n + 20 * DAY).1;
    let w = |name: &str, body: &str| fs::write(dir.join(name), body).unwrap();
    w("ca.pem", &client_ca.pem);
    w("crl.pem", &crl);
    w("server.pem", &server.pem);
    w("server.key", &server.key.serialize_pem());
    w("upstream.pem", &upstream.pem);
    w("upstream.key", &upstream.key.serialize_pem());
    w(
        "nginx.conf",
        "events {}\nhttp {\n  server {\n    listen 8443 ssl;\n    server_name fleet.example.com;\n    ssl_certificate server.pem;\n    ssl_certificate_key server.key;\n    ssl_verify_client on;\n    ssl_client_certificate ca.pem;\n    ssl_crl crl.pem;\n    location / {\n      proxy_pass https://127.0.0.1:9443;\n      proxy_ssl_certificate upstream.pem;\n      proxy_ssl_certificate_key upstream.key;\n    }\n  }\n}\n",
    );
    let text_dir = dir.join("textfile");
    fs::create_dir_all(&text_dir).unwrap();
    let prom = text_dir.join("nginx-mtls.prom");
    let out = tool()
        .args(["lint", "--format", "prometheus", "-o"])
        .arg(&prom)
        .arg(dir.join("nginx.conf"))
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    promtool(&["check", "metrics"], dir, Some(&prom));
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/prometheus");
    promtool(&["check", "rules", "alerts.yml"], &rules, None);
    promtool(&["test", "rules", "alerts-test.yml"], &rules, None);

    let exporter_port = free_port();
    let _exporter = Running(
        Command::new(common::find_binary("prometheus-node-exporter").unwrap())
            .arg(format!("--web.listen-address=127.0.0.1:{exporter_port}"))
            .arg("--collector.disable-defaults")
            .arg("--collector.textfile")
            .arg(format!(
                "--collector.textfile.directory={}",
                text_dir.display()
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_port(exporter_port, "node_exporter");
    let prom_port = free_port();
    fs::copy(rules.join("alerts.yml"), dir.join("alerts.yml")).unwrap();
    w(
        "prometheus.yml",
        &format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - alerts.yml\nscrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: ['127.0.0.1:{exporter_port}']\n"
        ),
    );
    let _prometheus = Running(
        Command::new(common::find_binary("prometheus").unwrap())
            .current_dir(dir)
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_port(prom_port, "prometheus");
    let api = format!("http://127.0.0.1:{prom_port}/api/v1/query?query=");
    let deadline = Instant::now() + Duration::from_secs(60);
    let (mut certs, mut alerts) = (serde_json::Value::Null, serde_json::Value::Null);
    let mut crls = serde_json::Value::Null;
    while Instant::now() < deadline {
        certs = get(&format!(
            "{api}nginx_mtls_lint_certificate_not_after_timestamp_seconds"
        ));
        crls = get(&format!(
            "{api}nginx_mtls_lint_crl_next_update_timestamp_seconds"
        ));
        alerts = get(&format!(
            "{api}ALERTS%7Balertname%3D%22NginxMtlsCertificateExpiresIn15Days%22%7D"
        ));
        let count = |v: &serde_json::Value| v["data"]["result"].as_array().map_or(0, |r| r.len());
        if count(&certs) >= 3 && count(&crls) >= 1 && count(&alerts) >= 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let series =
        |v: &serde_json::Value| v["data"]["result"].as_array().cloned().unwrap_or_default();
    let find = |role: &str, subject_cn: &str| {
        series(&certs).into_iter().find(|s| {
            s["metric"]["role"] == role
                && s["metric"]["subject"]
                    .as_str()
                    .is_some_and(|x| x.contains(subject_cn))
        })
    };
    let mut bad = Vec::new();
    for (role, cn, cert) in [
        ("client_ca", "Fleet Client CA", &client_ca),
        ("server", "fleet.example.com", &server),
        ("upstream_client", "fleet-nginx-client", &upstream),
    ] {
        match find(role, cn) {
            None => bad.push(format!("no {role} series for {cn}: {certs}")),
            Some(s) => {
                let value: f64 = s["value"][1].as_str().unwrap_or("0").parse().unwrap_or(0.0);
                let want = cert.params.not_after.unix_timestamp() as f64;
                if value != want {
                    bad.push(format!("{role} {cn}: {value} != {want}"));
                }
                let m = &s["metric"];
                if m["servers"] != "fleet.example.com:8443"
                    || !m["file"].as_str().is_some_and(|f| f.starts_with('/'))
                    || m["serial"].as_str().is_none_or(str::is_empty)
                    || m["job"] != "node"
                {
                    bad.push(format!("{role} {cn}: labels {m}"));
                }
            }
        }
    }
    let crl_series = series(&crls);
    let crl_value: f64 = crl_series
        .first()
        .and_then(|s| s["value"][1].as_str())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    let want_next = (n + 20 * DAY) as f64;
    if crl_series.len() != 1 || (crl_value - want_next).abs() > 1.0 {
        bad.push(format!(
            "CRL nextUpdate: {crl_series:?}, expected {want_next}"
        ));
    }
    let fired: Vec<_> = series(&alerts)
        .into_iter()
        .filter(|a| {
            a["metric"]["subject"]
                .as_str()
                .is_some_and(|s| s.contains("Fleet Client CA"))
        })
        .collect();
    if fired.is_empty() {
        bad.push(format!(
            "the 15-day alert did not fire for the CA: {alerts}"
        ));
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
