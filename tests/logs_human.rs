//! The human report of the sample logs (written by real nginx in tests/logs_e2e.rs), as a
//! snapshot: tables ordered by impact, the fix beside each reason, no colour. When the
//! sample logs are regenerated (NGINX_MTLS_SAVE_SAMPLE_LOGS=1), review and accept the new
//! snapshot too.

mod common;

#[test]
fn human_report_of_sample_logs() {
    let out = common::tool()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "logs",
            "--config",
            "sample-logs/e2e/nginx.conf",
            "--prefix",
            "sample-logs/e2e",
            "--at",
            "2026-11-28T00:00:00Z",
            "sample-logs/e2e/logs/a.log",
            "sample-logs/e2e/logs/b.json.log",
            "sample-logs/e2e/error.log",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}
