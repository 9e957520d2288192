//! Building the fix (issue #18), end to end against real nginx and real curl:
//! - `bundle`: a client issued by an intermediate, `ssl_client_certificate` with the root
//!   only, the client sending only its leaf: rejected; after the bundle is deployed and
//!   nginx reloaded (by signal to its PID): accepted.
//! - `p12`, both profiles: `openssl pkcs12 -info` reads each without `-legacy`, curl
//!   `--cert-type P12` gets 200 from the root-only server (the chain is inside), and the
//!   tool's own MTLS305/MTLS306 say what the profile means and nothing else.

mod common;
#[path = "certs_pki.rs"]
mod pki;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Nginx, free_port, have_tools, http_temp_paths, now, preamble, tool};
use pki::{DAY, ca, leaf};

fn curl(port: u16, args: &[String]) -> u16 {
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
        .arg(format!("https://127.0.0.1:{port}/"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

fn pem_args(dir: &Path) -> Vec<String> {
    vec![
        "--cert".into(),
        dir.join("leaf_only.crt").display().to_string(),
        "--key".into(),
        dir.join("leaf.key").display().to_string(),
    ]
}

#[test]
fn bundle_and_p12_fix_real_requests() {
    if !have_tools(&["nginx", "curl", "openssl"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let n = now();
    let root = ca("Fix Root")
        .validity(n - DAY, n + 3650 * DAY)
        .self_signed();
    let int = ca("Fix Intermediate")
        .validity(n - DAY, n + 3650 * DAY)
        .signed_by(&root);
    let client = leaf("alice")
        .validity(n - DAY, n + 365 * DAY)
        .signed_by(&int);
    let server = leaf("localhost")
        .validity(n - DAY, n + 365 * DAY)
        .eku(vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth])
        .self_signed();
    let w = |name: &str, body: &str| fs::write(dir.join(name), body).unwrap();
    w("root.pem", &root.pem);
    w("int.pem", &int.pem);
    w("ca.pem", &root.pem);
    w("leaf_only.crt", &client.pem);
    w("leaf.key", &client.key.serialize_pem());
    w("server.pem", &server.pem);
    w("server.key", &server.key.serialize_pem());
    let port = free_port();
    let conf = dir.join("nginx.conf");
    fs::write(
        &conf,
        format!(
            "{}http {{\n{}server {{ listen 127.0.0.1:{port} ssl; ssl_certificate server.pem; ssl_certificate_key server.key; ssl_verify_client on; ssl_client_certificate ca.pem; ssl_verify_depth 2; location / {{ return 200 \"ok\\n\"; }} }}\n}}\n",
            preamble(dir),
            http_temp_paths(dir)
        ),
    )
    .unwrap();
    let mut nginx = Nginx::start(dir, &conf, port).expect("nginx");

    // Before: the leaf alone against the root alone.
    assert_eq!(curl(port, &pem_args(dir)), 400, "the intermediate gap");

    // p12, both profiles, against the root-only server: the archive carries the chain.
    for profile in ["modern", "compatible"] {
        let out_file = dir.join(format!("alice-{profile}.p12"));
        let out = tool()
            .args([
                "p12",
                "--profile",
                profile,
                "--password-env",
                "FIX_P12_PW",
                "--format",
                "json",
            ])
            .arg("--cert")
            .arg(dir.join("leaf_only.crt"))
            .arg("--key")
            .arg(dir.join("leaf.key"))
            .arg("-o")
            .arg(&out_file)
            .env("FIX_P12_PW", "fix-pw-123")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["chain"][0], "CN=Fix Intermediate,O=Example", "{doc:#}");
        assert_eq!(
            doc["chain"].as_array().unwrap().len(),
            1,
            "no root by default"
        );
        // OpenSSL 3 reads both without -legacy.
        let info = Command::new("openssl")
            .args([
                "pkcs12",
                "-info",
                "-noout",
                "-passin",
                "env:FIX_P12_PW",
                "-in",
            ])
            .arg(&out_file)
            .env("FIX_P12_PW", "fix-pw-123")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&info.stderr).to_string();
        assert!(
            info.status.success(),
            "{profile}: openssl pkcs12 -info: {text}"
        );
        let expect = if profile == "modern" {
            "AES-256-CBC"
        } else {
            "3-KeyTripleDES"
        };
        assert!(text.contains(expect), "{profile}: {text}");
        // curl with the archive: 200 from the root-only server.
        let status = curl(
            port,
            &[
                "--cert-type".into(),
                "P12".into(),
                "--cert".into(),
                format!("{}:fix-pw-123", out_file.display()),
            ],
        );
        assert_eq!(status, 200, "{profile}: curl --cert-type P12");
        // The tool's own checks: no MTLS305 (chain complete), MTLS306 says the profile.
        let out = tool()
            .args(["lint", "--format", "json", "--password-env", "FIX_P12_PW"])
            .arg("--client-cert")
            .arg(&out_file)
            .arg(&conf)
            .env("FIX_P12_PW", "fix-pw-123")
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let findings = doc["findings"].as_array().unwrap();
        let codes: Vec<&str> = findings.iter().filter_map(|f| f["code"].as_str()).collect();
        assert!(!codes.contains(&"MTLS305"), "{profile}: {codes:?}");
        assert!(
            !codes.contains(&"MTLS301"),
            "{profile}: accepted by the server: {codes:?}"
        );
        let m306: Vec<&str> = findings
            .iter()
            .filter(|f| f["code"] == "MTLS306")
            .filter_map(|f| f["message"].as_str())
            .collect();
        assert_eq!(m306.len(), 1, "{profile}: {m306:?}");
        let says = if profile == "modern" {
            "AES-256-CBC"
        } else {
            "without -legacy"
        };
        assert!(m306[0].contains(says), "{profile}: {}", m306[0]);
    }

    // bundle: the root and the intermediate from a directory, checked for the client.
    let inputs = dir.join("cas");
    fs::create_dir_all(&inputs).unwrap();
    fs::copy(dir.join("root.pem"), inputs.join("root.pem")).unwrap();
    fs::copy(dir.join("int.pem"), inputs.join("int.pem")).unwrap();
    fs::copy(dir.join("leaf_only.crt"), inputs.join("alice.crt")).unwrap();
    let bundle = dir.join("full_ca_chain.pem");
    let out = tool()
        .args(["bundle", "--format", "json", "-o"])
        .arg(&bundle)
        .arg("--for-client")
        .arg(dir.join("leaf_only.crt"))
        .arg(&inputs)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let roles: Vec<&str> = doc["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["role"].as_str())
        .collect();
    assert_eq!(roles, ["intermediate", "root"], "{doc:#}");
    assert_eq!(
        doc["left_out"][0]["subject"], "CN=alice,O=Example",
        "{doc:#}"
    );
    assert_eq!(doc["clients"][0]["chains"], true, "{doc:#}");
    let line = doc["nginx"][0].as_str().unwrap();
    assert!(
        line.starts_with("ssl_client_certificate ") && line.ends_with("full_ca_chain.pem;"),
        "{line}"
    );
    // Never over an input.
    let out = tool()
        .args(["bundle", "-o"])
        .arg(inputs.join("root.pem"))
        .arg(&inputs)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        fs::read_to_string(inputs.join("root.pem")).unwrap(),
        root.pem
    );

    // Deploy: the bundle becomes the CA file, nginx reloads.
    fs::copy(&bundle, dir.join("ca.pem")).unwrap();
    nginx.reload();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut status = 0;
    while Instant::now() < deadline {
        status = curl(port, &pem_args(dir));
        if status == 200 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    nginx.stop();
    assert_eq!(status, 200, "after the bundle and the reload");
}
