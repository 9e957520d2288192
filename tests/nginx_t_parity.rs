//! `nginx -t` parity: mutations of a known-good mutual-TLS configuration (each TLS
//! directive moved into every context; wrong values, argument counts, duplicates and
//! typos; missing, empty and wrong-kind files), each checked by real `nginx -t` and by
//! the tool (`--format json`, `--nginx-version` of the nginx under test). The tool's
//! verdict (a finding with `"nginx_test": "fails"`, or none) must equal nginx's on every
//! case, and where nginx names a line, one of the failing findings must stand on it
//! with nginx's message.
//!
//! `PARITY_REPORT=FILE` writes the table of every case (for a look, not for the test).

mod common;
#[path = "certs_pki.rs"]
mod pki;

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use pki::{DAY, ca, crl, leaf};
use rcgen::ExtendedKeyUsagePurpose;

/// Where a moved directive can go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Main,
    Events,
    Http,
    Upstream,
    Server,
    ServerIf,
    Location,
    LocationIf,
    LimitExcept,
    Stream,
    StreamServer,
}

const SLOTS: [Slot; 11] = [
    Slot::Main,
    Slot::Events,
    Slot::Http,
    Slot::Upstream,
    Slot::Server,
    Slot::ServerIf,
    Slot::Location,
    Slot::LocationIf,
    Slot::LimitExcept,
    Slot::Stream,
    Slot::StreamServer,
];

/// One configuration to check: the directives of each slot.
#[derive(Clone)]
struct Conf {
    name: String,
    slots: Vec<(Slot, Vec<String>)>,
}

impl Conf {
    fn lines(&self, slot: Slot) -> Vec<String> {
        self.slots
            .iter()
            .filter(|(s, _)| *s == slot)
            .flat_map(|(_, l)| l.clone())
            .collect()
    }

    fn render(&self, dir: &Path, port: u16, stream_port: u16) -> String {
        let d = dir.display();
        let ind = |n: usize, lines: Vec<String>| -> String {
            lines
                .iter()
                .map(|l| format!("{}{l}\n", "    ".repeat(n)))
                .collect()
        };
        let mut s = String::new();
        s.push_str("load_module /usr/lib/nginx/modules/ngx_stream_module.so;\n");
        if is_root() {
            s.push_str("user root root;\n");
        }
        let _ = writeln!(s, "worker_processes 1;\npid {d}/nginx.pid;");
        let _ = writeln!(s, "error_log {d}/error.log info;");
        s.push_str(&ind(0, self.lines(Slot::Main)));
        s.push_str("events {\n    worker_connections 64;\n");
        s.push_str(&ind(1, self.lines(Slot::Events)));
        s.push_str("}\nhttp {\n");
        let _ = writeln!(
            s,
            "    client_body_temp_path {d}/tmp/body;\n    proxy_temp_path {d}/tmp/proxy;\n    fastcgi_temp_path {d}/tmp/fastcgi;\n    uwsgi_temp_path {d}/tmp/uwsgi;\n    scgi_temp_path {d}/tmp/scgi;\n    access_log {d}/access.log;"
        );
        s.push_str(&ind(1, self.lines(Slot::Http)));
        s.push_str("    upstream backend {\n        server 127.0.0.1:9;\n");
        s.push_str(&ind(2, self.lines(Slot::Upstream)));
        s.push_str("    }\n    server {\n");
        let _ = writeln!(
            s,
            "        listen 127.0.0.1:{port} ssl;\n        server_name localhost;"
        );
        s.push_str(&ind(2, self.lines(Slot::Server)));
        s.push_str("        if ($request_method = PUT) {\n");
        s.push_str(&ind(3, self.lines(Slot::ServerIf)));
        s.push_str("            return 405;\n        }\n        location / {\n");
        s.push_str(&ind(3, self.lines(Slot::Location)));
        s.push_str("            if ($arg_x) {\n");
        s.push_str(&ind(4, self.lines(Slot::LocationIf)));
        s.push_str("                return 403;\n            }\n            limit_except GET {\n");
        s.push_str(&ind(4, self.lines(Slot::LimitExcept)));
        s.push_str("                deny all;\n            }\n            return 200 \"ok\\n\";\n        }\n    }\n}\nstream {\n");
        s.push_str(&ind(1, self.lines(Slot::Stream)));
        let _ = writeln!(
            s,
            "    server {{\n        listen 127.0.0.1:{stream_port} ssl;"
        );
        s.push_str(&ind(2, self.lines(Slot::StreamServer)));
        s.push_str("        proxy_pass 127.0.0.1:9;\n    }\n}\n");
        s
    }
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The certificates every case uses, and the broken files some name.
fn write_pki(dir: &Path) {
    let n = pki_now();
    let w = |name: &str, body: &[u8]| fs::write(dir.join(name), body).unwrap();
    let root = ca("Parity Root")
        .validity(n - 365 * DAY, n + 3650 * DAY)
        .self_signed();
    let int = ca("Parity Intermediate")
        .validity(n - 365 * DAY, n + 3650 * DAY)
        .signed_by(&root);
    let mut srv = leaf("localhost").validity(n - DAY, n + 365 * DAY);
    srv.eku = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server = srv.signed_by(&root);
    let other = leaf("other")
        .validity(n - DAY, n + 365 * DAY)
        .signed_by(&root);
    w("server.pem", server.pem.as_bytes());
    w("server.key", server.key.serialize_pem().as_bytes());
    w("other.key", other.key.serialize_pem().as_bytes());
    w("ca.pem", format!("{}{}", root.pem, int.pem).as_bytes());
    w("root.pem", root.pem.as_bytes());
    w("root.der", &root.der);
    w(
        "crl.pem",
        format!(
            "{}{}",
            crl(&root, &[], n - DAY, n + 60 * DAY).1,
            crl(&int, &[], n - DAY, n + 60 * DAY).1
        )
        .as_bytes(),
    );
    w("empty.pem", b"");
    w("garbage.pem", b"this is not a certificate\n");
    w("key-only.pem", server.key.serialize_pem().as_bytes());
    fs::create_dir_all(dir.join("a-directory")).unwrap();
}

fn pki_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The TLS directives of the known-good server: (name, the line as written).
fn tls(pki: &Path) -> Vec<(&'static str, String)> {
    let p = pki.display();
    vec![
        (
            "ssl_certificate",
            format!("ssl_certificate {p}/server.pem;"),
        ),
        (
            "ssl_certificate_key",
            format!("ssl_certificate_key {p}/server.key;"),
        ),
        (
            "ssl_client_certificate",
            format!("ssl_client_certificate {p}/ca.pem;"),
        ),
        ("ssl_verify_client", "ssl_verify_client on;".into()),
        ("ssl_verify_depth", "ssl_verify_depth 2;".into()),
        ("ssl_crl", format!("ssl_crl {p}/crl.pem;")),
        (
            "ssl_trusted_certificate",
            format!("ssl_trusted_certificate {p}/root.pem;"),
        ),
        ("ssl_protocols", "ssl_protocols TLSv1.2 TLSv1.3;".into()),
        (
            "ssl_session_cache",
            "ssl_session_cache shared:SSL:1m;".into(),
        ),
        ("ssl_session_timeout", "ssl_session_timeout 5m;".into()),
        (
            "ssl_prefer_server_ciphers",
            "ssl_prefer_server_ciphers on;".into(),
        ),
        ("ssl_buffer_size", "ssl_buffer_size 4k;".into()),
        ("ssl_ciphers", "ssl_ciphers HIGH:!aNULL;".into()),
    ]
}

/// The known-good configuration: every TLS directive in the server, and a stream
/// server with its own certificate.
fn base(pki: &Path) -> Conf {
    let p = pki.display();
    Conf {
        name: "base".into(),
        slots: vec![
            (Slot::Server, tls(pki).into_iter().map(|(_, l)| l).collect()),
            (
                Slot::StreamServer,
                vec![
                    format!("ssl_certificate {p}/server.pem;"),
                    format!("ssl_certificate_key {p}/server.key;"),
                ],
            ),
        ],
    }
}

/// The base with one server line replaced by others (or removed).
fn replace(pki: &Path, name: &str, directive: &str, with: &[String]) -> Conf {
    let mut c = base(pki);
    c.name = name.to_string();
    let tls = tls(pki);
    let server: Vec<String> = tls
        .iter()
        .flat_map(|(n, l)| {
            if *n == directive {
                with.to_vec()
            } else {
                vec![l.clone()]
            }
        })
        .collect();
    c.slots[0] = (Slot::Server, server);
    c
}

/// Every mutation.
fn cases(pki: &Path) -> Vec<Conf> {
    let p = pki.display().to_string();
    let mut out = vec![base(pki)];
    // Each TLS directive moved into every other context.
    for (name, line) in tls(pki) {
        for slot in SLOTS {
            if slot == Slot::Server {
                continue;
            }
            let mut c = replace(pki, &format!("move {name} to {slot:?}"), name, &[]);
            c.slots.push((slot, vec![line.clone()]));
            out.push(c);
        }
        // Given twice.
        out.push(replace(
            pki,
            &format!("duplicate {name}"),
            name,
            &[line.clone(), line.clone()],
        ));
        // No argument, and one too many.
        out.push(replace(
            pki,
            &format!("{name} without arguments"),
            name,
            &[format!("{name};")],
        ));
        let extra = format!("{} extra;", line.trim_end_matches(';'));
        out.push(replace(
            pki,
            &format!("{name} with an extra argument"),
            name,
            &[extra],
        ));
    }
    // Values.
    let values: &[(&str, &[&str])] = &[
        (
            "ssl_verify_client",
            &[
                "require",
                "yes",
                "true",
                "ON",
                "optional",
                "optional_no_ca",
                "off",
                "on on",
            ],
        ),
        ("ssl_verify_depth", &["-1", "two", "0", "1", "10k", "2.5"]),
        ("ssl_session_timeout", &["5x", "10", "1h30m", "-5", "1d"]),
        ("ssl_buffer_size", &["16k", "1q", "1g", "-1", "16K"]),
        (
            "ssl_prefer_server_ciphers",
            &["yes", "On", "off", "OFF", "1"],
        ),
        ("ssl_protocols", &["TLSv1.4", "SSLv3", "TLSv1.2", "tlsv1.2"]),
        (
            "ssl_session_cache",
            &[
                "shared:SSL",
                "builtin:1000",
                "bogus",
                "none",
                "off",
                "shared:SSL:1x",
                "builtin",
            ],
        ),
    ];
    for (name, vals) in values {
        for v in *vals {
            out.push(replace(
                pki,
                &format!("{name} {v}"),
                name,
                &[format!("{name} {v};")],
            ));
        }
    }
    // Typos.
    for (good, typo) in [
        ("ssl_verify_client", "ssl_verfy_client on;"),
        (
            "ssl_client_certificate",
            "ssl_client_certficate {p}/ca.pem;",
        ),
        ("ssl_crl", "ssl_crll {p}/crl.pem;"),
        ("ssl_protocols", "sll_protocols TLSv1.2;"),
    ] {
        let line = typo.replace("{p}", &p);
        out.push(replace(
            pki,
            &format!("typo {line}"),
            good,
            std::slice::from_ref(&line),
        ));
    }
    // Files: missing, empty, a directory, the wrong kind.
    for (directive, files) in [
        (
            "ssl_client_certificate",
            &[
                "missing.pem",
                "empty.pem",
                "a-directory",
                "key-only.pem",
                "garbage.pem",
                "root.der",
            ][..],
        ),
        (
            "ssl_trusted_certificate",
            &["missing.pem", "empty.pem", "garbage.pem"][..],
        ),
        ("ssl_crl", &["missing.pem", "empty.pem", "garbage.pem"][..]),
        (
            "ssl_certificate",
            &["missing.pem", "empty.pem", "key-only.pem"][..],
        ),
        (
            "ssl_certificate_key",
            &["missing.pem", "empty.pem", "ca.pem", "other.key"][..],
        ),
    ] {
        for f in files {
            out.push(replace(
                pki,
                &format!("{directive} {f}"),
                directive,
                &[format!("{directive} {p}/{f};")],
            ));
        }
    }
    // No CA at all for ssl_verify_client.
    out.push({
        let mut c = replace(pki, "verify without any CA", "ssl_client_certificate", &[]);
        c.slots[0]
            .1
            .retain(|l| !l.starts_with("ssl_trusted_certificate"));
        c
    });
    out
}

/// What nginx said: (ok, message after `[emerg]` without `in FILE:LINE`, line).
fn nginx_t(dir: &Path, conf: &Path) -> (bool, String, Option<usize>) {
    let out = common::nginx_check(dir, conf, "-t");
    let (message, line) = common::emerg(&String::from_utf8_lossy(&out.stderr), conf);
    (out.status.success(), message, line)
}

/// What the tool said: the failing findings as (line, message).
fn tool(conf: &Path, version: &str) -> Vec<(Option<u64>, String, String)> {
    let out = common::tool()
        .args([
            "--format",
            "json",
            "--nginx-version",
            version,
            "--no-config-file",
        ])
        .arg(conf)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: no JSON ({e}): {}",
            conf.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["nginx_test"] == "fails")
        .map(|f| {
            (
                f["line"].as_u64(),
                f["nginx_message"].as_str().unwrap_or_default().to_string(),
                f["code"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn tool_verdict_equals_nginx_t_on_every_mutation() {
    if !common::have_tools(&["nginx"]) {
        return;
    }
    let pki = tempfile::tempdir().unwrap();
    write_pki(pki.path());
    let version = common::nginx_version();
    let port = common::free_port();
    let stream_port = common::free_port();
    let mut report = String::from(
        "| case | nginx -t | line | nginx message | tool | tool lines |\n|---|---|---|---|---|---|\n",
    );
    let mut bad = Vec::new();
    let cases = cases(pki.path());
    for case in &cases {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("nginx.conf");
        fs::write(&conf, case.render(dir.path(), port, stream_port)).unwrap();
        let (ok, message, line) = nginx_t(dir.path(), &conf);
        let failing = tool(&conf, &version);
        let lines: Vec<String> = failing
            .iter()
            .map(|(l, m, c)| format!("{c}@{}: {m}", l.map_or("-".into(), |l| l.to_string())))
            .collect();
        let _ = writeln!(
            report,
            "| {} | {} | {} | {} | {} | {} |",
            case.name,
            if ok { "passes" } else { "fails" },
            line.map_or("-".into(), |l| l.to_string()),
            message.replace('|', "\\|"),
            if failing.is_empty() {
                "passes"
            } else {
                "fails"
            },
            lines.join("; ").replace('|', "\\|")
        );
        if ok != failing.is_empty() {
            bad.push(format!(
                "{}: nginx -t {} ({message}), the tool says {} [{}]",
                case.name,
                if ok { "passes" } else { "fails" },
                if failing.is_empty() {
                    "passes"
                } else {
                    "fails"
                },
                lines.join("; ")
            ));
            continue;
        }
        if let Some(l) = line
            && !failing
                .iter()
                .any(|(tl, m, _)| *tl == Some(l as u64) && *m == message)
        {
            bad.push(format!(
                "{}: nginx -t fails at line {l} with {message:?}; the tool's failing findings: [{}]",
                case.name,
                lines.join("; ")
            ));
        }
    }
    if let Ok(path) = std::env::var("PARITY_REPORT") {
        fs::write(path, &report).unwrap();
    }
    assert!(
        cases.len() >= 150,
        "only {} mutations generated",
        cases.len()
    );
    assert!(
        bad.is_empty(),
        "{} of {} cases differ from nginx -t {version}:\n{}",
        bad.len(),
        cases.len(),
        bad.join("\n")
    );
}
