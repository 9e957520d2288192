//! The grammar corpus: every input in `grammar-tests/ok` parses without an error and
//! every input in `grammar-tests/err` with at least one; the tree with spans and the
//! errors are snapshotted beside each input.

use std::path::Path;

use nginx_mtls_lint::config::{Input, LoadOptions, load, pretty};

fn inputs(dir: &str) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no inputs in {dir}");
    v
}

fn snapshot(dir: &str, path: &Path) -> usize {
    let config = load(
        &Input::File(path.to_path_buf()),
        &LoadOptions {
            single_file: true,
            ..Default::default()
        },
    );
    let errors = config.syntax_errors().count();
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    insta::with_settings!({
        snapshot_path => format!("../{dir}"),
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, pretty::tree(&config));
    });
    errors
}

#[test]
fn ok_inputs_parse_without_errors() {
    for path in inputs("grammar-tests/ok") {
        let errors = snapshot("grammar-tests/ok", &path);
        assert_eq!(errors, 0, "{} has syntax errors", path.display());
    }
}

#[test]
fn err_inputs_report_errors() {
    for path in inputs("grammar-tests/err") {
        let errors = snapshot("grammar-tests/err", &path);
        assert!(errors > 0, "{} parsed without errors", path.display());
    }
}

/// Lua blocks (checked with lua-nginx-module, see grammar-tests/lua/README.md):
/// `ok-` inputs parse cleanly, `err-` inputs fail with the message in their first line.
#[test]
fn lua_inputs() {
    for path in inputs("grammar-tests/lua") {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let errors = snapshot("grammar-tests/lua", &path);
        if name.starts_with("ok-") {
            assert_eq!(errors, 0, "{name}");
        } else {
            let first = std::fs::read_to_string(&path).unwrap();
            let first = first.lines().next().unwrap();
            let config = load(
                &Input::File(path.clone()),
                &LoadOptions {
                    single_file: true,
                    ..Default::default()
                },
            );
            let e = config.syntax_errors().next().expect("an error");
            let line = config.sources.line_col(e.span).0;
            assert!(
                first.contains(&format!("{} in {name}:{line}", e.message)),
                "{name}: nginx says {first}, we say {} at line {line}",
                e.message
            );
        }
    }
}
