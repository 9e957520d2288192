//! A dump written by the real `nginx -T` parses with the original file names and lines.

mod common;

use std::fs;

#[test]
fn nginx_t_dump_keeps_original_files_and_lines() {
    if !common::have_tools(&["nginx"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::create_dir_all(dir.join("conf.d")).unwrap();
    let port = common::free_port();
    fs::write(
        dir.join("nginx.conf"),
        format!(
            "{}http {{\n    {}\n    include conf.d/*.conf;\n}}\n",
            common::preamble(dir),
            common::http_temp_paths(dir)
        ),
    )
    .unwrap();
    fs::write(
        dir.join("conf.d/b.conf"),
        format!("# b\n\nserver {{\n    listen 127.0.0.1:{port};\n    return 200 \"b\\n\";\n}}\n"),
    )
    .unwrap();
    fs::write(
        dir.join("conf.d/a.conf"),
        "map $uri $x {\n    default 1;\n}\n",
    )
    .unwrap();
    let out = common::nginx_check(dir, &dir.join("nginx.conf"), "-T");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dump = out.stdout;

    let mut child = common::tool()
        .args(["parse", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&dump).unwrap();
    let out = child.wait_with_output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "ok", "{v}");
    let files: Vec<String> = v["config"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["file"].as_str().unwrap().to_string())
        .collect();
    let d = dir.display();
    assert_eq!(
        files,
        [
            format!("{d}/nginx.conf"),
            format!("{d}/conf.d/a.conf"),
            format!("{d}/conf.d/b.conf")
        ]
    );
    // b.conf: `listen` on line 4, `return` on line 5 with nginx's unescaped value.
    let server = &v["config"][2]["parsed"][0];
    assert_eq!(server["line"], 3);
    assert_eq!(server["block"][0]["line"], 4);
    assert_eq!(server["block"][1]["args"][1], "b\n");
    // The include in nginx.conf points at both files, in sorted order.
    let http = v["config"][0]["parsed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["directive"] == "http")
        .unwrap();
    let include = http["block"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["directive"] == "include")
        .unwrap();
    assert_eq!(include["includes"], serde_json::json!([1, 2]));
}

/// `nginx -T | nginx-mtls-lint -`: findings point at the original included file and line.
#[test]
fn lint_of_a_dump_points_at_the_original_files() {
    if !common::have_tools(&["nginx"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::create_dir_all(dir.join("conf.d")).unwrap();
    let tls = std::fs::canonicalize("sample-configs/tls").unwrap();
    let t = tls.display();
    fs::write(
        dir.join("nginx.conf"),
        format!(
            "{}http {{\n    {}\n    include conf.d/*.conf;\n}}\n",
            common::preamble(dir),
            common::http_temp_paths(dir)
        ),
    )
    .unwrap();
    let port = common::free_port();
    fs::write(
        dir.join("conf.d/api.conf"),
        format!(
            "server {{\n    listen 127.0.0.1:{port} ssl;\n    ssl_certificate {t}/server.pem;\n    ssl_certificate_key {t}/server.key;\n    ssl_verify_client on;\n    ssl_client_certificate {t}/client-intermediate.pem;\n}}\n"
        ),
    )
    .unwrap();
    let out = common::nginx_check(dir, &dir.join("nginx.conf"), "-T");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut child = common::tool()
        .args(["--format", "json", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&out.stdout).unwrap();
    let res = child.wait_with_output().unwrap();
    assert_eq!(res.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&res.stdout).unwrap();
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "MTLS105")
        .expect("MTLS105 for the intermediate-only CA file");
    assert_eq!(f["file"], dir.join("conf.d/api.conf").display().to_string());
    assert_eq!(f["line"], 6);
}
