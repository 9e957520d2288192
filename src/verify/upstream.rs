//! `verify --upstream`: nginx as the client of a backend. For a location (or every
//! pass to a backend name): whether nginx accepts the backend's certificate chain
//! (`proxy_ssl_verify`, the trusted file, the depth, the CRL, the name check), the
//! `[error]` line nginx writes when it does not, what the backend makes of the
//! certificate nginx presents (given the backend's CA file), and the status the client
//! gets through the proxy.
//!
//! nginx 1.22 (`ngx_http_upstream_ssl_handshake`, `ngx_ssl_check_host`): the
//! handshake completes whatever the verification (the callback always continues);
//! then, with verify on, a verify result other than 0 logs `upstream SSL certificate
//! verify error: (N:reason) while SSL handshaking to upstream`, and a certificate
//! without the name (`X509_check_host`, flags 0: DNS names of the subjectAltName, the
//! subject's CN only when there is none) logs `upstream SSL certificate does not match
//! "name" while SSL handshaking to upstream`. Either ends the request with 502.

use serde::Serialize;

use crate::certs::load::{Certificate, ClientChain};
use crate::certs::verify::{Purpose, TrustStore, VerifyParams, verify_client};
use crate::model::Model;
use crate::model::VerifyMode;
use crate::model::trust::CertFiles;
use crate::model::upstream::Upstream;

/// What the caller asks about.
#[derive(Debug, Clone, Default)]
pub struct UpstreamQuery {
    /// `--server NAME`: the server (by `server_name`); default every server.
    pub server: Option<String>,
    /// `--path`: the request URI whose location is used.
    pub path: String,
    /// `--upstream NAME`: only passes to this host or group.
    pub upstream: Option<String>,
    /// `--peer-cert`: the backend's certificate and chain.
    pub peer_chain: Option<ClientChain>,
    /// `--peer-ca`: the backend's CA file (what it trusts for nginx's certificate).
    pub peer_ca: Option<TrustStore>,
    /// `--peer-depth` (the backend's ssl_verify_depth, default 1).
    pub peer_depth: u32,
    /// `--peer-verify` (the backend's ssl_verify_client, default on).
    pub peer_mode: Option<VerifyMode>,
    /// `--peer-verify require`: the backend ends the handshake when it does not accept
    /// nginx's certificate (`openssl s_server -Verify`, most servers other than nginx).
    pub peer_aborts: bool,
    /// `--listen`: only the servers listening on this socket (the way to choose a
    /// stream server).
    pub listen: Option<String>,
}

/// The prediction for one pass.
#[derive(Debug, Clone, Serialize)]
pub struct UpstreamResult {
    /// `file:line` of the pass.
    pub at: String,
    pub server_name: String,
    pub pass: String,
    pub tls: bool,
    /// The name sent as SNI (None: no SNI).
    pub sni: Option<String>,
    /// The name nginx checks the backend's certificate against (when verifying).
    pub name_checked: Option<String>,
    pub verifies_backend: bool,
    /// nginx's verdict on the backend's certificate: `accepted`, `refused`,
    /// `not_verified` (verify off), `not_given` (no --peer-cert).
    pub backend_certificate: String,
    /// The OpenSSL code when refused for the chain.
    pub verify_code: Option<u32>,
    /// nginx's `[error]` line (up to "while SSL handshaking to upstream").
    pub error_log: Option<String>,
    /// The certificate nginx presents (subject), or None.
    pub presents: Option<String>,
    /// What the backend logs as `$ssl_client_verify` for nginx's certificate (with
    /// `--peer-ca`).
    pub backend_ssl_client_verify: Option<String>,
    /// The backend's error.log line for nginx's certificate.
    pub backend_error_log: Option<String>,
    /// The status the client gets: 502 when nginx refuses the backend, the backend's
    /// 400 when it refuses nginx's certificate, else None (the backend's answer).
    /// None for a stream server, which has no status: see `connection_closed`.
    pub status: Option<u16>,
    /// A stream server closes the client's connection (what 502 is for HTTP).
    pub connection_closed: bool,
    /// Why, in one sentence.
    pub decided_by: String,
    /// What the backend may do that the tool cannot see (its server choice).
    pub notes: Vec<String>,
    pub fixes: Vec<String>,
}

/// `X509_check_host(cert, name, 0, 0, NULL)`.
pub fn check_host(cert: &Certificate, name: &str) -> bool {
    // X509_check_host keeps a trailing dot: `api.example.com.` matches no SAN.
    let name = name.to_ascii_lowercase();
    let dns: Vec<String> = cert
        .info
        .subject_alt_names
        .iter()
        .filter_map(|s| s.strip_prefix("DNS:"))
        .map(|s| s.to_ascii_lowercase())
        .collect();
    if !dns.is_empty() {
        return dns.iter().any(|p| host_matches(p, &name));
    }
    subject_cns(&cert.info.subject)
        .iter()
        .any(|cn| host_matches(&cn.to_ascii_lowercase(), &name))
}

/// The CN values of a subject as the tool prints it (`CN=a,O=b`).
fn subject_cns(subject: &str) -> Vec<String> {
    subject
        .split(',')
        .filter_map(|p| p.trim().strip_prefix("CN="))
        .map(str::to_string)
        .collect()
}

/// One pattern against a host: exact (case-insensitive), or a wildcard in the first
/// label only (`*.example.com`, partial `f*.example.com`), matching exactly one label,
/// with at least two labels after it.
fn host_matches(pattern: &str, host: &str) -> bool {
    if pattern == host {
        return true;
    }
    let Some((first, rest)) = pattern.split_once('.') else {
        return false;
    };
    if !first.contains('*') || rest.contains('*') || !rest.contains('.') {
        return false;
    }
    let Some((hfirst, hrest)) = host.split_once('.') else {
        return false;
    };
    if hrest != rest || first.matches('*').count() != 1 {
        return false;
    }
    if first != "*" && hfirst.starts_with("xn--") {
        return false;
    }
    let (pre, post) = first.split_once('*').unwrap_or(("", ""));
    hfirst.len() >= pre.len() + post.len()
        && hfirst.starts_with(pre)
        && hfirst.ends_with(post)
        && !hfirst.is_empty()
}

fn location_of(model: &Model<'_>, d: &crate::config::Directive) -> String {
    model.config.sources.location(d.span)
}

/// The passes the query selects: by backend name (`--upstream NAME`), socket
/// (`--listen`), server name (`--server`), and for HTTP the location of the path.
/// Stream servers are chosen by name or socket only.
pub fn select<'m, 'a>(model: &'m Model<'a>, q: &UpstreamQuery) -> Vec<&'m Upstream<'a>> {
    use crate::model::upstream::Module;
    let servers: Vec<usize> = (0..model.servers.len()).collect();
    let server = q
        .server
        .as_deref()
        .and_then(|n| super::predict::find_server(model, &servers, n));
    let socket = |s: &crate::model::Server<'_>, want: &str| {
        let want = crate::model::socket_of(want, s.protocol);
        s.listens.iter().any(|l| l.socket == want)
    };
    model
        .upstreams
        .iter()
        .filter(|u| {
            let s = &model.servers[u.server];
            if let Some(name) = &q.upstream
                && u.target.as_ref().map(|t| t.host.as_str()) != Some(name.as_str())
            {
                return false;
            }
            if let Some(l) = &q.listen
                && !socket(s, l)
            {
                return false;
            }
            if q.server.is_some() && server != Some(u.server) {
                return false;
            }
            if u.module == Module::Stream {
                return q.upstream.is_some() || q.listen.is_some();
            }
            if q.upstream.is_some() {
                return true;
            }
            let chain = super::request::find_location(model.config, s.block.children(), &q.path);
            matches!((chain.last(), u.location), (Some(l), Some(ul)) if std::ptr::eq(*l, ul))
        })
        .collect()
}

/// The prediction for each selected pass.
pub fn predict_upstreams(
    model: &Model<'_>,
    files: &CertFiles,
    q: &UpstreamQuery,
    time: i64,
) -> Vec<UpstreamResult> {
    select(model, q)
        .into_iter()
        .map(|u| one(model, files, u, q, time))
        .collect()
}

fn one(
    model: &Model<'_>,
    files: &CertFiles,
    u: &Upstream<'_>,
    q: &UpstreamQuery,
    time: i64,
) -> UpstreamResult {
    let server = &model.servers[u.server];
    let name = u.ssl_name();
    let sni = u.sni();
    let directive = |s: &str| u.module.directive(s);
    let mut r = UpstreamResult {
        at: location_of(model, u.pass),
        server_name: server.display_name(),
        pass: u.describe(),
        tls: u.tls,
        sni,
        name_checked: if u.verifies() { name.clone() } else { None },
        verifies_backend: u.verifies(),
        backend_certificate: String::new(),
        verify_code: None,
        error_log: None,
        presents: None,
        backend_ssl_client_verify: None,
        backend_error_log: None,
        status: None,
        connection_closed: false,
        decided_by: String::new(),
        notes: Vec::new(),
        fixes: Vec::new(),
    };
    if let (Some(sni), crate::model::upstream::Module::Proxy) = (&r.sni, u.module) {
        // The Host nginx sends: proxy_set_header Host, else $proxy_host (the pass's
        // host); a backend chooses its server by the name without the port.
        let host = host_header(u).or_else(|| u.target.as_ref().map(|t| t.host.clone()));
        let bare = host
            .as_deref()
            .map(|h| h.split(':').next().unwrap_or(h).to_string());
        if bare
            .as_deref()
            .is_some_and(|h| !h.eq_ignore_ascii_case(sni))
        {
            r.notes.push(format!(
                "nginx sends SNI \"{sni}\" but the Host header {}: a backend nginx answers 421 Misdirected Request when that Host chooses another server than the SNI one and that server requires client certificates; add `proxy_set_header Host {sni};`",
                match host {
                    Some(h) => format!("is \"{h}\""),
                    None => "is set per request".to_string(),
                }
            ));
        }
    }
    for (other, differ) in u.session_sharers(&model.upstreams) {
        r.notes.push(format!(
            "the pass at {} reaches the same backend with other {} and both reuse TLS sessions: when a request here resumes its session, the backend sees that location's client certificate and nginx its verification result, whatever this prediction says ({} off avoids it)",
            location_of(model, other.pass),
            differ.join(", "),
            directive("session_reuse")
        ));
    }
    if !u.tls {
        r.backend_certificate = "not_verified".into();
        r.decided_by = format!(
            "{} connects without TLS: no certificate is sent or checked",
            u.describe()
        );
        return r;
    }
    // nginx's side: the backend's certificate.
    match (&q.peer_chain, u.verifies()) {
        (_, false) => {
            r.backend_certificate = "not_verified".into();
        }
        (None, true) => {
            r.backend_certificate = "not_given".into();
        }
        (Some(chain), true) => {
            let mut store = TrustStore::new();
            for c in files.upstream_store(model, u) {
                store.certificates.push(c.clone());
            }
            for c in files.upstream_crls(model, u) {
                store.crls.push(c.clone());
            }
            let result = verify_client(
                chain,
                &store,
                VerifyParams {
                    depth: u.verify_depth(),
                    time,
                    crl_check: u.ssl.crl.is_some_and(|c| !c.value().is_empty()),
                    openssl: model.openssl,
                    purpose: Purpose::SslServer,
                },
            );
            if let Some(e) = result.final_error() {
                let code = e.code as u32;
                r.backend_certificate = "refused".into();
                r.verify_code = Some(code);
                r.error_log = Some(format!(
                    "upstream SSL certificate verify error: ({code}:{}) while SSL handshaking to upstream",
                    result.text(e.code)
                ));
                refuse(&mut r, u);
                r.decided_by = format!(
                    "{} on: the backend's certificate {} fails verification ({code}:{})",
                    directive("verify"),
                    chain.leaf.info.subject,
                    result.text(e.code)
                );
                r.fixes = chain_fixes(u, e.code as u32, &chain.leaf);
                return r;
            }
            let checked = name.clone().unwrap_or_default();
            if name.is_none() {
                r.notes.push(format!(
                    "the name nginx checks is set per request ({} or the pass has variables): the name check is not predicted",
                    directive("name")
                ));
            }
            if name.is_some() && !check_host(&chain.leaf, &checked) {
                r.backend_certificate = "refused".into();
                r.error_log = Some(format!(
                    "upstream SSL certificate does not match \"{checked}\" while SSL handshaking to upstream"
                ));
                refuse(&mut r, u);
                r.decided_by = format!(
                    "the backend's certificate {} does not name \"{checked}\" ({})",
                    chain.leaf.info.subject,
                    if chain.leaf.info.subject_alt_names.is_empty() {
                        "no subjectAltName".to_string()
                    } else {
                        chain.leaf.info.subject_alt_names.join(", ")
                    }
                );
                let names: Vec<&str> = chain
                    .leaf
                    .info
                    .subject_alt_names
                    .iter()
                    .filter_map(|s| s.strip_prefix("DNS:"))
                    .collect();
                r.fixes.push(match names.first() {
                    Some(n) => format!(
                        "set `{} {n};` (a name in the backend's certificate){}",
                        directive("name"),
                        if u.sends_sni() {
                            String::new()
                        } else {
                            format!(" and `{} on;` if the backend picks its server by name", directive("server_name"))
                        }
                    ),
                    None => format!(
                        "re-issue the backend's certificate with subjectAltName DNS:{checked} (nginx checks DNS names only, even for an address)"
                    ),
                });
                return r;
            }
            r.backend_certificate = "accepted".into();
        }
    }
    // The backend's side: nginx's certificate.
    let presented = u
        .ssl
        .certificate
        .filter(|c| !c.value().contains('$'))
        .and_then(|c| files.bundle(model, Some(c)));
    r.presents = presented
        .and_then(|b| b.certificates.first())
        .map(|c| c.info.subject.clone());
    if let Some(ca) = &q.peer_ca {
        let mode = q.peer_mode.unwrap_or(VerifyMode::On);
        match presented.and_then(|b| {
            let mut certs = b.certificates.iter().cloned();
            certs.next().map(|leaf| ClientChain {
                leaf,
                intermediates: certs.collect(),
                private_keys: Vec::new(),
            })
        }) {
            None => {
                r.backend_ssl_client_verify = Some("NONE".into());
                if q.peer_aborts {
                    aborted(
                        &mut r,
                        u,
                        "nginx presents no client certificate and the backend requires one: it ends the handshake".into(),
                    );
                    r.fixes.push(format!(
                        "add `{} nginx-client.crt;` and `{} nginx-client.key;` with a certificate the backend's CA issued",
                        directive("certificate"),
                        directive("certificate_key")
                    ));
                } else if mode == VerifyMode::On {
                    r.backend_error_log = Some(
                        "client sent no required SSL certificate while reading client request headers".into(),
                    );
                    r.status = Some(400);
                    r.decided_by = format!(
                        "nginx presents no client certificate ({} is not set here) and the backend requires one: it answers 400 No required SSL certificate was sent",
                        directive("certificate")
                    );
                    r.fixes.push(format!(
                        "add `{} nginx-client.crt;` and `{} nginx-client.key;` with a certificate the backend's CA issued",
                        directive("certificate"),
                        directive("certificate_key")
                    ));
                }
            }
            Some(chain) => {
                let result = verify_client(
                    &chain,
                    ca,
                    VerifyParams {
                        depth: q.peer_depth,
                        time,
                        crl_check: !ca.crls.is_empty(),
                        openssl: model.openssl,
                        purpose: Purpose::SslClient,
                    },
                );
                match result.final_error() {
                    None => r.backend_ssl_client_verify = Some("SUCCESS".into()),
                    Some(e) => {
                        let code = e.code as u32;
                        r.backend_ssl_client_verify =
                            Some(format!("FAILED:{}", result.text(e.code)));
                        r.backend_error_log = Some(format!(
                            "client SSL certificate verify error: ({code}:{}) while reading client request headers",
                            result.text(e.code)
                        ));
                        let tolerated = mode == VerifyMode::OptionalNoCa
                            && super::predict::tolerated_by_optional_no_ca(code);
                        if q.peer_aborts {
                            aborted(
                                &mut r,
                                u,
                                format!(
                                    "the backend refuses nginx's certificate {} ({code}:{}) and ends the handshake",
                                    chain.leaf.info.subject,
                                    result.text(e.code)
                                ),
                            );
                            r.fixes.extend(presented_fixes(u, code));
                        } else if !tolerated {
                            r.status = Some(400);
                            r.decided_by = format!(
                                "the backend refuses nginx's certificate {} ({code}:{}) and answers 400 The SSL certificate error, which nginx passes on",
                                chain.leaf.info.subject,
                                result.text(e.code)
                            );
                            r.fixes.extend(presented_fixes(u, code));
                        }
                    }
                }
            }
        }
    }
    if r.decided_by.is_empty() {
        r.decided_by = match r.backend_certificate.as_str() {
            "accepted" => {
                "nginx accepts the backend's certificate; the request reaches the backend".into()
            }
            "not_verified" => format!(
                "{} is off: nginx accepts any certificate the backend presents",
                directive("verify")
            ),
            _ => "no backend certificate given (--peer-cert): the handshake is not judged".into(),
        };
    }
    r
}

/// The Host header nginx sends: `proxy_set_header Host` of the location (None: the
/// default `$proxy_host`, or a value with variables).
fn host_header(u: &Upstream<'_>) -> Option<String> {
    let loc = u.location?;
    let set = loc.children().iter().rev().find(|d| {
        d.is("proxy_set_header") && d.arg(0).is_some_and(|a| a.eq_ignore_ascii_case("host"))
    })?;
    let v = set.arg(1)?.into_owned();
    (!v.contains('$')).then_some(v)
}

/// nginx gives up on the backend: 502 for HTTP, a closed connection for stream.
fn refuse(r: &mut UpstreamResult, u: &Upstream<'_>) {
    if u.module == crate::model::upstream::Module::Stream {
        r.connection_closed = true;
    } else {
        r.status = Some(502);
    }
}

/// A backend that ends the handshake: nginx logs the handshake failure and gives up.
fn aborted(r: &mut UpstreamResult, u: &Upstream<'_>, why: String) {
    r.backend_ssl_client_verify = None;
    r.backend_error_log = None;
    r.error_log = Some(
        "SSL_do_handshake() failed (SSL: ... alert ...) while SSL handshaking to upstream".into(),
    );
    refuse(r, u);
    r.decided_by = why;
}

/// Fixes for a backend chain nginx refuses.
fn chain_fixes(u: &Upstream<'_>, code: u32, leaf: &Certificate) -> Vec<String> {
    let d = |s: &str| u.module.directive(s);
    match code {
        2 | 20 | 21 => vec![format!(
            "put the CA that issued the backend's certificate ({}) in `{}` (with its intermediates, or have the backend send them)",
            leaf.info.issuer,
            d("trusted_certificate")
        )],
        22 => vec![format!(
            "raise `{}` to the number of intermediate CAs of the backend's chain",
            d("verify_depth")
        )],
        3 => vec![format!(
            "add the CRL of every CA of the backend's chain to `{}` (the root's too)",
            d("crl")
        )],
        10 => vec!["renew the backend's certificate (it has expired)".into()],
        9 => vec!["the backend's certificate is not valid yet: check the clocks".into()],
        12 => vec![format!("replace the expired CRL in `{}`", d("crl"))],
        23 => vec!["the backend's certificate is revoked: re-issue it".into()],
        26 => vec!["re-issue the backend's certificate with extendedKeyUsage serverAuth".into()],
        18 | 19 => vec![format!(
            "trust the backend's self-signed certificate explicitly: put it in `{}`",
            d("trusted_certificate")
        )],
        _ => vec![format!(
            "check the backend's chain against `{}`",
            d("trusted_certificate")
        )],
    }
}

/// Fixes for nginx's certificate refused by the backend.
fn presented_fixes(u: &Upstream<'_>, code: u32) -> Vec<String> {
    let d = |s: &str| u.module.directive(s);
    match code {
        10 => vec![format!("renew the certificate in `{}` and reload nginx", d("certificate"))],
        9 => vec!["the certificate nginx presents is not valid yet: check the clocks".into()],
        20 | 21 | 2 => vec![format!(
            "send the intermediates: append them to the `{}` file (or issue nginx's certificate from the CA the backend trusts)",
            d("certificate")
        )],
        26 => vec![format!(
            "issue nginx a certificate with extendedKeyUsage clientAuth for `{}`",
            d("certificate")
        )],
        18 | 19 => vec!["issue nginx's certificate from the backend's CA (a self-signed certificate is not trusted)".into()],
        22 => vec!["raise the backend's ssl_verify_depth (nginx's chain has more intermediates)".into()],
        _ => vec![format!(
            "issue nginx's certificate (`{}`) from a CA in the backend's ssl_client_certificate",
            d("certificate")
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::host_matches;

    #[test]
    fn wildcards_match_one_label() {
        assert!(host_matches("*.example.com", "a.example.com"));
        assert!(!host_matches("*.example.com", "example.com"));
        assert!(!host_matches("*.example.com", "a.b.example.com"));
        assert!(host_matches("f*.example.com", "foo.example.com"));
        assert!(!host_matches("*.com", "example.com"));
        assert!(host_matches("backend", "backend"));
        assert!(!host_matches("a.*.com", "a.b.com"));
    }
}
