//! `logs --format html` (issue #20) rendered by Debian's headless Chromium: the report of
//! the bundled sample logs shows its counts, draws its charts, and logs no console
//! error; the page is self-contained (no script, no external resource).

mod common;

use std::process::Command;

use common::{have_tools, tool};

fn chromium(args: &[&str], page: &std::path::Path) -> (String, String) {
    let bin = common::find_binary("chromium").unwrap();
    let out = Command::new(bin)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_html_report_renders_in_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("report.html");
    let out = tool()
        .args([
            "logs",
            "--config",
            "sample-logs/e2e/nginx.conf",
            "--format",
            "html",
            "-o",
        ])
        .arg(&page)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&page).unwrap();
    // Self-contained: nothing fetched, nothing run.
    for banned in ["<script", "http://", "https://", "@import", "url("] {
        assert!(!html.contains(banned), "the page contains {banned}");
    }
    assert!(html.len() < 1_000_000);
    if !have_tools(&["chromium"]) {
        return;
    }
    let (dom, log) = chromium(&["--dump-dom"], &page);
    // The counts of the sample logs, as the text report gives them.
    let text = String::from_utf8_lossy(
        &tool()
            .args([
                "logs",
                "--config",
                "sample-logs/e2e/nginx.conf",
                "--format",
                "json",
            ])
            .output()
            .unwrap()
            .stdout,
    )
    .into_owned();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let total: u64 = doc["verify"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert!(total > 0);
    assert!(
        dom.contains(&format!(
            "<span class=\"kpi\" id=\"kpi-requests\"><b>{total}</b>"
        )),
        "the request count {total} is not shown"
    );
    // Charts drawn: bars in both.
    for chart in ["timeline", "per-value"] {
        let start = dom.find(&format!("id=\"{chart}\"")).expect(chart);
        let end = dom[start..].find("</svg>").unwrap() + start;
        let bars = dom[start..end].matches("<rect class=\"bar").count();
        assert!(bars >= 3, "{chart}: {bars} bars");
    }
    for table in ["failures", "servers", "clients", "certificates", "expiring"] {
        assert!(dom.contains(&format!("<table id=\"{table}\">")), "{table}");
    }
    // Each failure's fix is on the page.
    for f in doc["failures"].as_array().unwrap() {
        let fix = f["fix"]
            .as_str()
            .unwrap()
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        assert!(dom.contains(&fix), "fix missing: {fix}");
    }
    let console: Vec<&str> = log.lines().filter(|l| l.contains("CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    let shot = tmp.path().join("report.png");
    chromium(
        &[
            "--hide-scrollbars",
            "--window-size=1100,1500",
            &format!("--screenshot={}", shot.display()),
        ],
        &page,
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "screenshot: {} bytes",
        png.len()
    );
    if let Ok(dest) = std::env::var("HTML_REPORT_SCREENSHOT") {
        std::fs::write(dest, png).unwrap();
    }
}
