//! The command line as users and CI see it: every output format on a fixture where
//! several rules fire across several files (snapshots), SARIF valid against the 2.1.0
//! schema, selection, severity overrides, settings files, inline suppressions, colour,
//! exit codes, and the pre-commit hook run for real.

mod common;

use std::path::Path;
use std::process::Output;

/// The sample configuration, judged at a fixed date so the snapshots never change.
const AT: &str = "2026-06-01";

fn run(args: &[&str]) -> Output {
    common::tool()
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn snapshot(name: &str, body: &str) {
    insta::with_settings!({
        snapshot_path => "../tests/snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, body);
    });
}

#[test]
fn every_format_on_the_bad_sample() {
    for format in ["human", "json", "sarif", "github"] {
        let o = run(&[
            "--format",
            format,
            "--at",
            AT,
            "--color",
            "never",
            "sample-configs/bad",
        ]);
        assert_eq!(o.status.code(), Some(1), "{format}");
        let out = text(&o);
        for code in ["MTLS105", "MTLS107", "MTLS112", "MTLS114", "MTLS104"] {
            assert!(out.contains(code), "{format} output lacks {code}");
        }
        snapshot(&format!("bad-sample-{format}"), &out);
    }
}

#[test]
fn sarif_is_valid_against_the_2_1_0_schema() {
    let o = run(&["--format", "sarif", "--at", AT, "sample-configs/bad"]);
    let instance: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string("tests/schemas/sarif-schema-2.1.0.json").unwrap(),
    )
    .unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource("file:///sarif-schema-2.1.0.json", schema)
        .unwrap();
    let idx = compiler
        .compile("file:///sarif-schema-2.1.0.json", &mut schemas)
        .unwrap();
    if let Err(e) = schemas.validate(&instance, idx) {
        panic!("SARIF output is not valid: {e:#}");
    }
    let run = &instance["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), nginx_mtls_lint::rules::registry().len());
    assert!(
        rules
            .iter()
            .all(|r| r["helpUri"].as_str().unwrap().contains("#mtls"))
    );
    // Related locations survive (MTLS114 points at the default server).
    assert!(
        run["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["relatedLocations"].is_array())
    );
}

#[test]
fn good_sample_is_clean_and_exits_zero() {
    let o = run(&["--at", AT, "sample-configs/good/nginx.conf"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).starts_with("0 errors, 0 warnings, 0 infos"));
}

#[test]
fn fail_on_select_ignore_and_severity() {
    // Only warnings left: exit 0 by default, 1 with --fail-on warning.
    let args = [
        "--at",
        AT,
        "--select",
        "MTLS110,MTLS114",
        "sample-configs/bad",
    ];
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("0 errors, 2 warnings"));
    let o = run(&[&args[..], &["--fail-on", "warning"]].concat());
    assert_eq!(o.status.code(), Some(1));
    // A severity override turns a warning into an error.
    let o = run(&[&args[..], &["--severity", "MTLS110=error"]].concat());
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("1 error, 1 warning"));
    // Families and names select too; ignore wins.
    let o = run(&[
        "--at",
        AT,
        "--select",
        "MTLS1",
        "--ignore",
        "verify-client-without-ca,MTLS11",
        "--format",
        "json",
        "sample-configs/bad",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for f in v["findings"].as_array().unwrap() {
        let code = f["code"].as_str().unwrap();
        assert!(
            code.starts_with("MTLS1") && !code.starts_with("MTLS11"),
            "{code}"
        );
    }
    // Unknown rules are a usage error.
    assert_eq!(
        run(&["--select", "MTLS999", "sample-configs/bad"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(&["--fail-on", "sometimes", "sample-configs/bad"])
            .status
            .code(),
        Some(2)
    );
}

fn write(dir: &Path, name: &str, body: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, body).unwrap();
}

const SERVER: &str = "events {}\nhttp {\n    server {\n        listen 443 ssl;\n        ssl_certificate ../sample-tls/server.pem;\n        ssl_certificate_key ../sample-tls/server.key;\n";

fn scratch() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let tls = tmp.path().join("sample-tls");
    std::fs::create_dir_all(&tls).unwrap();
    for f in std::fs::read_dir("sample-configs/tls").unwrap() {
        let p = f.unwrap().path();
        std::fs::copy(&p, tls.join(p.file_name().unwrap())).unwrap();
    }
    tmp
}

#[test]
fn inline_suppressions_and_unused_ones() {
    let tmp = scratch();
    let d = tmp.path().join("etc");
    write(
        &d,
        "nginx.conf",
        &format!(
            "{SERVER}        # nginx-mtls-lint: ignore MTLS104 -- test fixture on purpose\n        ssl_client_certificate ../sample-tls/client-1-leaf.pem;\n        ssl_verify_client on; # nginx-mtls-lint: ignore MTLS110\n        access_log off; # nginx-mtls-lint: ignore\n    }}\n}}\n"
        ),
    );
    let o = run(&[
        "--format",
        "json",
        "--at",
        AT,
        d.join("nginx.conf").to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let codes: Vec<(&str, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap(), f["line"].as_u64().unwrap()))
        .collect();
    // MTLS104 on line 8 is suppressed by the comment alone on line 7; the MTLS110
    // suppression on line 9 matches nothing; the bare one on line 10 names no rule.
    assert!(!codes.iter().any(|(c, _)| *c == "MTLS104"), "{codes:?}");
    assert!(codes.contains(&("MTLS004", 9)), "{codes:?}");
    assert!(codes.contains(&("MTLS004", 10)), "{codes:?}");
}

#[test]
fn settings_file_is_found_above_the_linted_path() {
    let tmp = scratch();
    let d = tmp.path().join("etc");
    write(
        &d,
        "nginx.conf",
        &format!(
            "{SERVER}        ssl_client_certificate ../sample-tls/client-1-leaf.pem;\n        ssl_verify_client optional;\n    }}\n}}\n"
        ),
    );
    let lint = |extra: &[&str]| {
        let mut a = vec!["--format", "json", "--at", AT];
        a.extend_from_slice(extra);
        let conf = d.join("nginx.conf");
        a.push(conf.to_str().unwrap());
        let o = run(&a);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
        (o.status.code(), v)
    };
    let (code, v) = lint(&[]);
    assert_eq!(code, Some(1));
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "MTLS104")
    );
    write(
        tmp.path(),
        ".nginx-mtls-lint.toml",
        "ignore = [\"MTLS118\"]\nfail-on = \"never\"\n[severity]\nMTLS110 = \"error\"\n[per-path-ignores]\n\"etc/*.conf\" = [\"MTLS104\"]\n",
    );
    let (code, v) = lint(&[]);
    assert_eq!(code, Some(0), "{v}");
    let f = v["findings"].as_array().unwrap();
    assert!(
        !f.iter()
            .any(|f| f["code"] == "MTLS104" || f["code"] == "MTLS118"),
        "{v}"
    );
    assert!(
        f.iter()
            .any(|f| f["code"] == "MTLS110" && f["severity"] == "error")
    );
    // The command line wins; --no-config-file ignores the file.
    assert_eq!(lint(&["--fail-on", "error"]).0, Some(1));
    let (_, v) = lint(&["--no-config-file"]);
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "MTLS104")
    );
    // A broken settings file is a usage error naming the file.
    write(tmp.path(), ".nginx-mtls-lint.toml", "fail-on = 3\n");
    let o = run(&[d.join("nginx.conf").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains(".nginx-mtls-lint.toml"));
}

#[test]
fn colour_only_when_asked_and_never_with_no_color() {
    let plain = run(&["--at", AT, "sample-configs/bad"]);
    assert!(!text(&plain).contains('\u{1b}'), "colour on a pipe");
    let forced = run(&["--at", AT, "--color", "always", "sample-configs/bad"]);
    assert!(text(&forced).contains('\u{1b}'));
    let quiet = run(&["--at", AT, "--quiet", "sample-configs/bad"]);
    assert!(!text(&quiet).contains("servers with mTLS"));
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish"] {
        let o = run(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0));
        assert!(text(&o).contains("fail-on"), "{shell}");
    }
    let o = run(&["man"]);
    assert!(text(&o).contains(".TH nginx-mtls-lint 1"));
}

/// The hook from .pre-commit-hooks.yaml, run by the real pre-commit on a scratch
/// repository: the commit fails on a bad configuration and passes on a good one.
#[test]
fn pre_commit_hook_blocks_bad_configs() {
    if !common::have_tools(&["pre-commit", "git"]) {
        return;
    }
    let project = std::fs::canonicalize(".").unwrap();
    let head = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .output()
        .unwrap();
    if !head.status.success() {
        eprintln!("SKIP: the project is not a git checkout; the hook test needs one");
        return;
    }
    let committed = std::process::Command::new("git")
        .args(["cat-file", "-e", "HEAD:.pre-commit-hooks.yaml"])
        .status()
        .unwrap();
    if !committed.success() {
        eprintln!("SKIP: .pre-commit-hooks.yaml is not committed yet");
        return;
    }
    let rev = String::from_utf8_lossy(&head.stdout).trim().to_string();
    let tmp = scratch();
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_nginx-mtls-lint"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(&repo)
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", tmp.path().join("pre-commit-home"))
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap()
    };
    git(&["init", "-q"]);
    write(
        &repo,
        ".pre-commit-config.yaml",
        &format!(
            "repos:\n- repo: {}\n  rev: {rev}\n  hooks:\n  - id: nginx-mtls-lint-system\n    args: [nginx.conf, --at, \"{AT}\"]\n",
            project.display()
        ),
    );
    let install = std::process::Command::new("pre-commit")
        .arg("install")
        .current_dir(&repo)
        .env("PRE_COMMIT_HOME", tmp.path().join("pre-commit-home"))
        .output()
        .unwrap();
    assert!(
        install.status.success(),
        "{}",
        String::from_utf8_lossy(&install.stderr)
    );
    // A bad configuration: the commit is refused.
    write(
        &repo,
        "nginx.conf",
        &format!(
            "{SERVER}        ssl_client_certificate ../sample-tls/client-intermediate.pem;\n        ssl_verify_client on;\n    }}\n}}\n"
        ),
    );
    git(&["add", "-A"]);
    let bad = git(&["commit", "-q", "-m", "bad"]);
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&bad.stdout),
        String::from_utf8_lossy(&bad.stderr)
    );
    assert!(
        !bad.status.success(),
        "the commit of a bad configuration went through:\n{out}"
    );
    assert!(out.contains("MTLS105"), "{out}");
    // Fixed: it goes through.
    write(
        &repo,
        "nginx.conf",
        &format!(
            "{SERVER}        ssl_client_certificate ../sample-tls/client-ca-bundle.pem;\n        ssl_verify_client on;\n        ssl_verify_depth 2;\n        access_log off;\n    }}\n}}\n"
        ),
    );
    git(&["add", "-A"]);
    let good = git(&["commit", "-q", "-m", "good"]);
    assert!(
        good.status.success(),
        "{}{}",
        String::from_utf8_lossy(&good.stdout),
        String::from_utf8_lossy(&good.stderr)
    );
}
