//! The prediction: which server nginx picks for a connection and a request, what
//! OpenSSL concludes about the client's chain with that server's trust material, and
//! what nginx then does (status, `$ssl_client_verify`, error.log line). Everything here
//! follows docs/nginx-behaviour.md (measured on nginx 1.22.1 / OpenSSL 3.0).

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::certs::load::{Certificate, ClientChain};
use crate::certs::verify::{
    ChainSource, TrustStore, VerifyErrorCode, VerifyParams, VerifyResult, verify_client,
};
use crate::config::{Config, Directive};
use crate::model::trust::CertFiles;
use crate::model::{Model, Protocol, Server, VerifyMode, socket_of};

use super::explain;

/// Trust files as labelled in messages: (resolved path, directive name).
pub type Labels = Vec<(PathBuf, &'static str)>;

/// What one verification used and concluded.
pub struct Verified {
    pub result: VerifyResult,
    pub store: TrustStore,
    pub labels: Labels,
    pub params: VerifyParams,
}

/// What the client does: which socket it connects to, the SNI it sends, the Host header.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `address:port` as in a `listen` directive; `None` = every mTLS socket.
    pub listen: Option<String>,
    pub sni: Option<String>,
    /// Defaults to the SNI.
    pub host: Option<String>,
    /// The client certificate is a PKCS#12 archive (fixes then rebuild the archive and
    /// use `curl --cert-type P12`).
    pub pkcs12: bool,
    /// The HTTP request after the handshake (`--path`, `--method`).
    pub http: super::request::HttpRequest,
    /// The client's key file as given (for the fixes' commands).
    pub key_file: Option<String>,
}

/// A server block, for output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerRef {
    pub server_name: String,
    pub file: String,
    pub line: usize,
    pub ssl_verify_client: String,
}

/// One certificate of the chain OpenSSL built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainEntry {
    pub depth: usize,
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    /// `client` or the directive whose file held it (`ssl_client_certificate`,
    /// `ssl_trusted_certificate`, `ssl_crl`).
    pub source: String,
    pub file: String,
    /// 1-based position among the certificates of that file.
    pub index: usize,
    /// Line of its BEGIN line (PEM).
    pub line: Option<usize>,
    pub not_before: String,
    pub not_after: String,
    pub ca: bool,
    /// extendedKeyUsage purposes (`None` = no extension: any purpose).
    pub extended_key_usage: Option<Vec<String>>,
}

/// One error OpenSSL raised (nginx reports only the last one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RaisedError {
    pub code: u32,
    pub error: String,
    pub depth: usize,
    pub subject: String,
}

/// The prediction for one server.
#[derive(Debug, Clone, Serialize)]
pub struct ServerResult {
    /// The socket (`127.0.0.1:443`, `*:443`).
    pub listen: String,
    /// The server that handles the request (chosen by Host).
    pub server_name: String,
    pub file: String,
    pub line: usize,
    pub sni: Option<String>,
    pub host: Option<String>,
    /// `ssl_verify_client` of the request's server.
    pub ssl_verify_client: String,
    /// The server whose settings ran the handshake (chosen by SNI).
    pub handshake_server: ServerRef,
    /// The handshake asked for a client certificate.
    pub certificate_requested: bool,
    /// `$ssl_client_verify`, exactly.
    pub ssl_client_verify: String,
    pub rejected: bool,
    /// The HTTP status the client sees (400 for 495/496 unless error_page changes it).
    pub status: u16,
    /// nginx's internal status when the request is rejected (421, 495, 496).
    pub nginx_status: Option<u16>,
    /// The `[info]` line nginx writes to error.log (without date and pid).
    pub error_log: Option<String>,
    pub chain: Vec<ChainEntry>,
    /// Every error OpenSSL raised, in order; the last one is reported.
    pub errors: Vec<RaisedError>,
    pub findings: Vec<String>,
    pub fixes: Vec<String>,
    /// `accepted`, `rejected` (the handshake: 495/496/421), `denied` (the request:
    /// a status of 400 or more from the configuration), `nginx_refuses` (the
    /// configuration does not load), `client_unusable` (the client cannot use its
    /// certificate or key).
    pub verdict: String,
    /// The directive that decided the status, with file:line (`None`: a backend
    /// decides, see `request.backend`).
    pub decided_by: Option<String>,
    /// What happens after the handshake (`None` when the handshake rejected it).
    pub request: Option<super::request::RequestOutcome>,
}

/// Why a prediction could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PredictError {
    #[error("no server listens on {0} in the configuration")]
    NoSuchListen(String),
    #[error("no server in the configuration requests client certificates (ssl_verify_client)")]
    NoMtlsServer,
    #[error("{path}: cannot be read, so nginx would not start: {message}")]
    TrustFile { path: String, message: String },
}

/// Lowercase, no port, no trailing dot.
pub fn normalise_host(h: &str) -> String {
    let h = h.trim().to_ascii_lowercase();
    let h = if let Some(rest) = h.strip_prefix('[') {
        rest.split(']').next().unwrap_or("").to_string()
    } else {
        match h.rsplit_once(':') {
            Some((a, p)) if p.bytes().all(|b| b.is_ascii_digit()) => a.to_string(),
            _ => h,
        }
    };
    h.trim_end_matches('.').to_string()
}

/// nginx's virtual server lookup among `servers`: exact name, then the longest leading
/// wildcard, then the longest trailing wildcard, then the first matching regex.
pub fn find_server(model: &Model<'_>, servers: &[usize], host: &str) -> Option<usize> {
    let host = normalise_host(host);
    if host.is_empty() {
        return None;
    }
    let names = |i: usize| {
        model.servers[i]
            .names
            .iter()
            .map(|n| n.to_ascii_lowercase())
    };
    for &i in servers {
        if names(i).any(|n| n == host) {
            return Some(i);
        }
    }
    let mut best: Option<(usize, usize)> = None;
    for &i in servers {
        for n in names(i) {
            let pattern = if let Some(s) = n.strip_prefix("*.") {
                Some((format!(".{s}"), false))
            } else {
                n.strip_prefix('.').map(|s| (format!(".{s}"), true))
            };
            if let Some((sfx, bare_too)) = pattern {
                let hit = host.ends_with(&sfx) || (bare_too && host == sfx[1..]);
                if hit && best.is_none_or(|(l, _)| sfx.len() > l) {
                    best = Some((sfx.len(), i));
                }
            }
        }
    }
    if let Some((_, i)) = best {
        return Some(i);
    }
    for &i in servers {
        for n in names(i) {
            if let Some(prefix) = n.strip_suffix(".*")
                && host.starts_with(&format!("{prefix}."))
            {
                return Some(i);
            }
        }
    }
    for &i in servers {
        for n in &model.servers[i].names {
            if let Some(re) = n.strip_prefix('~')
                && regex::Regex::new(re).is_ok_and(|r| r.is_match(&host))
            {
                return Some(i);
            }
        }
    }
    None
}

/// The first name a client could send as SNI/Host for a server (no wildcard, regex or
/// catch-all).
fn reachable_name(s: &Server<'_>) -> Option<String> {
    s.names
        .iter()
        .find(|n| {
            !n.is_empty()
                && *n != "_"
                && !n.contains('*')
                && !n.starts_with('~')
                && !n.starts_with('.')
        })
        .cloned()
}

fn server_ref(model: &Model<'_>, s: &Server<'_>) -> ServerRef {
    let (line, _) = model.config.sources.line_col(s.block.span);
    ServerRef {
        server_name: s.names.first().cloned().unwrap_or_default(),
        file: model
            .config
            .sources
            .path(s.block.span.file)
            .display()
            .to_string(),
        line,
        ssl_verify_client: s.verify_mode().as_str().to_owned(),
    }
}

/// The trust store nginx builds for a server, or the file that stops nginx.
pub fn trust_store(
    model: &Model<'_>,
    files: &CertFiles,
    server: &Server<'_>,
) -> Result<(TrustStore, Labels), PredictError> {
    let mut store = TrustStore::new();
    let mut labels = Vec::new();
    let entries = [
        (server.ssl.client_certificate, "ssl_client_certificate"),
        (server.ssl.trusted_certificate, "ssl_trusted_certificate"),
        (server.ssl.crl, "ssl_crl"),
    ];
    for (setting, label) in entries {
        let Some(setting) = setting else { continue };
        if label == "ssl_client_certificate" && !server.mtls() {
            continue;
        }
        let path = model.path(&setting);
        match files.get(&path) {
            Some(Ok(b)) => {
                store.add_bundle(b);
                labels.push((path, label));
            }
            Some(Err(e)) => {
                return Err(PredictError::TrustFile {
                    path: path.display().to_string(),
                    message: e.to_string(),
                });
            }
            None => {
                return Err(PredictError::TrustFile {
                    path: path.display().to_string(),
                    message: "not read".into(),
                });
            }
        }
    }
    Ok((store, labels))
}

/// Runs OpenSSL's verification as the handshake server sets it up.
pub fn verify_with_server(
    model: &Model<'_>,
    files: &CertFiles,
    server: &Server<'_>,
    chain: &ClientChain,
    time: i64,
) -> Result<Verified, PredictError> {
    let (store, labels) = trust_store(model, files, server)?;
    let params = VerifyParams {
        depth: server.verify_depth(),
        time,
        crl_check: server.ssl.crl.is_some(),
        openssl: model.openssl,
        purpose: crate::certs::verify::Purpose::SslClient,
    };
    let result = verify_client(chain, &store, params);
    Ok(Verified {
        result,
        store,
        labels,
        params,
    })
}

fn chain_entries(
    result: &VerifyResult,
    chain: &ClientChain,
    store: &TrustStore,
    labels: &[(PathBuf, &'static str)],
) -> Vec<ChainEntry> {
    result
        .chain
        .iter()
        .enumerate()
        .filter_map(|(depth, link)| {
            let (cert, source): (&Certificate, String) = match link.source {
                ChainSource::Leaf => (&chain.leaf, "client".into()),
                ChainSource::Untrusted(i) => (chain.intermediates.get(i)?, "client".into()),
                ChainSource::Trusted(i) => {
                    let c = store.certificates.get(i)?;
                    let label = labels
                        .iter()
                        .find(|(p, _)| *p == c.origin.path)
                        .map(|(_, l)| (*l).to_string())
                        .unwrap_or_else(|| "trust store".into());
                    (c, label)
                }
            };
            Some(ChainEntry {
                depth,
                subject: cert.info.subject.clone(),
                issuer: cert.info.issuer.clone(),
                serial: cert.info.serial.clone(),
                source,
                file: cert.origin.path.display().to_string(),
                index: cert.origin.index,
                line: cert.origin.line,
                not_before: cert.info.not_before_rfc3339.clone(),
                not_after: cert.info.not_after_rfc3339.clone(),
                ca: cert.info.basic_constraints.is_some_and(|b| b.ca),
                extended_key_usage: cert
                    .info
                    .extended_key_usage
                    .as_ref()
                    .map(|e| e.names.clone()),
            })
        })
        .collect()
}

/// `error_page` directives in effect at the server level (its own, else http's).
fn error_pages<'a>(config: &'a Config, server: &Server<'a>) -> Vec<&'a Directive> {
    let mut own = Vec::new();
    let mut http = Vec::new();
    config.walk(&mut |v| {
        if !v.directive.is("error_page") {
            return;
        }
        if v.parents
            .last()
            .is_some_and(|p| std::ptr::eq(*p, server.block))
        {
            own.push(v.directive);
        } else if v.context_names() == ["http"] {
            http.push(v.directive);
        }
    });
    if own.is_empty() { http } else { own }
}

/// The `return CODE` of the location an error page points to, when it is a simple one.
fn target_return(config: &Config, server: &Server<'_>, target: &str) -> Option<u16> {
    let mut found = None;
    config.walk(&mut |v| {
        if found.is_some() || !v.directive.is("location") {
            return;
        }
        if !v.parents.iter().any(|p| std::ptr::eq(*p, server.block)) {
            return;
        }
        let args: Vec<String> = v
            .directive
            .args
            .iter()
            .map(|a| a.as_str().into_owned())
            .collect();
        let hit = match args.as_slice() {
            [name] => name == target,
            [m, name] if m == "=" => name == target,
            _ => false,
        };
        if hit {
            found = v
                .directive
                .children()
                .iter()
                .find(|d| d.is("return"))
                .and_then(|d| d.arg(0))
                .and_then(|a| a.parse::<u16>().ok());
        }
    });
    found
}

/// The status the client sees for nginx's 495/496 (facts §3).
fn client_status(config: &Config, server: &Server<'_>, code: u16) -> (u16, Option<String>) {
    for d in error_pages(config, server) {
        let args: Vec<String> = d.args.iter().map(|a| a.as_str().into_owned()).collect();
        if !args.iter().any(|a| a == &code.to_string()) {
            continue;
        }
        let Some(target) = args.last() else { continue };
        let overwrite = args.iter().find(|a| a.starts_with('='));
        let (line, _) = config.sources.line_col(d.span);
        let at = format!(
            "error_page at {}:{line}",
            config.sources.path(d.span.file).display()
        );
        if target.starts_with("http://") || target.starts_with("https://") {
            return (302, Some(format!("{at} redirects to {target} (302)")));
        }
        return match overwrite.map(|o| o.trim_start_matches('=')) {
            None => (
                400,
                Some(format!("{at} serves {target} but keeps the status 400")),
            ),
            Some("") => {
                let s = target_return(config, server, target).unwrap_or(200);
                (
                    s,
                    Some(format!("{at} serves {target} with its own status ({s})")),
                )
            }
            Some(c) => {
                let s = c.parse().unwrap_or(400);
                (s, Some(format!("{at} answers {s} with {target}")))
            }
        };
    }
    (400, None)
}

/// nginx's `ngx_ssl_verify_error_optional()`: what `optional_no_ca` tolerates.
pub fn tolerated_by_optional_no_ca(code: u32) -> bool {
    matches!(code, 18 | 19 | 20 | 21 | 27)
}

fn log_tail(server_name: &str, host: &str) -> String {
    format!(
        " while reading client request headers, client: 127.0.0.1, server: {server_name}, request: \"GET / HTTP/1.1\", host: \"{host}\""
    )
}

/// The sockets a request can reach, with their servers and default server.
fn sockets(
    model: &Model<'_>,
    listen: Option<&str>,
) -> Result<Vec<(String, Vec<usize>, usize)>, PredictError> {
    let all = model.sockets();
    let http: Vec<(String, Vec<usize>, usize)> = all
        .into_iter()
        .filter(|((p, _), _)| *p == Protocol::Http)
        .map(|((_, s), (v, d))| (s, v, d))
        .collect();
    if let Some(l) = listen {
        let key = socket_of(l, Protocol::Http);
        let port = key
            .rsplit_once(':')
            .map(|(_, p)| p.to_string())
            .unwrap_or_default();
        let wildcard = format!("*:{port}");
        let hit = http
            .iter()
            .find(|(s, _, _)| *s == key)
            .or_else(|| http.iter().find(|(s, _, _)| *s == wildcard))
            .cloned();
        return hit
            .map(|h| vec![h])
            .ok_or_else(|| PredictError::NoSuchListen(l.to_string()));
    }
    let mtls: Vec<_> = http
        .into_iter()
        .filter(|(sock, servers, _)| {
            servers.iter().any(|&i| {
                let s = &model.servers[i];
                s.mtls() && s.listens.iter().any(|l| l.socket == *sock && l.ssl)
            })
        })
        .collect();
    if mtls.is_empty() {
        return Err(PredictError::NoMtlsServer);
    }
    Ok(mtls)
}

/// Predicts nginx's answer for a client certificate (`None` = the client sends none).
pub fn predict(
    model: &Model<'_>,
    files: &CertFiles,
    client: Option<&ClientChain>,
    request: &Request,
    time: i64,
) -> Result<Vec<ServerResult>, PredictError> {
    let mut out = Vec::new();
    for (socket, servers, default) in sockets(model, request.listen.as_deref())? {
        // (SNI, Host) pairs to try.
        let pairs: Vec<(Option<String>, Option<String>)> =
            if request.sni.is_some() || request.host.is_some() {
                let host = request.host.clone().or_else(|| request.sni.clone());
                vec![(request.sni.clone(), host)]
            } else {
                // No SNI (the default server), then every other mTLS server reached by
                // its own name, as a browser or curl would reach it.
                let mut v = vec![(None, None)];
                for &i in &servers {
                    let s = &model.servers[i];
                    if i == default || !s.mtls() {
                        continue;
                    }
                    if let Some(n) = reachable_name(s)
                        && find_server(model, &servers, &n) == Some(i)
                    {
                        v.push((Some(n.clone()), Some(n)));
                    }
                }
                v
            };
        for (sni, host) in pairs {
            out.push(one(
                model,
                files,
                client,
                &socket,
                &servers,
                default,
                sni,
                host,
                time,
                request.pkcs12,
                &request.http,
                request.key_file.as_deref(),
            )?);
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn one(
    model: &Model<'_>,
    files: &CertFiles,
    client: Option<&ClientChain>,
    socket: &str,
    servers: &[usize],
    default: usize,
    sni: Option<String>,
    host: Option<String>,
    time: i64,
    pkcs12: bool,
    http: &super::request::HttpRequest,
    key_file: Option<&str>,
) -> Result<ServerResult, PredictError> {
    let sni_server = sni.as_deref().and_then(|n| find_server(model, servers, n));
    let hs_idx = sni_server.unwrap_or(default);
    let req_idx = host
        .as_deref()
        .and_then(|h| find_server(model, servers, h))
        .unwrap_or(default);
    let hs = &model.servers[hs_idx];
    let rq = &model.servers[req_idx];
    let requested = hs.mtls();
    let mut findings = Vec::new();
    let mut fixes = Vec::new();
    let mut chain = Vec::new();
    let mut errors = Vec::new();
    let mut verify_value = "NONE".to_string();
    let mut final_code: Option<VerifyErrorCode> = None;
    let sent = if requested { client } else { None };
    let host_name = host
        .clone()
        .or_else(|| sni.clone())
        .unwrap_or_else(|| socket.replace("*", "127.0.0.1"));

    let curl_files = match (client, key_file) {
        (Some(c), _) if pkcs12 => format!(
            "--cert-type P12 --cert \"{}:$P12_PASSWORD\"",
            c.leaf.origin.path.display()
        ),
        (Some(c), Some(k)) => format!("--cert {} --key {k}", c.leaf.origin.path.display()),
        (Some(c), None) => format!("--cert {}", c.leaf.origin.path.display()),
        (None, _) => "--cert CERT --key KEY".to_string(),
    };
    if let Some(c) = sent {
        let Verified {
            result,
            store,
            labels,
            params,
        } = verify_with_server(model, files, hs, c, time)?;
        chain = chain_entries(&result, c, &store, &labels);
        errors = result
            .errors
            .iter()
            .map(|e| RaisedError {
                code: e.code.code(),
                error: e.code.text(model.openssl).to_owned(),
                depth: e.depth,
                subject: e.subject.clone(),
            })
            .collect();
        verify_value = result.nginx_verify_value();
        final_code = result.final_error().map(|e| e.code);
        explain::chain(
            &mut findings,
            &mut fixes,
            &explain::Input {
                model,
                server: hs,
                client: c,
                result: &result,
                store: &store,
                labels: &labels,
                params,
                host: Some(host_name.as_str()),
                pkcs12,
                key_file: key_file.map(str::to_owned),
            },
        );
    } else if client.is_some() && !requested {
        findings.push(format!(
            "the handshake runs with the settings of server {} ({}), which has ssl_verify_client off: nginx does not ask for a client certificate, so the client sends none",
            hs.display_name(),
            model.config.sources.location(hs.block.span)
        ));
    }
    let mode = rq.verify_mode();
    let server_name = rq.names.first().cloned().unwrap_or_default();
    // 421: a known SNI, a different Host, and a verifying request server.
    let misdirected = sni_server.is_some()
        && mode != VerifyMode::Off
        && normalise_host(sni.as_deref().unwrap_or(""))
            != normalise_host(host.as_deref().unwrap_or(""));
    if hs_idx != req_idx && !misdirected {
        findings.push(format!(
            "the handshake ran with the settings of server {} ({}, ssl_verify_client {}: {}), chosen by {}; the request goes to server {} (chosen by Host), whose ssl_verify_client {} decides whether it is rejected",
            hs.display_name(),
            model.config.sources.location(hs.block.span),
            hs.verify_mode().as_str(),
            if requested { "a certificate was requested and verified with its CA files" } else { "no certificate was requested" },
            if sni_server.is_some() { "SNI" } else { "being the default server (no SNI, or an SNI no server_name matches)" },
            rq.display_name(),
            mode.as_str()
        ));
    }
    let (nginx_status, error_log) = if misdirected {
        let sni_name = hs.names.first().cloned().unwrap_or_default();
        findings.push(format!(
            "the SNI {} selected server {} for the handshake but the Host {} selects server {}, which verifies client certificates: nginx answers 421 Misdirected Request",
            sni.as_deref().unwrap_or(""),
            hs.display_name(),
            host.as_deref().unwrap_or(""),
            rq.display_name()
        ));
        fixes.push(format!(
            "send the same name as SNI and Host: curl -v {curl_files} https://{}/",
            host.as_deref().unwrap_or("")
        ));
        (
            Some(421),
            Some(format!(
                "client attempted to request the server name different from the one that was negotiated{}",
                log_tail(&sni_name, &host_name)
            )),
        )
    } else if mode == VerifyMode::Off {
        (None, None)
    } else if let Some(code) = final_code
        .filter(|c| mode != VerifyMode::OptionalNoCa || !tolerated_by_optional_no_ca(c.code()))
    {
        (
            Some(495),
            Some(format!(
                "client SSL certificate verify error: ({}:{}){}",
                code.code(),
                code.text(model.openssl),
                log_tail(&server_name, &host_name)
            )),
        )
    } else if mode == VerifyMode::On && sent.is_none() {
        if client.is_some() && !requested {
            fixes.push(format!(
                "make the handshake ask for the certificate: send SNI {0} (curl -v {2} https://{0}/), or set `ssl_verify_client optional;` in the default server {1}",
                rq.names.first().cloned().unwrap_or_default(),
                hs.display_name(),
                curl_files
            ));
        } else {
            findings.push("the client sent no certificate and ssl_verify_client is on".into());
            fixes.push(format!(
                "send a client certificate issued by {}: curl -v {curl_files} https://{host_name}{}",
                issuers_of(model, files, hs),
                http.path
            ));
        }
        (
            Some(496),
            Some(format!(
                "client sent no required SSL certificate{}",
                log_tail(&server_name, &host_name)
            )),
        )
    } else {
        (None, None)
    };
    if final_code.is_some() && nginx_status.is_none() && mode != VerifyMode::Off {
        findings.push(format!(
            "ssl_verify_client {} lets this request through although verification failed ({verify_value}): the application must check $ssl_client_verify",
            mode.as_str()
        ));
    }
    let decided_by;
    let mut outcome = None;
    let status = match nginx_status {
        Some(421) => {
            decided_by = Some("nginx's SNI/Host check (ngx_http_ssl_servername)".to_string());
            421
        }
        Some(code) => {
            let by = rq
                .ssl
                .verify_client
                .as_ref()
                .map(|v| {
                    format!(
                        "`ssl_verify_client {}` at {}",
                        v.value(),
                        model.config.sources.location(v.span())
                    )
                })
                .unwrap_or_else(|| "ssl_verify_client".into());
            let (s, note) = client_status(model.config, rq, code);
            decided_by = Some(match &note {
                Some(n) => format!("{by}, then {n}"),
                None => by,
            });
            if let Some(n) = note {
                findings.push(n);
            }
            s
        }
        None => {
            let vars = super::request::ClientVars::of(sent, verify_value.clone());
            let o = super::request::evaluate(model, rq, http, &vars, &host_name);
            decided_by = o.decided_by.clone();
            for u in &o.unmodelled {
                findings.push(format!("not modelled: {u}"));
            }
            if let Some(b) = &o.backend {
                findings.push(b.clone());
            }
            let s = o.status.unwrap_or(200);
            if s >= 400 {
                findings.push(format!(
                    "the handshake lets the client through, but {} answers {s} to {} {}",
                    o.decided_by.as_deref().unwrap_or("the configuration"),
                    http.method,
                    http.path
                ));
                let issuers = issuers_of(model, files, hs);
                explain::request_fixes(
                    &mut fixes,
                    &o,
                    &vars,
                    sent.is_some(),
                    &format!("curl -v {curl_files} https://{host_name}{}", http.path),
                    &issuers,
                );
            }
            outcome = Some(o);
            s
        }
    };
    let verdict = if nginx_status.is_some() {
        "rejected"
    } else if status >= 400 {
        "denied"
    } else {
        "accepted"
    }
    .to_string();
    let (line, _) = model.config.sources.line_col(rq.block.span);
    Ok(ServerResult {
        listen: socket.to_string(),
        server_name,
        file: model
            .config
            .sources
            .path(rq.block.span.file)
            .display()
            .to_string(),
        line,
        sni,
        host,
        ssl_verify_client: mode.as_str().to_owned(),
        handshake_server: server_ref(model, hs),
        certificate_requested: requested,
        ssl_client_verify: verify_value,
        rejected: nginx_status.is_some(),
        status,
        nginx_status,
        error_log,
        chain,
        errors,
        findings,
        fixes,
        verdict,
        decided_by,
        request: outcome,
    })
}

/// The path of a file relative to nothing: for messages.
pub fn show(p: &Path) -> String {
    p.display().to_string()
}

/// The first fix `verify` would print for a client certificate on a server reached by
/// Who issues a certificate `server` verifies: the subjects of its CA files.
fn issuers_of(model: &Model<'_>, files: &CertFiles, server: &Server<'_>) -> String {
    let names: Vec<String> = [
        server.ssl.client_certificate,
        server.ssl.trusted_certificate,
    ]
    .into_iter()
    .flatten()
    .filter_map(|s| match files.get(&model.path(&s)) {
        Some(Ok(b)) => Some(b),
        _ => None,
    })
    .flat_map(|b| b.certificates.iter().map(|c| c.info.subject.clone()))
    .collect();
    if names.is_empty() {
        "a CA in the server's CA file".into()
    } else {
        format!("a CA the server trusts ({})", names.join("; "))
    }
}

/// its own name (for lint findings).
pub fn first_fix(
    model: &Model<'_>,
    files: &CertFiles,
    server: &Server<'_>,
    client: &super::client::ClientCert,
    time: i64,
) -> Option<String> {
    let v = verify_with_server(model, files, server, &client.chain, time).ok()?;
    let name = reachable_name(server);
    let mut findings = Vec::new();
    let mut fixes = Vec::new();
    explain::chain(
        &mut findings,
        &mut fixes,
        &explain::Input {
            model,
            server,
            client: &client.chain,
            result: &v.result,
            store: &v.store,
            labels: &v.labels,
            params: v.params,
            host: name.as_deref(),
            pkcs12: client.format == super::client::CertFormat::Pkcs12,
            key_file: client.key_path.as_ref().map(|p| p.display().to_string()),
        },
    );
    fixes.into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Input, LoadOptions, load};

    #[test]
    fn hosts_are_normalised() {
        assert_eq!(normalise_host("API.Example.com.:443"), "api.example.com");
        assert_eq!(normalise_host("[::1]:8443"), "::1");
        assert_eq!(normalise_host("a.test"), "a.test");
    }

    #[test]
    fn virtual_server_lookup_follows_nginx_precedence() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("nginx.conf");
        std::fs::write(
            &p,
            "http {\n server { listen 443 ssl; server_name _; }\n server { listen 443 ssl; server_name ~^api\\d+\\.example\\.com$; }\n server { listen 443 ssl; server_name *.example.com; }\n server { listen 443 ssl; server_name .api.example.com; }\n server { listen 443 ssl; server_name www.*; }\n server { listen 443 ssl; server_name exact.example.com; }\n}\n",
        )
        .unwrap();
        let c = load(&Input::File(p), &LoadOptions::default());
        let m = Model::build(&c);
        let all: Vec<usize> = (0..m.servers.len()).collect();
        let f = |h: &str| find_server(&m, &all, h);
        assert_eq!(f("exact.example.com"), Some(5));
        assert_eq!(f("x.api.example.com"), Some(3), "longest leading wildcard");
        assert_eq!(
            f("api.example.com"),
            Some(3),
            ".name also matches the bare name"
        );
        assert_eq!(f("foo.example.com"), Some(2));
        assert_eq!(f("www.example.org"), Some(4));
        assert_eq!(f("api7.example.com"), Some(2), "wildcards beat regexes");
        assert_eq!(f("api7.example.net"), None);
        assert_eq!(f(""), None);
    }

    #[test]
    fn optional_no_ca_tolerates_exactly_nginx_list() {
        let tolerated: Vec<u32> = (0..100)
            .filter(|c| tolerated_by_optional_no_ca(*c))
            .collect();
        assert_eq!(tolerated, [18, 19, 20, 21, 27]);
    }
}
