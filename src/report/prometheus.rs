//! `lint --format prometheus`: the expiry of everything nginx is configured with, as
//! Prometheus text (node_exporter's textfile collector reads the file `-o` writes).
//!
//! One series per certificate (or CRL) of each file the configuration uses, by role:
//! `client_ca` (`ssl_client_certificate`), `trusted_ca` (`ssl_trusted_certificate`),
//! `server` and `server_chain` (`ssl_certificate`: its first certificate, the rest),
//! `upstream_client` (`proxy_ssl_certificate` and the other modules': the first
//! certificate, `upstream_chain` for the rest), `upstream_trusted_ca`, `crl_ca` and
//! `upstream_crl_ca` for certificates inside CRL files (OpenSSL trusts them too), and
//! `crl` / `upstream_crl` for the CRLs. Labels: `role`, `file`, `subject`, `issuer`, `serial`, and `servers` (the
//! `name:port` of the servers that use it, sorted, at most 10 then `+N more`). The
//! number of series is bounded by the certificates the configuration names (a file
//! used by many servers is one series); no label takes a value from a request.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::certs::load::Bundle;
use crate::model::trust::CertFiles;
use crate::model::{Model, Setting};
use crate::rules::Finding;

/// A label value, escaped as the text format requires.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[derive(Default)]
struct Series {
    subject: String,
    issuer: String,
    serial: String,
    not_before: i64,
    not_after: i64,
    servers: BTreeSet<String>,
}

#[derive(Default)]
struct CrlSeries {
    issuer: String,
    this_update: i64,
    next_update: Option<i64>,
    servers: BTreeSet<String>,
}

fn servers_label(s: &BTreeSet<String>) -> String {
    const MAX: usize = 10;
    let mut v: Vec<&str> = s.iter().map(String::as_str).take(MAX).collect();
    let more = s.len().saturating_sub(MAX);
    let tail = format!("+{more} more");
    if more > 0 {
        v.push(&tail);
    }
    v.join(",")
}

/// The metrics of a configuration.
pub fn render(
    model: &Model<'_>,
    files: &CertFiles,
    findings: &[Finding],
    profile: &crate::model::profile::Profile,
    now: i64,
) -> String {
    // (role, file, serial, subject) -> series
    let mut certs: BTreeMap<(String, String, String, String), Series> = BTreeMap::new();
    let mut crls: BTreeMap<(String, String, String), CrlSeries> = BTreeMap::new();
    let mut add =
        |role: &str, first_role: Option<&str>, setting: Option<Setting<'_>>, who: &str| {
            let Some(b): Option<&Bundle> = files.bundle(model, setting) else {
                return;
            };
            let file = std::fs::canonicalize(&b.path)
                .unwrap_or_else(|_| b.path.clone())
                .display()
                .to_string();
            for (i, c) in b.certificates.iter().enumerate() {
                let role = match (i, first_role) {
                    (0, Some(r)) => r,
                    _ => role,
                };
                let e = certs
                    .entry((
                        role.into(),
                        file.clone(),
                        c.info.serial.clone(),
                        c.info.subject.clone(),
                    ))
                    .or_default();
                e.subject = c.info.subject.clone();
                e.issuer = c.info.issuer.clone();
                e.serial = c.info.serial.clone();
                e.not_before = c.info.not_before;
                e.not_after = c.info.not_after;
                e.servers.insert(who.to_string());
            }
            let crl_role = if role.starts_with("upstream") {
                "upstream_crl"
            } else {
                "crl"
            };
            for crl in &b.crls {
                let e = crls
                    .entry((crl_role.into(), file.clone(), crl.info.issuer.clone()))
                    .or_default();
                e.issuer = crl.info.issuer.clone();
                e.this_update = crl.info.this_update;
                e.next_update = crl.info.next_update;
                e.servers.insert(who.to_string());
            }
        };
    let name_of = |i: usize| {
        let s = &model.servers[i];
        let port = s
            .listens
            .first()
            .map(|l| l.socket.rsplit(':').next().unwrap_or("").to_string())
            .unwrap_or_default();
        format!("{}:{port}", s.display_name())
    };
    for (i, s) in model.servers.iter().enumerate() {
        if !s.ssl_configured() {
            continue;
        }
        let who = name_of(i);
        if s.mtls() {
            add("client_ca", None, s.ssl.client_certificate, &who);
            add("trusted_ca", None, s.ssl.trusted_certificate, &who);
            add("crl_ca", None, s.ssl.crl, &who);
        }
        for c in &s.ssl.certificates {
            add("server_chain", Some("server"), Some(*c), &who);
        }
    }
    for u in model.upstreams.iter().filter(|u| u.tls) {
        let who = name_of(u.server);
        add(
            "upstream_chain",
            Some("upstream_client"),
            u.ssl.certificate,
            &who,
        );
        if u.verifies() {
            add("upstream_trusted_ca", None, u.ssl.trusted_certificate, &who);
            add("upstream_crl_ca", None, u.ssl.crl, &who);
        }
    }
    let mut o = String::new();
    let cert_labels = |k: &(String, String, String, String), s: &Series| {
        format!(
            "role=\"{}\",file=\"{}\",subject=\"{}\",issuer=\"{}\",serial=\"{}\",servers=\"{}\"",
            label(&k.0),
            label(&k.1),
            label(&s.subject),
            label(&s.issuer),
            label(&s.serial),
            label(&servers_label(&s.servers))
        )
    };
    for (name, help, pick) in [
        (
            "nginx_mtls_lint_certificate_not_after_timestamp_seconds",
            "notAfter of each certificate the nginx configuration uses, by role and file, as a Unix timestamp.",
            true,
        ),
        (
            "nginx_mtls_lint_certificate_not_before_timestamp_seconds",
            "notBefore of each certificate the nginx configuration uses, by role and file, as a Unix timestamp.",
            false,
        ),
    ] {
        let _ = writeln!(o, "# HELP {name} {help}");
        let _ = writeln!(o, "# TYPE {name} gauge");
        for (k, s) in &certs {
            let v = if pick { s.not_after } else { s.not_before };
            let _ = writeln!(o, "{name}{{{}}} {v}", cert_labels(k, s));
        }
    }
    let crl_labels = |k: &(String, String, String), c: &CrlSeries| {
        format!(
            "role=\"{}\",file=\"{}\",issuer=\"{}\",servers=\"{}\"",
            label(&k.0),
            label(&k.1),
            label(&c.issuer),
            label(&servers_label(&c.servers))
        )
    };
    let name = "nginx_mtls_lint_crl_next_update_timestamp_seconds";
    let _ = writeln!(
        o,
        "# HELP {name} nextUpdate of each CRL the nginx configuration uses (after it, nginx rejects the chains it covers with \"CRL has expired\"), as a Unix timestamp."
    );
    let _ = writeln!(o, "# TYPE {name} gauge");
    for (k, c) in &crls {
        if let Some(n) = c.next_update {
            let _ = writeln!(o, "{name}{{{}}} {n}", crl_labels(k, c));
        }
    }
    let name = "nginx_mtls_lint_crl_this_update_timestamp_seconds";
    let _ = writeln!(
        o,
        "# HELP {name} thisUpdate of each CRL the nginx configuration uses, as a Unix timestamp."
    );
    let _ = writeln!(o, "# TYPE {name} gauge");
    for (k, c) in &crls {
        let _ = writeln!(o, "{name}{{{}}} {}", crl_labels(k, c), c.this_update);
    }
    // Findings per rule and severity.
    let mut counts: BTreeMap<(&str, String), u64> = BTreeMap::new();
    for f in findings {
        *counts
            .entry((f.code, format!("{:?}", f.severity).to_ascii_lowercase()))
            .or_default() += 1;
    }
    let name = "nginx_mtls_lint_findings";
    let _ = writeln!(
        o,
        "# HELP {name} Findings of the last lint run, by rule and severity."
    );
    let _ = writeln!(o, "# TYPE {name} gauge");
    for ((code, sev), n) in &counts {
        let _ = writeln!(o, "{name}{{code=\"{code}\",severity=\"{sev}\"}} {n}");
    }
    let name = "nginx_mtls_lint_info";
    let _ = writeln!(
        o,
        "# HELP {name} The tool and the nginx and OpenSSL profiles it judged for."
    );
    let _ = writeln!(o, "# TYPE {name} gauge");
    let _ = writeln!(
        o,
        "{name}{{version=\"{}\",nginx=\"{}\",openssl=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION"),
        label(&profile.nginx),
        label(&profile.openssl)
    );
    let name = "nginx_mtls_lint_last_run_timestamp_seconds";
    let _ = writeln!(
        o,
        "# HELP {name} When the configuration was last linted, as a Unix timestamp."
    );
    let _ = writeln!(o, "# TYPE {name} gauge");
    let _ = writeln!(o, "{name} {now}");
    o
}
