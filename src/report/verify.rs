//! The `verify` reporter: the human text of a [`Document`] (its JSON is the document
//! itself, serialised).

use crate::verify::{Document, UpstreamDocument};

/// The human report of `verify --upstream`.
pub fn upstream_human(doc: &UpstreamDocument) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    match &doc.peer_certificate {
        Some(p) => {
            let _ = writeln!(s, "backend certificate: {p}");
        }
        None => s.push_str("backend certificate: not given (--peer-cert)\n"),
    }
    let _ = writeln!(s, "verified at {}", doc.at);
    for n in &doc.nginx_refuses {
        let _ = writeln!(s, "nginx refuses the configuration: {n}");
    }
    for u in &doc.upstreams {
        s.push('\n');
        let _ = writeln!(s, "{} in server {} ({})", u.pass, u.server_name, u.at);
        let verdict = match u.status {
            _ if !doc.nginx_refuses.is_empty() => {
                "NO REQUEST: nginx refuses this configuration (see above); once it starts:"
                    .to_string()
            }
            _ if u.connection_closed => "REFUSED: nginx closes the client's connection".to_string(),
            Some(502) => "REFUSED: the client gets 502 Bad Gateway".to_string(),
            Some(code) => format!("REFUSED by the backend: the client gets {code}"),
            None => "passes: the backend answers".to_string(),
        };
        let _ = writeln!(s, "  {verdict}");
        let _ = writeln!(s, "  {}", u.decided_by);
        let _ = writeln!(
            s,
            "  TLS {}, SNI {}, backend verified: {}{}",
            if u.tls { "yes" } else { "no" },
            u.sni.as_deref().unwrap_or("none"),
            if u.verifies_backend { "yes" } else { "no" },
            u.name_checked
                .as_ref()
                .map(|n| format!(" (name checked: {n})"))
                .unwrap_or_default()
        );
        if let Some(p) = &u.presents {
            let _ = writeln!(s, "  nginx presents {p}");
        }
        if let Some(l) = &u.error_log {
            let _ = writeln!(s, "  nginx error.log [error]: {l}");
        }
        if let Some(v) = &u.backend_ssl_client_verify {
            let _ = writeln!(s, "  backend $ssl_client_verify = {v}");
        }
        if let Some(l) = &u.backend_error_log {
            let _ = writeln!(s, "  backend error.log [info]: {l}");
        }
        for f in &u.fixes {
            let _ = writeln!(s, "  fix: {f}");
        }
        for n in &u.notes {
            let _ = writeln!(s, "  note: {n}");
        }
    }
    s
}

/// The human report of `verify`.
pub fn human(doc: &Document) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let c = &doc.client;
    match &c.file {
        Some(f) => {
            let _ = writeln!(
                s,
                "client certificate {f}: {} (issuer {}), valid {} to {}{}{}",
                c.subject.as_deref().unwrap_or(""),
                c.issuer.as_deref().unwrap_or(""),
                c.not_before.as_deref().unwrap_or(""),
                c.not_after.as_deref().unwrap_or(""),
                if c.intermediates.is_empty() {
                    String::new()
                } else {
                    format!(", sends {}", c.intermediates.join(" + "))
                },
                match c.key.as_deref() {
                    Some(k) => format!("; private key: {k}"),
                    None => String::new(),
                }
            );
        }
        None => s.push_str("client certificate: none (the client sends no certificate)\n"),
    }
    for p in &c.problems {
        let _ = writeln!(s, "  problem: {p}");
    }
    for f in &c.fixes {
        let _ = writeln!(s, "  fix: {f}");
    }
    let _ = writeln!(s, "verified at {}", doc.at);
    for n in &doc.nginx_refuses {
        let _ = writeln!(s, "nginx refuses the configuration: {n}");
    }
    for r in &doc.results {
        s.push('\n');
        let _ = writeln!(
            s,
            "{} server {} ({}:{}), ssl_verify_client {}{}",
            r.listen,
            if r.server_name.is_empty() {
                "\"\""
            } else {
                &r.server_name
            },
            r.file,
            r.line,
            r.ssl_verify_client,
            match (&r.sni, &r.host) {
                (None, None) => " [no SNI]".to_string(),
                (sni, host) => format!(
                    " [SNI {}, Host {}]",
                    sni.as_deref().unwrap_or("none"),
                    host.as_deref().unwrap_or("none")
                ),
            }
        );
        let backend = r.request.as_ref().and_then(|q| q.backend.clone());
        match r.verdict.as_str() {
            "nginx_refuses" => {
                let _ = writeln!(
                    s,
                    "  NO REQUEST: nginx refuses this configuration, so it does not start (or keeps the old configuration on reload)"
                );
            }
            "client_unusable" => {
                let _ = writeln!(
                    s,
                    "  NO REQUEST: the client cannot use its certificate or key (see the problems above)"
                );
            }
            v => {
                let verdict = match v {
                    "rejected" => "REJECTED",
                    "denied" => "DENIED after the handshake",
                    _ => "ACCEPTED",
                };
                let seen = match (&r.request, &backend) {
                    (Some(q), Some(b)) if q.status.is_none() && b.starts_with("static file") => {
                        "the status depends on a static file not found on this machine".to_string()
                    }
                    (Some(q), Some(_)) if q.status.is_none() => {
                        "the backend decides the status".to_string()
                    }
                    (Some(q), None) if q.status.is_none() => {
                        "the status is decided by something not modelled".to_string()
                    }
                    _ => format!("the client sees HTTP {}", r.status),
                };
                let _ = writeln!(
                    s,
                    "  {verdict}: {seen}{}",
                    r.nginx_status
                        .map(|n| format!(" (nginx status {n})"))
                        .unwrap_or_default()
                );
            }
        }
        if let Some(q) = &r.request {
            let _ = writeln!(
                s,
                "  request {} {}: {}",
                q.method,
                q.path,
                q.location.as_deref().unwrap_or("no location matches")
            );
        }
        if let Some(d) = &r.decided_by {
            let _ = writeln!(s, "  decided by {d}");
        }
        if let Some(b) = &backend {
            let _ = writeln!(s, "  backend: {b}");
        }
        if let Some(q) = &r.request {
            for h in &q.backend_headers {
                let _ = writeln!(
                    s,
                    "  backend receives {} {} = {} ({})",
                    h.directive,
                    h.name,
                    h.value.as_deref().unwrap_or("(not modelled)"),
                    h.at
                );
            }
        }
        let _ = writeln!(s, "  $ssl_client_verify = {}", r.ssl_client_verify);
        if let Some(l) = &r.error_log {
            let _ = writeln!(s, "  error.log [info]: {l}");
        }
        if r.handshake_server.server_name != r.server_name || r.handshake_server.line != r.line {
            let _ = writeln!(
                s,
                "  handshake settings from server {} ({}:{}), ssl_verify_client {}",
                r.handshake_server.server_name,
                r.handshake_server.file,
                r.handshake_server.line,
                r.handshake_server.ssl_verify_client
            );
        }
        for f in &r.findings {
            let _ = writeln!(s, "  - {f}");
        }
        for f in &r.fixes {
            let _ = writeln!(s, "  fix: {f}");
        }
    }
    let rejected = doc
        .results
        .iter()
        .filter(|r| r.verdict != "accepted")
        .count();
    let _ = writeln!(
        s,
        "\n{} of {} server{} would reject this client",
        rejected,
        doc.results.len(),
        if doc.results.len() == 1 { "" } else { "s" }
    );
    s
}
