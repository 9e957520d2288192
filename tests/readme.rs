//! The README's first lines give the two set-up commands, and its rules section is the
//! rules' own documentation: this test fails when they drift
//! (`UPDATE_README=1 cargo test --test readme` rewrites the section).

const START: &str = "<!-- rules:start -->\n";
const END: &str = "<!-- rules:end -->";

#[test]
fn rules_section_matches_the_rules() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let (head, rest) = readme.split_once(START).expect("rules:start marker");
    let (_, tail) = rest.split_once(END).expect("rules:end marker");
    let wanted = format!(
        "{head}{START}{}{END}{tail}",
        nginx_mtls_lint::rules_markdown()
    );
    if std::env::var("UPDATE_README").is_ok_and(|v| v == "1") {
        std::fs::write("README.md", &wanted).unwrap();
        return;
    }
    assert!(
        readme == wanted,
        "README.md's rules section is out of date: run UPDATE_README=1 cargo test --test readme"
    );
}

#[test]
fn readme_starts_with_the_two_commands() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let block = readme.split("```").nth(1).expect("a code block");
    assert!(block.contains("cargo run --release -- sample-configs/bad"));
    assert!(block.contains("cargo test"));
}

#[test]
fn every_rule_documents_itself_through_the_cli() {
    for r in nginx_mtls_lint::rules::registry() {
        let code = r.info().code;
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_nginx-mtls-lint"))
            .args(["rule", code])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.starts_with(&format!("# {code} ")), "{text}");
        assert!(text.contains("## Why is this bad?"));
    }
}

/// `--format json` output has every field docs/lint-json.md documents, with its type.
#[test]
fn json_output_matches_its_documented_schema() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nginx-mtls-lint"))
        .args(["--format", "json", "sample-configs/bad"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    let findings = v["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        assert!(f["code"].as_str().unwrap().starts_with("MTLS"));
        assert!(["error", "warning", "info"].contains(&f["severity"].as_str().unwrap()));
        assert!(f["message"].is_string() && f["file"].is_string());
        for k in ["line", "column", "end_line", "end_column"] {
            assert!(f[k].is_u64() || f[k].is_null(), "{k}: {f}");
        }
        assert!(f["help"].is_string() || f["help"].is_null());
        for r in f["related"].as_array().unwrap() {
            assert!(r["file"].is_string() && r["message"].is_string() && r["line"].is_u64());
        }
    }
    let s = &v["summary"];
    for k in [
        "files",
        "certificate_files",
        "servers",
        "mtls_servers",
        "errors",
        "warnings",
        "infos",
    ] {
        assert!(s[k].is_u64(), "summary.{k}");
    }
    assert_eq!(s["mtls_servers"], 3);
    let doc = std::fs::read_to_string("docs/lint-json.md").unwrap();
    for k in [
        "schema_version",
        "certificate_files",
        "mtls_servers",
        "end_column",
        "related",
    ] {
        assert!(doc.contains(k), "docs/lint-json.md does not document {k}");
    }
}

/// `--format json` validates against the published JSON Schema (docs/schemas/).
#[test]
fn json_output_validates_against_the_published_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("docs/schemas/lint.schema.json").unwrap())
            .unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource("file:///lint.schema.json", schema)
        .unwrap();
    let idx = compiler
        .compile("file:///lint.schema.json", &mut schemas)
        .unwrap();
    for target in ["sample-configs/bad", "sample-configs/good/nginx.conf"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_nginx-mtls-lint"))
            .args(["--format", "json", target])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        if let Err(e) = schemas.validate(&v, idx) {
            panic!("{target}: {e:#}");
        }
    }
    // The schema is strict enough to fail: a finding without a code is rejected.
    let bad = serde_json::json!({"schema_version": 1, "findings": [{"severity": "error"}], "summary": {}});
    assert!(schemas.validate(&bad, idx).is_err());
}
