//! The README's worked `verify` examples are true: each row's command gives the status
//! and `$ssl_client_verify` the row shows.

mod common;

#[test]
fn readme_verify_examples_hold() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let table = readme
        .split("<!-- verify-examples:start -->")
        .nth(1)
        .and_then(|s| s.split("<!-- verify-examples:end -->").next())
        .expect("verify-examples markers");
    let mut rows = 0;
    for line in table.lines().skip(3) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 5 {
            continue;
        }
        let args: Vec<String> = cells[2]
            .trim_matches('`')
            .split_whitespace()
            .filter(|a| a.starts_with("--") || a.contains('/'))
            .map(String::from)
            .collect();
        let status: u64 = cells[3].parse().unwrap();
        let value = cells[4].trim_matches('`');
        let out = common::tool()
            .args([
                "verify",
                "--config",
                "sample-configs/good/nginx.conf",
                "--openssl-version",
                "3.0",
                "--format",
                "json",
            ])
            .args(&args)
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let r = &v["results"][0];
        assert_eq!(r["status"], status, "{}", cells[1]);
        assert_eq!(r["ssl_client_verify"], value, "{}", cells[1]);
        rows += 1;
    }
    assert_eq!(rows, 7);
}

#[test]
fn bad_sample_lints_with_findings_and_good_sample_is_clean() {
    let bad = common::tool().arg("sample-configs/bad").output().unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let good = common::tool()
        .arg("sample-configs/good/nginx.conf")
        .output()
        .unwrap();
    assert_eq!(
        good.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&good.stdout)
    );
}

/// The README's first command says how many problems the bad sample has.
#[test]
fn readme_count_of_sample_problems_is_true() {
    let out = common::tool()
        .args(["--format", "json", "sample-configs/bad"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let n = v["findings"].as_array().unwrap().len();
    let readme = std::fs::read_to_string("README.md").unwrap();
    assert!(
        readme.contains(&format!("(finds {n} problems)")),
        "README's first command should say it finds {n} problems"
    );
}
