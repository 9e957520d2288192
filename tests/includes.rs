//! Include resolution, directory inputs and whole trees.

mod common;

use std::fs;
use std::path::Path;

use nginx_mtls_lint::config::{Config, Input, LoadErrorKind, LoadOptions, load};

fn load_file(path: &Path) -> Config {
    load(&Input::File(path.to_path_buf()), &LoadOptions::default())
}

fn names(config: &Config) -> Vec<String> {
    let mut v = Vec::new();
    config.walk(&mut |d| {
        v.push(
            std::iter::once(d.directive.name.as_str().into_owned())
                .chain(d.directive.args.iter().map(|a| a.as_str().into_owned()))
                .collect::<Vec<_>>()
                .join(" "),
        )
    });
    v
}

#[test]
fn glob_matches_in_byte_order_and_skip_dotfiles() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::create_dir(d.join("conf.d")).unwrap();
    fs::write(d.join("nginx.conf"), "http { include conf.d/*.conf; }").unwrap();
    for (name, body) in [
        ("b.conf", "b;"),
        ("a-b.conf", "ab;"),
        ("a.conf", "a;"),
        ("B.conf", "B;"),
        (".hidden.conf", "hidden;"),
    ] {
        fs::write(d.join("conf.d").join(name), body).unwrap();
    }
    let c = load_file(&d.join("nginx.conf"));
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    assert_eq!(
        names(&c),
        ["http", "include conf.d/*.conf", "B", "ab", "a", "b"]
    );
}

#[test]
fn glob_matching_nothing_is_fine_plain_path_missing_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::write(
        d.join("nginx.conf"),
        "http {\n include none/*.conf;\n include missing.conf;\n}\n",
    )
    .unwrap();
    let c = load_file(&d.join("nginx.conf"));
    assert_eq!(c.errors.len(), 1);
    let e = &c.errors[0];
    assert_eq!(e.kind, LoadErrorKind::Include);
    assert_eq!(
        e.message,
        format!(
            "open() \"{}\" failed (2: No such file or directory)",
            d.join("missing.conf").display()
        )
    );
    assert_eq!(c.sources.line_col(e.span.unwrap()).0, 3);
}

#[test]
fn relative_includes_use_the_prefix() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::create_dir_all(d.join("etc/snippets")).unwrap();
    fs::create_dir_all(d.join("other/snippets")).unwrap();
    fs::write(d.join("etc/nginx.conf"), "include snippets/x.conf;").unwrap();
    fs::write(d.join("etc/snippets/x.conf"), "from_etc;").unwrap();
    fs::write(d.join("other/snippets/x.conf"), "from_other;").unwrap();
    let c = load_file(&d.join("etc/nginx.conf"));
    assert_eq!(names(&c)[1], "from_etc");
    let c = load(
        &Input::File(d.join("etc/nginx.conf")),
        &LoadOptions {
            prefix: Some(d.join("other")),
            ..Default::default()
        },
    );
    assert_eq!(names(&c)[1], "from_other");
}

#[test]
fn include_cycles_are_reported_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::create_dir(d.join("conf.d")).unwrap();
    fs::write(d.join("nginx.conf"), "http { include conf.d/*.conf; }").unwrap();
    fs::write(d.join("conf.d/a.conf"), "a;\ninclude conf.d/*.conf;\n").unwrap();
    fs::write(d.join("conf.d/self.conf"), "include nginx.conf;\n").unwrap();
    let c = load_file(&d.join("nginx.conf"));
    let cycles: Vec<_> = c
        .errors
        .iter()
        .filter(|e| e.kind == LoadErrorKind::Cycle)
        .collect();
    assert_eq!(cycles.len(), 2, "{:?}", c.errors);
    assert!(cycles[0].message.starts_with("include cycle: "));
    // Walking terminates and sees each file's contents once along each path.
    let n = names(&c);
    assert_eq!(n.iter().filter(|s| *s == "a").count(), 1, "{n:?}");
}

#[test]
fn a_file_including_itself_is_a_cycle() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::write(d.join("nginx.conf"), "include nginx.conf;\n").unwrap();
    let c = load_file(&d.join("nginx.conf"));
    assert_eq!(c.errors.len(), 1);
    assert_eq!(c.errors[0].kind, LoadErrorKind::Cycle);
}

#[test]
fn symlink_loops_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::os::unix::fs::symlink(d.join("loop1.conf"), d.join("loop2.conf")).unwrap();
    std::os::unix::fs::symlink(d.join("loop2.conf"), d.join("loop1.conf")).unwrap();
    fs::write(d.join("nginx.conf"), "include loop1.conf;\n").unwrap();
    let c = load_file(&d.join("nginx.conf"));
    assert_eq!(c.errors.len(), 1, "{:?}", c.errors);
    assert!(
        c.errors[0].message.contains("(40: "),
        "{}",
        c.errors[0].message
    );
}

#[test]
fn directory_of_sites_reads_each_file_as_http_fragment() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let sites = d.join("sites-available");
    fs::create_dir_all(&sites).unwrap();
    fs::create_dir_all(d.join("snippets")).unwrap();
    fs::write(sites.join("api"), "server { include snippets/mtls.conf; }").unwrap();
    fs::write(sites.join("www.conf"), "server { listen 80; }").unwrap();
    fs::write(sites.join("www.conf~"), "backup;").unwrap();
    fs::write(sites.join(".api.swp"), "swap;").unwrap();
    fs::write(sites.join("old.conf.dpkg-old"), "old;").unwrap();
    fs::write(d.join("snippets/mtls.conf"), "ssl_verify_client on;").unwrap();
    let c = load(&Input::Dir(sites.clone()), &LoadOptions::default());
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    assert_eq!(c.roots.len(), 2);
    assert!(c.roots.iter().all(|r| r.context == ["http"]));
    let mut contexts = Vec::new();
    c.walk(&mut |v| {
        if v.directive.is("ssl_verify_client") {
            contexts = v.context_names();
        }
    });
    assert_eq!(contexts, ["http", "server"]);
}

#[test]
fn directory_with_nginx_conf_is_linted_from_it() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::write(d.join("nginx.conf"), "events {}\n").unwrap();
    fs::write(d.join("stray.conf"), "not_included;\n").unwrap();
    let c = load(&Input::Dir(d.to_path_buf()), &LoadOptions::default());
    assert_eq!(c.roots.len(), 1);
    assert_eq!(names(&c), ["events"]);
}

#[test]
fn h5bp_tree_loads_with_all_includes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/h5bp/nginx.conf");
    if !root.exists() {
        eprintln!("SKIP: ../shared/corpus is not beside this checkout");
        return;
    }
    let c = load_file(&root);
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    assert_eq!(c.syntax_errors().count(), 0);
    // nginx.conf, mime.types-like files and every conf.d/*.conf with their snippets.
    assert!(c.sources.len() >= 8, "{}", c.sources.len());
    let n = names(&c);
    assert!(n.iter().any(|s| s.starts_with("server_tokens")), "{n:?}");
}

#[test]
fn parse_json_equals_crossplane_shape_for_a_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::write(
        d.join("nginx.conf"),
        "events {}\nhttp {\n    include site.conf;\n    if ($a) { return 403; }\n}\n",
    )
    .unwrap();
    fs::write(d.join("site.conf"), "server {\n    listen 80;\n}\n").unwrap();
    let out = common::tool()
        .arg("parse")
        .arg(d.join("nginx.conf"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let main = d.join("nginx.conf").display().to_string();
    let site = d.join("site.conf").display().to_string();
    assert_eq!(
        v,
        serde_json::json!({
            "status": "ok", "errors": [],
            "config": [
                {"file": main, "status": "ok", "errors": [], "parsed": [
                    {"directive": "events", "line": 1, "args": [], "block": []},
                    {"directive": "http", "line": 2, "args": [], "block": [
                        {"directive": "include", "line": 3, "args": ["site.conf"], "includes": [1]},
                        {"directive": "if", "line": 4, "args": ["$a"], "block": [
                            {"directive": "return", "line": 4, "args": ["403"]}
                        ]}
                    ]}
                ]},
                {"file": site, "status": "ok", "errors": [], "parsed": [
                    {"directive": "server", "line": 1, "args": [], "block": [
                        {"directive": "listen", "line": 2, "args": ["80"]}
                    ]}
                ]}
            ]
        })
    );
}
