//! `nginx-mtls-lint verify`: the configuration, the client certificate, the request;
//! the prediction per server; one reporter.

use crate::util::timings;
use std::io::Write;

use crate::cli::{InputArgs, VerifyArgs};
use crate::error::{Error, exit};
use crate::model::Model;
use crate::model::trust::CertFiles;
use crate::report::{self, printable};
use crate::rules::{self, Context, Location, Options};
use crate::util::time::{now, rfc3339};
use crate::verify::client::{CertFormat, ClientError};
use crate::verify::{
    Document, HttpRequest, PasswordSource, Request, SCHEMA_VERSION, client_report,
    load_client_cert, predict, settle,
};

/// `nginx-mtls-lint verify`.
pub fn run(args: &VerifyArgs) -> Result<u8, Error> {
    let input = InputArgs {
        path: Some(args.config.clone()),
        prefix: args.prefix.clone(),
    };
    super::io::refuse_non_configuration(&input)?;
    let config = timings::phase("load", || super::io::load_input(&input, false))?;
    let (openssl, _, profile) = super::io::resolve_profile(
        args.openssl_version.as_deref(),
        args.nginx_binary.as_deref(),
        None,
        None,
    )?;
    let mut model = timings::phase("model", || Model::build(&config));
    model.openssl = openssl;
    let files = CertFiles::read(&model);
    let time = args.at.unwrap_or_else(now);
    if let Some(name) = &args.upstream {
        return upstream(args, name, &config, &model, &files, time, profile);
    }
    let password = match &args.password_env {
        Some(v) => PasswordSource::Env(v.clone()),
        None => PasswordSource::Prompt,
    };
    let client = match &args.cert {
        Some(p) => Some(
            load_client_cert(p, args.key.as_deref(), &password).map_err(|e| input_error(p, &e))?,
        ),
        None => None,
    };
    let request = Request {
        listen: args.listen.clone(),
        sni: args.sni.clone(),
        host: args.host.clone(),
        pkcs12: client
            .as_ref()
            .is_some_and(|c| c.format == CertFormat::Pkcs12),
        key_file: args.key.as_ref().map(|k| k.display().to_string()),
        http: HttpRequest {
            path: args.path.clone(),
            method: args.method.clone(),
            ..HttpRequest::default()
        },
    };
    let results = timings::phase("predict", || {
        predict(
            &model,
            &files,
            client.as_ref().map(|c| &c.chain),
            &request,
            time,
        )
    })
    .map_err(|e| Error::Input {
        path: args.config.display().to_string(),
        message: e.to_string(),
    })?;
    // A site file read through its nginx.conf: the servers of that file (the request may
    // still be decided by another file's server on the same socket, which each result
    // names as its handshake server).
    let results = match config.focus {
        Some(id) => {
            let focus = config.sources.path(id).display().to_string();
            let mine: Vec<_> = results
                .iter()
                .filter(|r| r.file == focus)
                .cloned()
                .collect();
            if mine.is_empty() { results } else { mine }
        }
        None => results,
    };
    let mut results = results;
    let report = client_report(client.as_ref());
    let refusals = timings::phase("refusals", || refusals(&config, &model, &files, time));
    let accepted = settle(&mut results, &report, &refusals);
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        at: rfc3339(time),
        client: report,
        results,
        accepted,
        nginx_refuses: refusals.into_iter().map(|(m, _)| m).collect(),
        profile,
    };
    // Subjects and names come from the certificate: no control character is sent.
    let text = super::io::render_doc(args.format, &doc, |d| {
        printable(&report::verify::human(d)).into_owned()
    })?;
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(if accepted {
        exit::CLEAN
    } else {
        exit::FINDINGS
    })
}

/// `verify --upstream`.
fn upstream(
    args: &VerifyArgs,
    name: &str,
    config: &crate::config::Config,
    model: &Model<'_>,
    files: &CertFiles,
    time: i64,
    profile: crate::model::profile::Profile,
) -> Result<u8, Error> {
    use crate::certs::load::{load_bundle, load_client_chain};
    use crate::certs::verify::TrustStore;
    use crate::verify::UpstreamDocument;
    use crate::verify::upstream::{UpstreamQuery, predict_upstreams};
    let bad = |p: &std::path::Path, message: String| Error::Input {
        path: p.display().to_string(),
        message,
    };
    let peer_chain = match &args.peer_cert {
        Some(p) => Some(load_client_chain(p).map_err(|e| input_error(p, &e.into()))?),
        None => None,
    };
    let peer_ca = match &args.peer_ca {
        Some(p) => {
            let b = load_bundle(p).map_err(|e| bad(p, e.reason()))?;
            let mut store = TrustStore::new();
            store.add_bundle(&b);
            Some(store)
        }
        None => None,
    };
    let peer_aborts = args.peer_verify == "require";
    let peer_mode = if peer_aborts {
        crate::model::VerifyMode::On
    } else {
        crate::model::VerifyMode::parse(&args.peer_verify).ok_or_else(|| Error::Input {
            path: "--peer-verify".into(),
            message: format!(
                "{:?} is not on, optional, optional_no_ca or require",
                args.peer_verify
            ),
        })?
    };
    let query = UpstreamQuery {
        server: args.server.clone(),
        path: args.path.clone(),
        upstream: (!name.is_empty()).then(|| name.to_string()),
        peer_chain,
        peer_ca,
        peer_depth: args.peer_depth,
        peer_mode: Some(peer_mode),
        peer_aborts,
        listen: args.listen.clone(),
    };
    let upstreams = predict_upstreams(model, files, &query, time);
    if upstreams.is_empty() {
        return Err(Error::Input {
            path: args.config.display().to_string(),
            message: format!(
                "no proxy_pass, grpc_pass or uwsgi_pass {}",
                match (&query.upstream, &query.server) {
                    (Some(n), _) => format!("to \"{n}\""),
                    (None, Some(s)) => format!("in the location of {} in server {s}", query.path),
                    (None, None) => format!("in the location of {}", query.path),
                }
            ),
        });
    }
    let refusals = refusals(config, model, files, time);
    let accepted = refusals.is_empty()
        && upstreams
            .iter()
            .all(|u| u.status.is_none() && !u.connection_closed);
    let doc = UpstreamDocument {
        schema_version: SCHEMA_VERSION,
        mode: "upstream",
        at: rfc3339(time),
        peer_certificate: query
            .peer_chain
            .as_ref()
            .map(|c| c.leaf.info.subject.clone()),
        upstreams,
        accepted,
        nginx_refuses: refusals.into_iter().map(|(m, _)| m).collect(),
        profile,
    };
    let text = super::io::render_doc(args.format, &doc, |d| {
        printable(&report::verify::upstream_human(d)).into_owned()
    })?;
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(if accepted {
        exit::CLEAN
    } else {
        exit::FINDINGS
    })
}

/// What `nginx -t` would refuse: the lint findings that carry nginx's refusal (verify
/// itself does not import the rules).
fn refusals(
    config: &crate::config::Config,
    model: &Model<'_>,
    files: &CertFiles,
    time: i64,
) -> Vec<(String, Option<String>)> {
    // Only the rules whose findings can carry nginx's refusal.
    let options = Options {
        now: time,
        select: Some(rules::REFUSING.to_vec()),
        ..Options::default()
    };
    rules::check(&Context {
        config,
        model,
        files,
        options: &options,
        client_certs: &[],
    })
    .into_iter()
    .filter_map(|f| {
        let msg = f.nginx_refuses?;
        let at = match &f.location {
            Location::Span(s) => config.sources.location(*s),
            Location::File(p) => p.display().to_string(),
        };
        Some((format!("{at}: {msg} ({})", f.code), f.help))
    })
    .collect()
}

/// An input error for a client file, without repeating its path.
pub(crate) fn input_error(path: &std::path::Path, e: &ClientError) -> Error {
    let shown = path.display().to_string();
    let text = e.to_string();
    // `path:line: problem` (a corrupt PEM block): the line goes with the path.
    if let Some(rest) = text.strip_prefix(&format!("{shown}:"))
        && let Some((line, problem)) = rest.split_once(": ")
        && !line.is_empty()
        && line.bytes().all(|b| b.is_ascii_digit())
    {
        return Error::Input {
            path: format!("{shown}:{line}"),
            message: problem.to_owned(),
        };
    }
    let message = text
        .strip_prefix(&format!("{shown}: "))
        .map(str::to_owned)
        .unwrap_or(text);
    Error::Input {
        path: shown,
        message,
    }
}
