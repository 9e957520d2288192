//! The grammar corpus checked against real nginx: `nginx -t` accepts the syntax of every
//! `ok/` input and fails every `err/` input with the same first error, on the same line,
//! as the parser. And the values nginx uses are the values the parser reports.

mod common;

use std::path::{Path, PathBuf};

use nginx_mtls_lint::config::{Input, LoadOptions, load};

fn inputs(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    v.sort();
    v
}

/// `nginx -t` on a copy of the input in a scratch prefix: (success, first emerg message
/// without the "in FILE:LINE" tail, line).
fn nginx_t(input: &Path) -> (bool, String, usize) {
    let tmp = tempfile::tempdir().unwrap();
    let conf = tmp.path().join("nginx.conf");
    std::fs::copy(input, &conf).unwrap();
    let d = tmp.path().display();
    let out = std::process::Command::new(common::nginx_bin())
        .arg("-t")
        .arg("-p")
        .arg(tmp.path())
        .arg("-c")
        .arg(&conf)
        .arg("-g")
        .arg(format!("pid {d}/nginx.pid; error_log {d}/error.log;"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let emerg = stderr
        .lines()
        .find_map(|l| l.split("[emerg] ").nth(1))
        .map(|l| l.split_once(": ").map_or(l, |(_, m)| m).to_string())
        .unwrap_or_default();
    let (message, line) = match emerg.rsplit_once(" in ") {
        Some((m, place)) => (
            m.to_string(),
            place
                .rsplit(':')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0),
        ),
        None => (emerg.clone(), 0),
    };
    (out.status.success(), message, line)
}

fn first_error(path: &Path) -> Option<(String, usize)> {
    let config = load(
        &Input::File(path.to_path_buf()),
        &LoadOptions {
            single_file: true,
            ..Default::default()
        },
    );
    let e = config.syntax_errors().next()?;
    Some((e.message.clone(), config.sources.line_col(e.span).0))
}

#[test]
fn nginx_accepts_every_ok_input() {
    if !common::have_tools(&["nginx"]) {
        return;
    }
    for path in inputs("grammar-tests/ok") {
        // Debian's nginx has no Lua module: it would reject the directives, not the syntax.
        if path.to_string_lossy().contains("lua") {
            continue;
        }
        let (ok, message, line) = nginx_t(&path);
        assert!(
            ok,
            "nginx -t rejects {}: {message} (line {line})",
            path.display()
        );
    }
}

#[test]
fn nginx_fails_every_err_input_where_we_do() {
    if !common::have_tools(&["nginx"]) {
        return;
    }
    for path in inputs("grammar-tests/err") {
        let (ok, nginx_message, nginx_line) = nginx_t(&path);
        assert!(!ok, "nginx -t accepts {}", path.display());
        let (ours, line) = first_error(&path).unwrap();
        assert_eq!(
            line,
            nginx_line,
            "{}: nginx says {nginx_message}",
            path.display()
        );
        if ours.contains("byte order mark") {
            assert!(
                nginx_message.starts_with("unknown directive \"\u{feff}"),
                "{nginx_message}"
            );
        } else {
            assert_eq!(ours, nginx_message, "{}", path.display());
        }
    }
}

/// Regression guard for the divergence from crossplane documented in
/// grammar-tests/DIVERGENCES.md: nginx resolves escapes in every word.
#[test]
fn escapes_are_what_nginx_serves() {
    if !common::have_tools(&["nginx", "curl"]) {
        return;
    }
    let bodies = [
        r#""a\nb""#,
        r#""tab\there""#,
        r#""one\\two""#,
        r#""q\"uote""#,
        r#"'it\'s'"#,
        r#""keep\d\.""#,
        r#"un\"quoted\\"#,
        r#""cr\r""#,
    ];
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let port = common::free_port();
    let mut server = format!("server {{ listen 127.0.0.1:{port};\n");
    for (i, b) in bodies.iter().enumerate() {
        server.push_str(&format!("location = /{i} {{ return 200 {b}; }}\n"));
    }
    server.push_str("}\n");
    let conf = dir.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "{}http {{ {} {server} }}\n",
            common::preamble(dir),
            common::http_temp_paths(dir)
        ),
    )
    .unwrap();
    let config = load(&Input::File(conf.clone()), &LoadOptions::default());
    assert_eq!(config.syntax_errors().count(), 0);
    let mut parsed = Vec::new();
    config.walk(&mut |v| {
        if v.directive.is("return") {
            parsed.push(v.directive.args[1].value.to_vec());
        }
    });
    assert_eq!(parsed.len(), bodies.len());
    let _nginx = common::Nginx::start(dir, &conf, port).unwrap();
    for (i, expected) in parsed.iter().enumerate() {
        let out = std::process::Command::new("curl")
            .args(["-s", &format!("http://127.0.0.1:{port}/{i}")])
            .output()
            .unwrap();
        assert_eq!(
            &out.stdout,
            expected,
            "body {} served as {:?}",
            bodies[i],
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// Regression guard for the `${var}` divergence from crossplane (DIVERGENCES.md): the
/// space after `${uri}` separates arguments. nginx counts three arguments for `return`
/// here and refuses them; the parser must see three too.
#[test]
fn dollar_brace_then_space_splits_arguments() {
    if !common::have_tools(&["nginx"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let conf = tmp.path().join("w.conf");
    std::fs::write(
        &conf,
        "events {}\nhttp { server { location / { return 200 /a/${uri} x; } } }\n",
    )
    .unwrap();
    let (ok, message, line) = nginx_t(&conf);
    assert!(!ok);
    assert_eq!(
        (message.as_str(), line),
        ("invalid number of arguments in \"return\" directive", 2)
    );
    let config = load(&Input::File(conf), &LoadOptions::default());
    let mut n = 0;
    config.walk(&mut |v| {
        if v.directive.is("return") {
            n = v.directive.args.len();
        }
    });
    assert_eq!(n, 3);
}

/// Every configuration file under `dir`, recursively (sorted).
fn conf_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .map(|e| e.into_path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "conf"))
        .collect();
    v.sort();
    v
}

/// `nginx -t` with the file's own directory as prefix, as the file stands.
fn nginx_t_in_place(conf: &Path) -> bool {
    let scratch = tempfile::tempdir().unwrap();
    let conf = std::fs::canonicalize(conf).unwrap();
    common::nginx_t_in(conf.parent().unwrap(), &conf, scratch.path())
        .status
        .success()
}

/// The tool's findings that say `nginx -t` fails, for the installed nginx's version.
fn tool_says_fails(conf: &Path, version: &str) -> Vec<String> {
    let out = common::tool()
        .args([
            "--format",
            "json",
            "--no-config-file",
            "--nginx-version",
            version,
        ])
        .arg(conf)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    doc["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|f| f["nginx_test"] == "fails")
                .map(|f| format!("{}:{} {}", f["code"], f["line"], f["nginx_message"]))
                .collect()
        })
        .unwrap_or_default()
}

/// The real-world configurations of the grammar corpus, the bundled samples and the
/// shared corpus: wherever `nginx -t` accepts a file, no finding says it fails.
#[test]
fn no_finding_says_nginx_t_fails_where_it_passes() {
    if !common::have_tools(&["nginx"]) {
        return;
    }
    let version = common::nginx_version();
    let mut files = conf_files(Path::new("grammar-tests"));
    files.extend(conf_files(Path::new("sample-configs")));
    let shared = Path::new("../shared/corpus");
    if shared.is_dir() {
        files.extend(conf_files(shared));
    } else {
        eprintln!("SKIP: ../shared/corpus not beside this checkout; only the project's own files");
    }
    let mut passed = 0;
    let mut bad = Vec::new();
    for f in &files {
        if !nginx_t_in_place(f) {
            continue;
        }
        passed += 1;
        let fails = tool_says_fails(f, &version);
        if !fails.is_empty() {
            bad.push(format!(
                "{}: nginx -t passes, the tool says {fails:?}",
                f.display()
            ));
        }
    }
    assert!(passed >= 20, "only {passed} files pass nginx -t");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
