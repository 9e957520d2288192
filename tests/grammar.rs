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
