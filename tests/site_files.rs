//! A site file given as the input, as the guide tells users to check it
//! (`nginx-mtls-lint /etc/nginx/sites-available/default`), in a Debian layout made here:
//! `nginx.conf` includes `sites-enabled/*`, `sites-enabled/default` links to
//! `../sites-available/default`. The file finds every problem the directory input
//! finds for it; a site with no link is reported as not loaded; a site file with no
//! tree around it is read as if included in `http {}`.

mod common;

use std::fs;
use std::path::Path;

use serde_json::Value;

const MAIN: &str = "user www-data;
worker_processes auto;
events { worker_connections 768; }
http {
    ssl_protocols TLSv1.2 TLSv1.3;
    access_log /var/log/nginx/access.log;
    include sites-enabled/*;
}
";

/// An mTLS site whose CA file is missing, with an `optional` that nothing enforces.
const SITE: &str = "server {
    listen 443 ssl;
    server_name api.example.com;
    ssl_certificate     snakeoil.pem;
    ssl_certificate_key snakeoil.key;
    ssl_client_certificate /nonexistent/client-ca.pem;
    ssl_verify_client optional;
    location / {
        proxy_pass http://127.0.0.1:8080;
    }
}
";

const OTHER: &str = "server {
    listen 8443 ssl;
    ssl_certificate     snakeoil.pem;
    ssl_certificate_key snakeoil.key;
    ssl_verify_client on;
}
";

fn layout(dir: &Path) {
    fs::create_dir_all(dir.join("sites-available")).unwrap();
    fs::create_dir_all(dir.join("sites-enabled")).unwrap();
    fs::write(dir.join("nginx.conf"), MAIN).unwrap();
    fs::write(dir.join("sites-available/default"), SITE).unwrap();
    fs::write(dir.join("sites-available/disabled"), OTHER).unwrap();
    std::os::unix::fs::symlink(
        "../sites-available/default",
        dir.join("sites-enabled/default"),
    )
    .unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["api.example.com".into()]).unwrap();
    fs::write(dir.join("snakeoil.pem"), cert.cert.pem()).unwrap();
    fs::write(dir.join("snakeoil.key"), cert.signing_key.serialize_pem()).unwrap();
}

fn lint(path: &Path) -> (i32, Value) {
    let out = common::tool()
        .args(["--format", "json", "--no-config-file"])
        .arg(path)
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), doc)
}

/// (code, file name, line) of every finding in `file_name`.
fn findings_in(doc: &Value, file_name: &str) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["file"]
                .as_str()
                .is_some_and(|p| p.ends_with(&format!("/{file_name}")))
        })
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_site_file_finds_what_the_directory_finds() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    layout(dir);
    let (dir_code, dir_doc) = lint(&dir.join("sites-available"));
    let expected = findings_in(&dir_doc, "default");
    assert!(
        expected.iter().any(|(c, _)| c == "MTLS102")
            && expected.iter().any(|(c, _)| c == "MTLS110"),
        "the directory input finds the missing CA file and the unenforced optional: {expected:?}"
    );
    assert_eq!(dir_code, 1);

    for input in ["sites-available/default", "sites-enabled/default"] {
        let (code, doc) = lint(&dir.join(input));
        assert_eq!(code, 1, "{input}: {doc}");
        // Every problem the directory input finds; read through nginx.conf, the tool
        // may find more (what the http {} it now sees holds).
        let got = findings_in(&doc, "default");
        for e in &expected {
            assert!(got.contains(e), "{input}: {e:?} missing from {got:?}");
        }
        let s = &doc["summary"]["input"];
        assert_eq!(s["read_as"], "tree", "{input}: {s}");
        assert!(
            s["main_config"]
                .as_str()
                .is_some_and(|m| m.ends_with("nginx.conf")),
            "{s}"
        );
        // Nothing about the site that is not enabled.
        assert!(findings_in(&doc, "disabled").is_empty(), "{doc}");
        assert_eq!(doc["summary"]["mtls_servers"], 1, "{input}");
    }
}

#[test]
fn a_site_that_is_not_enabled_is_reported_and_still_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    layout(dir);
    let (code, doc) = lint(&dir.join("sites-available/disabled"));
    assert_eq!(code, 1);
    let codes: Vec<String> = findings_in(&doc, "disabled")
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    assert!(codes.contains(&"MTLS012".to_string()), "{doc}");
    assert!(
        codes.contains(&"MTLS101".to_string()),
        "ssl_verify_client without a CA: {doc}"
    );
    let s = &doc["summary"]["input"];
    assert_eq!(s["read_as"], "site");
    assert_eq!(s["context"], "http");
    assert_eq!(s["loaded_by_nginx"], false);
    // The human output says it.
    let out = common::tool()
        .args(["--color", "never", "--no-config-file"])
        .arg(dir.join("sites-available/disabled"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("nginx does not load this file"), "{text}");
    assert!(text.contains("ln -s ../sites-available/disabled"), "{text}");
}

#[test]
fn a_site_file_alone_is_read_as_if_included_in_http() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("api.conf");
    fs::write(&site, SITE).unwrap();
    let (code, doc) = lint(&site);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(doc["summary"]["servers"], 1, "{doc}");
    assert_eq!(doc["summary"]["mtls_servers"], 1, "{doc}");
    let codes: Vec<String> = findings_in(&doc, "api.conf")
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    assert!(codes.contains(&"MTLS102".to_string()), "{doc}");
    // No "not allowed here": it is a site file, not a main configuration.
    assert!(!codes.contains(&"MTLS007".to_string()), "{doc}");
    assert_eq!(doc["summary"]["input"]["read_as"], "site");
    // verify reads it the same way.
    let out = common::tool()
        .args(["verify", "--config"])
        .arg(&site)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["results"].as_array().map(Vec::len), Some(1), "{v}");
}

/// With the real nginx: the tree lints the way `nginx -t` sees it (the site enabled
/// through the link is what fails).
#[test]
fn the_tree_is_what_nginx_reads() {
    if !common::have_tools(&["nginx"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    layout(dir);
    let d = dir.display();
    let out = std::process::Command::new(common::nginx_bin())
        .arg("-t")
        .arg("-p")
        .arg(format!("{d}/"))
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-g")
        .arg(format!("pid {d}/nginx.pid; error_log {d}/error.log;"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("/nonexistent/client-ca.pem"),
        "nginx fails on the enabled site's CA file: {stderr}"
    );
    let (_, doc) = lint(&dir.join("sites-available/default"));
    let fails: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["nginx_test"] == "fails")
        .collect();
    assert!(
        fails.iter().any(|f| f["nginx_message"]
            .as_str()
            .is_some_and(|m| stderr.contains(m))),
        "a failing finding carries nginx's message: {fails:?} / {stderr}"
    );
}

/// A snippet of `ssl_*` lines (included by servers elsewhere), given alone: its files
/// are read and judged as the server it is meant for, with no invented listener.
#[test]
fn a_tls_snippet_alone_is_checked_as_its_server() {
    let tmp = tempfile::tempdir().unwrap();
    let snippet = tmp.path().join("client_cert_required.conf");
    fs::write(
        &snippet,
        "ssl_client_certificate /nonexistent/ca.pem;\nssl_verify_client on;\nssl_verify_depth 2;\n",
    )
    .unwrap();
    let (code, doc) = lint(&snippet);
    assert_eq!(code, 1, "{doc}");
    let codes: Vec<String> = findings_in(&doc, "client_cert_required.conf")
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    assert!(codes.contains(&"MTLS102".to_string()), "{doc}");
    for not in ["MTLS112", "MTLS202", "MTLS007"] {
        assert!(!codes.contains(&not.to_string()), "{not}: {doc}");
    }
    assert_eq!(doc["summary"]["mtls_servers"], 1);
}

/// A repository checkout of a tree installed elsewhere: its nginx.conf includes
/// `/etc/nginx/conf.d/*.conf` (where this `conf.d/` is copied to). The site file is not
/// called "not loaded".
#[test]
fn a_checkout_of_a_tree_installed_elsewhere_is_not_called_not_loaded() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("deploy/nginx");
    fs::create_dir_all(dir.join("conf.d")).unwrap();
    fs::write(
        dir.join("nginx.conf"),
        "events {}\nhttp {\n    include /nonexistent-install/nginx/conf.d/*.conf;\n    include /etc/nginx/conf.d/*.conf;\n}\n",
    )
    .unwrap();
    fs::write(dir.join("conf.d/app.conf"), SITE).unwrap();
    let (_, doc) = lint(&dir.join("conf.d/app.conf"));
    let codes: Vec<String> = findings_in(&doc, "app.conf")
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    assert!(!codes.contains(&"MTLS012".to_string()), "{doc}");
    assert!(
        codes.contains(&"MTLS102".to_string()),
        "still checked: {doc}"
    );
    assert_eq!(doc["summary"]["input"]["read_as"], "site");
}

/// `verify --config` a site file of a tree: the servers of that file.
#[test]
fn verify_reads_a_site_file_through_its_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    layout(dir);
    fs::write(
        dir.join("sites-available/second"),
        OTHER.replace(
            "ssl_verify_client on;",
            "ssl_verify_client on;\n    ssl_client_certificate snakeoil.pem;",
        ),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        "../sites-available/second",
        dir.join("sites-enabled/second"),
    )
    .unwrap();
    let out = common::tool()
        .args(["verify", "-c"])
        .arg(dir.join("sites-available/default"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{v}");
    assert!(
        results[0]["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("default")),
        "{v}"
    );
    // The whole tree has both.
    let out = common::tool()
        .args(["verify", "-c"])
        .arg(dir.join("nginx.conf"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["results"].as_array().map(Vec::len), Some(2), "{v}");
}
