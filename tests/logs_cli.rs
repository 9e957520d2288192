//! `nginx-mtls-lint logs` on small hand-written inputs: gzip and stdin input, `--kind`,
//! `--since`/`--at`, the Prometheus file written atomically, hints, bad input.

mod common;

use std::fs;
use std::io::Write;
use std::process::Stdio;

use serde_json::Value;

const FMT: &str = "$remote_addr [$time_local] $status \"$ssl_client_verify\" \"$ssl_client_s_dn\" \"$ssl_client_serial\" \"$ssl_client_v_end\" $server_name:$server_port";

fn lines() -> String {
    [
        r#"10.0.0.1 [27/Nov/2026:10:00:00 +0000] 200 "SUCCESS" "CN=a,O=Ex" "01" "Dec  3 10:00:00 2026 GMT" api:443"#,
        r#"10.0.0.2 [27/Nov/2026:11:00:00 +0000] 400 "FAILED:certificate has expired" "CN=b" "02" "Nov  1 00:00:00 2026 GMT" api:443"#,
        r#"10.0.0.3 [27/Nov/2026:11:30:00 +0000] 400 "NONE" "" "" "" api:443"#,
        r#"not a log line"#,
        r#"10.0.0.3 [27/Nov/2026:11:45:00 +0000] 400 "FAILED:unsuitable certificate purpose" "CN=c" "03" "Dec 20 00:00:00 2026 GMT" other:8443"#,
    ]
    .join("\n")
        + "\n"
}

fn run(args: &[&str], stdin: Option<&[u8]>) -> (i32, String, String) {
    let mut child = common::tool()
        .arg("logs")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut si = child.stdin.take().unwrap();
    if let Some(b) = stdin {
        si.write_all(b).unwrap();
    }
    drop(si);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(args: &[&str], stdin: Option<&[u8]>) -> Value {
    let (code, out, err) = run(&[args, &["--format", "json"]].concat(), stdin);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn gzip_file_and_stdin_give_the_same_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let gz = tmp.path().join("access.log.2.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(lines().as_bytes()).unwrap();
    fs::write(&gz, enc.finish().unwrap()).unwrap();
    let a = json(&["--log-format-string", FMT, gz.to_str().unwrap()], None);
    let b = json(&["--log-format-string", FMT, "-"], Some(lines().as_bytes()));
    for v in [&a, &b] {
        assert_eq!(v["lines"]["matched"], 4);
        assert_eq!(v["lines"]["unmatched"], 1);
        assert_eq!(v["unmatched_samples"][0]["line"], 4);
        assert_eq!(v["verify"]["FAILED:certificate has expired"], 1);
        assert_eq!(v["refused"]["none_400"], 1);
    }
    assert_eq!(a["verify"], b["verify"]);
}

#[test]
fn since_and_at_select_lines_and_expiry() {
    let v = json(
        &[
            "--log-format-string",
            FMT,
            "--at",
            "2026-11-27T12:00:00Z",
            "--since",
            "1h",
            "-",
        ],
        Some(lines().as_bytes()),
    );
    // 11:00 is exactly one hour before: kept; 10:00 is skipped.
    assert_eq!(v["lines"]["skipped_since"], 1);
    assert_eq!(v["lines"]["matched"], 3);
    let names = |k: &str| -> Vec<String> {
        v["expiring"][k]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["subject"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names("expired"), ["CN=b"]);
    assert_eq!(names("within_30d"), ["CN=c"]);
    assert!(names("within_7d").is_empty());
    // Failures ordered by impact, with their fix and rule family.
    let f = &v["failures"];
    assert!(
        f.as_array()
            .unwrap()
            .iter()
            .any(|x| x["reason"] == "unsuitable certificate purpose"
                && x["fix"].as_str().unwrap().contains("clientAuth")
                && x["rules"][0] == "MTLS301")
    );
}

#[test]
fn prometheus_output_file_is_replaced_atomically() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("mtls.prom");
    fs::write(&out, "old").unwrap();
    let (code, stdout, err) = run(
        &[
            "--log-format-string",
            FMT,
            "--format",
            "prometheus",
            "--output",
            out.to_str().unwrap(),
            "-",
        ],
        Some(lines().as_bytes()),
    );
    assert_eq!(code, 0, "{err}");
    assert!(stdout.is_empty());
    let text = fs::read_to_string(&out).unwrap();
    assert!(text.contains(
        "nginx_mtls_verify_total{server=\"api:443\",result=\"FAILED\",reason=\"certificate has expired\"} 1"
    ), "{text}");
    assert!(
        text.contains(
            "nginx_mtls_client_cert_expiry_seconds{subject=\"CN=b\",serial=\"02\"} 1793491200"
        ),
        "{text}"
    );
    // No temporary file left beside it.
    let names: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn combined_format_gives_status_counts_and_a_hint() {
    let line =
        "127.0.0.1 - - [27/Nov/2026:05:24:58 +0000] \"GET / HTTP/1.1\" 400 255 \"-\" \"curl/8\"\n";
    let v = json(&["-"], Some(line.repeat(3).as_bytes()));
    assert_eq!(v["files"][0]["log_format"], "combined");
    assert_eq!(v["status"]["400"], 3);
    assert_eq!(v["verify"], serde_json::json!({}));
    let hints = v["hints"].to_string();
    assert!(hints.contains("$ssl_client_verify"), "{hints}");
}

#[test]
fn config_error_log_level_above_info_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::create_dir_all(d.join("logs")).unwrap();
    fs::write(
        d.join("nginx.conf"),
        "error_log logs/error.log warn;\nevents {}\nhttp {\n  log_format m '$remote_addr '\n    '$ssl_client_verify';\n  access_log logs/access.log m;\n}\n",
    )
    .unwrap();
    fs::write(
        d.join("logs/access.log"),
        "10.0.0.1 SUCCESS\n10.0.0.2 FAILED:certificate revoked\n",
    )
    .unwrap();
    fs::write(
        d.join("logs/error.log"),
        "2026/11/27 05:24:58 [warn] 1#1: something\n",
    )
    .unwrap();
    let conf = d.join("nginx.conf");
    let v = json(
        &[
            "--config",
            conf.to_str().unwrap(),
            "--prefix",
            d.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(v["files"].as_array().unwrap().len(), 2);
    // The multi-argument log_format is joined.
    assert_eq!(v["verify"]["FAILED:certificate revoked"], 1);
    let hints = v["hints"].to_string();
    assert!(
        hints.contains("level `warn`") && hints.contains("info"),
        "{hints}"
    );
}

#[test]
fn a_forced_log_format_does_not_turn_an_error_log_into_an_access_log() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a.log");
    let e = tmp.path().join("e.log");
    fs::write(&a, lines()).unwrap();
    fs::write(
        &e,
        "2026/11/27 05:24:58 [info] 1#1: *3 client SSL certificate verify error: (10:certificate has expired) while reading client request headers, client: 10.1.1.1, server: api\n",
    )
    .unwrap();
    let v = json(
        &[
            "--log-format-string",
            FMT,
            a.to_str().unwrap(),
            e.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(v["files"][0]["kind"], "access");
    assert_eq!(v["files"][1]["kind"], "error");
    assert_eq!(
        v["error_log"]["verify_errors"]["certificate has expired"],
        1
    );
    assert_eq!(v["lines"]["unmatched"], 1);
}

#[test]
fn kind_forces_error_log_reading() {
    let v = json(
        &["--kind", "error", "-"],
        Some(b"2026/11/27 05:24:58 [info] 1#1: *3 client sent no required SSL certificate while reading client request headers, client: 10.1.1.1, server: api, request: \"GET / HTTP/1.1\", host: \"api\"\n"),
    );
    assert_eq!(v["error_log"]["kinds"]["no_required_certificate"], 1);
    assert_eq!(v["error_log"]["clients"]["10.1.1.1"], 1);
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, err) = run(&["--at", "yesterday", "-"], Some(b""));
    assert_eq!(code, 2);
    assert!(err.contains("--at"), "{err}");
    let (code, _, err) = run(&["--log-format", "nope", "-"], Some(b""));
    assert_eq!(code, 2);
    assert!(err.contains("nope"), "{err}");
    let (code, _, _) = run(&[], None);
    assert_eq!(code, 2);
}

/// A configuration with a syntax error is still read, and the report says where nginx
/// would stop (instead of quietly finding no logs).
#[test]
fn config_with_syntax_error_is_reported_as_a_hint() {
    let tmp = tempfile::tempdir().unwrap();
    let conf = tmp.path().join("nginx.conf");
    std::fs::write(
        &conf,
        "events {}\nhttp {\n  access_log /nonexistent/a.log combined\n}\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nginx-mtls-lint"))
        .args(["logs", "--config"])
        .arg(&conf)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("{}:4:1: unexpected \"}}\"", conf.display())),
        "{text}"
    );
}
