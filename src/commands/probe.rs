//! `nginx-mtls-lint probe`: the running server, and how it differs from the files.

use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use serde::Serialize;

use crate::certs::build::pkcs8_of_key_file;
use crate::certs::load::load_bundle;
use crate::cli::{InputArgs, ProbeArgs};
use crate::error::{Error, exit};
use crate::model::Model;
use crate::model::trust::CertFiles;
use crate::probe::drift::{ConfigServer, Drift, compare};
use crate::probe::{Answer, ClientMaterial, Handshake, Target, connect, verdict};
use crate::util::time::now;

#[derive(Debug, Serialize)]
struct Report {
    schema_version: u32,
    target: String,
    connect: String,
    sni: Option<String>,
    host: String,
    path: String,
    handshakes: Vec<Handshake>,
    without_certificate: Option<Answer>,
    with_certificate: Option<Answer>,
    /// `required`, `optional`, `not requested`, `misdirected`, `unknown`.
    verdict: String,
    /// With --cert: whether a browser would offer it (its issuers among the CA names,
    /// or no names at all).
    browser_offers: Option<bool>,
    config_server: Option<ConfigServer>,
    drift: Vec<Drift>,
    problems: Vec<String>,
}

fn usage(what: &str, message: impl Into<String>) -> Error {
    Error::Input {
        path: what.into(),
        message: message.into(),
    }
}

/// `nginx-mtls-lint probe`: one target, or every line of `--targets` with at most
/// `--jobs` probes at a time.
pub fn run(args: &ProbeArgs) -> Result<u8, Error> {
    if let Some(conf) = &args.as_upstream_of {
        return as_upstream(args, conf);
    }
    let Some(file) = &args.targets else {
        let report = probe_one(args, args.target.as_deref().unwrap_or_default())?;
        let text = super::io::render_doc(args.format, &report, human)?;
        std::io::stdout()
            .lock()
            .write_all(crate::report::printable(&text).as_bytes())?;
        return Ok(code(&report));
    };
    // One target a line: `HOST[:PORT] [connect=ADDR:PORT] [sni=NAME] [host=NAME]
    // [path=/uri]`; `#` starts a comment.
    let text = std::fs::File::open(file)
        .and_then(|f| crate::util::read::read_at_most(f, 1 << 20))
        .map_err(|e| Error::Input {
            path: file.display().to_string(),
            message: format!("cannot read {}", crate::util::read::os_error(&e)),
        })?
        .ok_or_else(|| Error::Input {
            path: file.display().to_string(),
            message: "larger than 1 MiB".into(),
        })?;
    let text = String::from_utf8_lossy(&text).into_owned();
    let mut lines: Vec<(usize, ProbeArgs, String)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        let mut words = line.split_whitespace();
        let Some(target) = words.next() else { continue };
        let mut a = args.clone();
        a.targets = None;
        for w in words {
            match w.split_once('=') {
                Some(("connect", v)) => a.connect = Some(v.into()),
                Some(("sni", v)) => a.sni = Some(v.into()),
                Some(("host", v)) => a.host = Some(v.into()),
                Some(("path", v)) => a.path = v.into(),
                _ => {
                    return Err(Error::Input {
                        path: format!("{}:{}", file.display(), i + 1),
                        message: format!("{w:?}: expected connect=, sni=, host= or path="),
                    });
                }
            }
        }
        lines.push((i + 1, a, target.to_string()));
    }
    if lines.len() > 10_000 {
        return Err(Error::Input {
            path: file.display().to_string(),
            message: "more than 10000 targets".into(),
        });
    }
    let jobs = args.jobs.clamp(1, 32);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: std::sync::Mutex<Vec<(usize, Result<Report, String>)>> = Default::default();
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(lines.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((_, a, target)) = lines.get(i) else {
                        break;
                    };
                    let r = probe_one(a, target).map_err(|e| e.to_string());
                    results
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((i, r));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _)| *i);
    let mut worst = exit::CLEAN;
    let mut json = Vec::new();
    let mut human_text = String::new();
    for (i, r) in &results {
        let (line, _, target) = &lines[*i];
        match r {
            Ok(report) => {
                worst = worst.max(code(report));
                json.push(serde_json::to_value(report).map_err(std::io::Error::other)?);
                human_text.push_str(&human(report));
            }
            Err(e) => {
                worst = worst.max(exit::ERROR);
                json.push(serde_json::json!({"target": target, "line": line, "error": e}));
                human_text.push_str(&format!("{target} (line {line}): {e}\n"));
            }
        }
        human_text.push('\n');
    }
    let doc = serde_json::json!({"schema_version": 1, "targets": json});
    let text = super::io::render_doc(args.format, &doc, |_| human_text)?;
    std::io::stdout()
        .lock()
        .write_all(crate::report::printable(&text).as_bytes())?;
    Ok(worst)
}

/// What `--as-upstream-of` found.
#[derive(Debug, Serialize)]
struct UpstreamProbe {
    schema_version: u32,
    pass: String,
    at: String,
    connect: String,
    sni: Option<String>,
    handshake: Handshake,
    /// The backend's answer to a request with nginx's client certificate.
    backend_answer: Option<Answer>,
    /// What nginx does with the backend's chain (the `verify --upstream` prediction on
    /// the chain the backend presented).
    nginx: crate::verify::upstream::UpstreamResult,
}

/// `probe --as-upstream-of nginx.conf --server NAME --path /uri`.
fn as_upstream(args: &ProbeArgs, conf: &std::path::Path) -> Result<u8, Error> {
    use crate::verify::upstream::{UpstreamQuery, predict_upstreams, select};
    let time = now();
    let input = InputArgs {
        path: Some(conf.to_path_buf()),
        prefix: None,
    };
    let config = super::io::load_input(&input, false)?;
    let model = Model::build(&config);
    let files = CertFiles::read(&model);
    let mut query = UpstreamQuery {
        server: args.server.clone(),
        path: args.path.clone(),
        peer_depth: 1,
        ..UpstreamQuery::default()
    };
    let selected = select(&model, &query);
    let Some(u) = selected.first() else {
        return Err(usage(
            &conf.display().to_string(),
            format!(
                "no proxy_pass, grpc_pass or uwsgi_pass in the location of {}",
                args.path
            ),
        ));
    };
    if !u.tls {
        return Err(usage(
            &conf.display().to_string(),
            format!("{} connects without TLS", u.describe()),
        ));
    }
    // The backend's address: the pass's, or the first server of its group.
    let t = u
        .target
        .clone()
        .ok_or_else(|| usage(&conf.display().to_string(), "the pass has variables"))?;
    let addr_text = if t.group {
        model
            .upstream_groups
            .iter()
            .find(|((_, n), _)| n.eq_ignore_ascii_case(&t.host))
            .and_then(|(_, g)| {
                config
                    .expanded(g.children())
                    .into_iter()
                    .find(|d| d.is("server"))
            })
            .and_then(|d| d.arg(0).map(|a| a.into_owned()))
            .ok_or_else(|| usage(&t.host, "the upstream group has no server"))?
    } else {
        format!("{}:{}", t.host, t.port.unwrap_or(443))
    };
    let addr: SocketAddr = addr_text
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| usage(&addr_text, "cannot resolve the backend"))?;
    let name = u.ssl_name();
    let is_address = name.as_deref().is_some_and(|n| {
        n.trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok()
    });
    let sni = (u.sends_sni() && !is_address)
        .then(|| name.clone())
        .flatten();
    let client = match (u.ssl.certificate, u.ssl.certificate_key) {
        (Some(c), Some(k)) if !c.value().contains('$') => {
            let b = load_bundle(&model.path(&c)).map_err(|e| usage(&c.value(), e.reason()))?;
            let key = pkcs8_of_key_file(&model.path(&k)).map_err(|e| usage(&k.value(), e))?;
            Some(ClientMaterial {
                chain: b.certificates.iter().map(|c| c.der.clone()).collect(),
                key,
            })
        }
        _ => None,
    };
    let target = Target {
        addr,
        sni: sni.clone(),
        host: name.clone().unwrap_or_else(|| t.host.clone()),
        path: args.path.clone(),
        timeout: Duration::from_secs_f64(args.timeout.clamp(0.1, 120.0)),
    };
    // TLS 1.3 first; TLS 1.2 when it fails (the first failure is the one reported).
    let (mut hs, mut answer) = connect(
        &target,
        &rustls::version::TLS13,
        client.as_ref(),
        true,
        time,
    );
    if hs.error.is_some() {
        let (hs12, answer12) = connect(
            &target,
            &rustls::version::TLS12,
            client.as_ref(),
            true,
            time,
        );
        if hs12.error.is_none() {
            (hs, answer) = (hs12, answer12);
        }
    }
    if let Some(e) = &hs.error {
        return Err(usage(&addr.to_string(), e.clone()));
    }
    // nginx's verdict on the chain the backend presented.
    let chain: Vec<crate::certs::load::Certificate> = hs
        .server_chain_der
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            let origin = crate::certs::load::Origin {
                path: std::path::PathBuf::from(format!("backend {addr}")),
                index: i + 1,
                line: None,
            };
            crate::certs::load::Certificate::from_der(d.clone(), origin).ok()
        })
        .collect();
    if let Some((leaf, rest)) = chain.split_first() {
        query.peer_chain = Some(crate::certs::load::ClientChain {
            leaf: leaf.clone(),
            intermediates: rest.to_vec(),
            private_keys: Vec::new(),
        });
    }
    let selected_at = model.config.sources.location(u.pass.span);
    let nginx = predict_upstreams(&model, &files, &query, time)
        .into_iter()
        .find(|r| r.at == selected_at)
        .ok_or_else(|| usage(&conf.display().to_string(), "the pass was not predicted"))?;
    let report = UpstreamProbe {
        schema_version: 1,
        pass: u.describe(),
        at: selected_at,
        connect: addr.to_string(),
        sni,
        handshake: hs,
        backend_answer: answer,
        nginx,
    };
    let refused = report.nginx.status.is_some() || report.nginx.connection_closed;
    let backend_refuses = report
        .backend_answer
        .as_ref()
        .is_some_and(|a| a.nginx_page.is_some() || a.status.is_none_or(|s| s >= 400));
    let text = super::io::render_doc(args.format, &report, |report| {
        let mut s = format!(
            "{} ({}) -> backend {} (SNI {})\n",
            report.pass,
            report.at,
            report.connect,
            report.sni.as_deref().unwrap_or("none")
        );
        for c in &report.handshake.server_chain {
            s.push_str(&format!(
                "  backend certificate: {} (issuer {}, expires {})\n",
                c.subject, c.issuer, c.not_after
            ));
        }
        s.push_str(&format!("  nginx: {}\n", report.nginx.decided_by));
        if let Some(l) = &report.nginx.error_log {
            s.push_str(&format!("  nginx will log [error]: {l}\n"));
        }
        if let Some(a) = &report.backend_answer {
            s.push_str(&format!(
                "  the backend answers nginx's certificate with {}{}\n",
                a.status
                    .map_or("no answer".to_string(), |st| st.to_string()),
                a.nginx_page
                    .as_ref()
                    .map(|p| format!(" ({p})"))
                    .unwrap_or_default()
            ));
        }
        for f in &report.nginx.fixes {
            s.push_str(&format!("  fix: {f}\n"));
        }
        s
    })?;
    std::io::stdout()
        .lock()
        .write_all(crate::report::printable(&text).as_bytes())?;
    Ok(if refused || backend_refuses {
        exit::FINDINGS
    } else {
        exit::CLEAN
    })
}

fn code(report: &Report) -> u8 {
    if report.drift.is_empty() && report.problems.is_empty() {
        exit::CLEAN
    } else {
        exit::FINDINGS
    }
}

/// One target.
fn probe_one(args: &ProbeArgs, target_arg: &str) -> Result<Report, Error> {
    let time = now();
    let (host, port) = match target_arg.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') || h.ends_with(']') => (
            h.trim_matches(['[', ']']).to_string(),
            p.parse::<u16>()
                .map_err(|_| usage(target_arg, "not HOST[:PORT]"))?,
        ),
        _ => (target_arg.trim_matches(['[', ']']).to_string(), 443),
    };
    let is_address = host.parse::<std::net::IpAddr>().is_ok();
    let addr: SocketAddr = match &args.connect {
        Some(c) => c
            .parse()
            .map_err(|_| usage("--connect", format!("{c:?} is not ADDR:PORT")))?,
        None => (host.as_str(), port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| usage(target_arg, "cannot resolve the host"))?,
    };
    let sni = if args.no_sni {
        None
    } else {
        args.sni
            .clone()
            .or_else(|| (!is_address).then(|| host.clone()))
    };
    let http_host = args
        .host
        .clone()
        .or_else(|| sni.clone())
        .unwrap_or_else(|| host.clone());
    if !(0.1..=120.0).contains(&args.timeout) {
        return Err(usage("--timeout", "between 0.1 and 120 seconds"));
    }
    let target = Target {
        addr,
        sni: sni.clone(),
        host: http_host.clone(),
        path: args.path.clone(),
        timeout: Duration::from_secs_f64(args.timeout),
    };
    let client = match (&args.cert, &args.key) {
        (Some(c), Some(k)) => {
            let b = load_bundle(c).map_err(|e| usage(&c.display().to_string(), e.reason()))?;
            if b.certificates.is_empty() {
                return Err(usage(
                    &c.display().to_string(),
                    "no certificate in the file",
                ));
            }
            let key = pkcs8_of_key_file(k).map_err(|e| usage(&k.display().to_string(), e))?;
            Some(ClientMaterial {
                chain: b.certificates.iter().map(|c| c.der.clone()).collect(),
                key,
            })
        }
        _ => None,
    };
    // One handshake per version, each with the request without a certificate.
    let mut handshakes = Vec::new();
    let mut without = None;
    for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
        let (hs, answer) = connect(&target, version, None, true, time);
        if without.is_none() && hs.error.is_none() {
            without = answer;
        }
        handshakes.push(hs);
    }
    let Some(main) = handshakes.iter().find(|h| h.error.is_none()).cloned() else {
        let why: Vec<String> = handshakes
            .iter()
            .map(|h| format!("{}: {}", h.protocol, h.error.clone().unwrap_or_default()))
            .collect();
        return Err(usage(
            target_arg,
            format!("no TLS handshake: {}", why.join("; ")),
        ));
    };
    let with = client.as_ref().and_then(|m| {
        let version = if main.protocol == "TLSv1.3" {
            &rustls::version::TLS13
        } else {
            &rustls::version::TLS12
        };
        let (hs, answer) = connect(&target, version, Some(m), true, time);
        answer.or(Some(Answer {
            status: None,
            nginx_page: None,
            error: hs.error,
        }))
    });
    let v = verdict(&main, without.as_ref()).to_string();
    let mut problems = Vec::new();
    for c in &main.server_chain {
        if c.out_of_date {
            problems.push(format!(
                "the server presents {}, valid {} to {}: out of date",
                c.subject, c.not_before, c.not_after
            ));
        }
    }
    let browser_offers = client.as_ref().map(|m| {
        main.ca_names_der.is_empty()
            || m.chain.iter().any(|der| {
                use x509_parser::prelude::FromDer;
                x509_parser::certificate::X509Certificate::from_der(der).is_ok_and(|(_, c)| {
                    main.ca_names_der
                        .iter()
                        .any(|n| n == c.issuer().as_raw() || n == c.subject().as_raw())
                })
            })
    });
    if browser_offers == Some(false) {
        problems.push("a browser would not offer this certificate: none of its issuers is among the CA names the server advertises".into());
    }
    let (config_server, drift) = match &args.config {
        Some(path) => {
            let input = InputArgs {
                path: Some(path.clone()),
                prefix: None,
            };
            let config = super::io::load_input(&input, false)?;
            let model = Model::build(&config);
            let files = CertFiles::read(&model);
            let leaf = main.server_chain_der.first().cloned();
            let (server, mut drift) = compare(
                &model,
                &files,
                &addr.to_string(),
                sni.as_deref(),
                &main,
                leaf.as_deref(),
                &v,
            );
            // The statuses the files predict (`verify`), against the ones observed.
            if server.is_some() {
                let chain = client.as_ref().and_then(|m| {
                    let mut certs = m.chain.iter().enumerate().filter_map(|(i, d)| {
                        crate::certs::load::Certificate::from_der(
                            d.clone(),
                            crate::certs::load::Origin {
                                path: args.cert.clone().unwrap_or_default(),
                                index: i + 1,
                                line: None,
                            },
                        )
                        .ok()
                    });
                    certs.next().map(|leaf| crate::certs::load::ClientChain {
                        leaf,
                        intermediates: certs.collect(),
                        private_keys: Vec::new(),
                    })
                });
                let request = crate::verify::Request {
                    listen: Some(addr.to_string()),
                    sni: sni.clone(),
                    host: Some(http_host.clone()),
                    pkcs12: false,
                    key_file: None,
                    http: crate::verify::HttpRequest {
                        path: args.path.clone(),
                        method: "GET".into(),
                        ..crate::verify::HttpRequest::default()
                    },
                };
                for (what, chain, seen) in [
                    ("without a client certificate", None, without.as_ref()),
                    ("with the client certificate", chain.as_ref(), with.as_ref()),
                ] {
                    if what.starts_with("with the") && chain.is_none() {
                        continue;
                    }
                    let Some(observed) = seen.and_then(|a| a.status) else {
                        continue;
                    };
                    let Ok(results) = crate::verify::predict(&model, &files, chain, &request, time)
                    else {
                        continue;
                    };
                    // Only where the files decide the status (not a backend's answer).
                    if let Some(r) = results
                        .first()
                        .filter(|r| r.decided_by.is_some() || r.rejected)
                        && r.status != observed
                    {
                        drift.push(Drift {
                            kind: "status",
                            message: format!(
                                "{what} the server answered {observed}, but the files predict {} ({})",
                                r.status,
                                r.decided_by.clone().unwrap_or_else(|| r.ssl_client_verify.clone())
                            ),
                            fix: "nginx -t && nginx -s reload (nginx reads these files only at start and reload)".into(),
                        });
                    }
                }
            }
            (server, drift)
        }
        None => (None, Vec::new()),
    };
    Ok(Report {
        schema_version: 1,
        target: target_arg.to_string(),
        connect: addr.to_string(),
        sni,
        host: http_host,
        path: args.path.clone(),
        handshakes,
        without_certificate: without,
        with_certificate: with,
        verdict: v,
        browser_offers,
        config_server,
        drift,
        problems,
    })
}

fn human(r: &Report) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} (connected to {}, SNI {}, Host {}, {})",
        r.target,
        r.connect,
        r.sni.as_deref().unwrap_or("none"),
        r.host,
        r.path
    );
    for h in &r.handshakes {
        match &h.error {
            Some(e) => {
                let _ = writeln!(s, "  {}: {e}", h.protocol);
            }
            None => {
                let _ = writeln!(
                    s,
                    "  {}: {}; client certificate {}",
                    h.protocol,
                    h.cipher.as_deref().unwrap_or("?"),
                    if h.certificate_requested {
                        format!(
                            "requested, {} CA name(s), {} bytes",
                            h.ca_names.len(),
                            h.ca_names_bytes
                        )
                    } else {
                        "not requested".to_string()
                    }
                );
            }
        }
    }
    if let Some(h) = r.handshakes.iter().find(|h| h.error.is_none()) {
        for (i, c) in h.server_chain.iter().enumerate() {
            let _ = writeln!(
                s,
                "  server certificate #{i}: {} (issuer {}, expires {}{}), SHA-256 {}",
                c.subject,
                c.issuer,
                c.not_after,
                if c.out_of_date { ", OUT OF DATE" } else { "" },
                c.sha256
            );
        }
        for n in &h.ca_names {
            let _ = writeln!(s, "  acceptable CA name: {n}");
        }
        if !h.signature_algorithms.is_empty() {
            let _ = writeln!(
                s,
                "  signature algorithms: {}",
                h.signature_algorithms.join(", ")
            );
        }
    }
    let show = |a: &Option<Answer>| match a {
        Some(a) => match (a.status, &a.nginx_page, &a.error) {
            (Some(st), Some(p), _) => format!("{st} ({p})"),
            (Some(st), None, _) => st.to_string(),
            (None, _, Some(e)) => format!("no answer: {e}"),
            _ => "no answer".into(),
        },
        None => "not tried".into(),
    };
    let _ = writeln!(
        s,
        "  without a client certificate: {}",
        show(&r.without_certificate)
    );
    if r.with_certificate.is_some() {
        let _ = writeln!(
            s,
            "  with the client certificate: {}",
            show(&r.with_certificate)
        );
    }
    let _ = writeln!(s, "  verdict: client certificate {}", r.verdict);
    if let Some(b) = r.browser_offers {
        let _ = writeln!(
            s,
            "  a browser would {}offer the certificate",
            if b { "" } else { "NOT " }
        );
    }
    if let Some(c) = &r.config_server {
        let _ = writeln!(
            s,
            "  configuration: server {} ({}), ssl_verify_client {}",
            c.server_name, c.at, c.ssl_verify_client
        );
    }
    for d in &r.drift {
        let _ = writeln!(
            s,
            "  DIFFERS from the files ({}): {}\n    fix: {}",
            d.kind, d.message, d.fix
        );
    }
    for p in &r.problems {
        let _ = writeln!(s, "  problem: {p}");
    }
    if r.config_server.is_some() && r.drift.is_empty() {
        s.push_str("  the running server matches the files on disk\n");
    }
    s
}
