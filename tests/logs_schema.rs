//! docs/logs-json.md documents the JSON output: real output (of the sample logs nginx
//! wrote in tests/logs_e2e.rs) is checked against its tables, both ways. The sample
//! logs' counts are checked too, without needing nginx.

mod common;

use std::path::Path;

use serde_json::Value;

fn doc_table(doc: &str, heading: &str) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    let mut inside = false;
    for l in doc.lines() {
        if l.starts_with("## ") {
            inside = l.trim_start_matches("## ").starts_with(heading);
            continue;
        }
        if !inside || !l.starts_with("| `") {
            continue;
        }
        let cells: Vec<&str> = l.split('|').map(str::trim).collect();
        rows.push((cells[1].trim_matches('`').to_string(), cells[2].to_string()));
    }
    assert!(!rows.is_empty(), "no table under `## {heading}`");
    rows
}

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_u64() || n.is_i64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn check(v: &Value, rows: &[(String, String)], what: &str) {
    let obj = v
        .as_object()
        .unwrap_or_else(|| panic!("{what} is not an object"));
    for (k, ty) in rows {
        let got = obj
            .get(k)
            .unwrap_or_else(|| panic!("{what}: documented key `{k}` missing"));
        assert_eq!(type_of(got), ty, "{what}.{k}");
    }
    for k in obj.keys() {
        assert!(
            rows.iter().any(|(d, _)| d == k),
            "{what}: key `{k}` is not documented in docs/logs-json.md"
        );
    }
}

fn samples() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs/e2e")
}

fn sample_report() -> Value {
    let s = samples();
    let out = common::tool()
        .args(["logs", "--format", "json", "--config"])
        .arg(s.join("nginx.conf"))
        .arg("--prefix")
        .arg(&s)
        .arg(s.join("logs/a.log"))
        .arg(s.join("logs/b.json.log"))
        .arg(s.join("error.log"))
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
fn json_output_matches_documented_schema() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/logs-json.md"))
            .unwrap();
    let v = sample_report();
    check(&v, &doc_table(&doc, "Top-level keys"), "report");
    check(
        &v["error_log"],
        &doc_table(&doc, "`error_log`"),
        "error_log",
    );
    assert_eq!(v["schema_version"], 1);
}

#[test]
fn sample_logs_from_real_nginx_are_summarised() {
    let v = sample_report();
    // See sample-logs/e2e/README.md for the requests that wrote these logs.
    assert_eq!(v["lines"]["access"], 16);
    assert_eq!(v["lines"]["unmatched"], 0);
    assert_eq!(v["verify"]["SUCCESS"], 6);
    assert_eq!(v["verify"]["NONE"], 4);
    assert_eq!(v["verify"]["FAILED:certificate has expired"], 3);
    assert_eq!(
        v["error_log"]["verify_errors"]["certificate has expired"],
        3
    );
    assert_eq!(v["error_log"]["kinds"]["no_required_certificate"], 2);
    assert_eq!(v["files"][2]["kind"], "error");
    assert_eq!(v["error_log"]["kinds"]["sni_mismatch"], 1);
    assert_eq!(
        v["error_log"]["handshake_errors"]["tlsv1 alert unknown ca"],
        1
    );
}

#[test]
fn unreadable_file_is_named_with_exit_2() {
    let out = common::tool()
        .args(["logs", "/nonexistent/access.log"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/access.log"), "{err}");
}

#[test]
fn jsonl_objects_match_documented_schema() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/logs-json.md"))
            .unwrap();
    let s = samples();
    let child = common::tool()
        .args([
            "logs",
            "--follow",
            "--format",
            "jsonl",
            "--interval",
            "100ms",
            "--config",
        ])
        .arg(s.join("nginx.conf"))
        .arg(s.join("logs/a.log"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    let _ = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    check(&last, &doc_table(&doc, "jsonl objects"), "jsonl");
    let top = doc_table(&doc, "Top-level keys");
    check(&last["totals"], &top, "jsonl totals");
    check(&last["interval"], &top, "jsonl interval");
    assert_eq!(last["totals"]["verify"]["SUCCESS"], 4);
}
