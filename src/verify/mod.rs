//! `nginx-mtls-lint verify`: would nginx accept this client certificate? The answer per
//! server: accepted or rejected, the status the client sees, the exact
//! `$ssl_client_verify`, the error.log line, the chain and what to change.
//!
//! JSON schema: docs/verify-json.md. User guide: docs/verify.md.

pub mod client;
pub mod explain;
pub mod predict;

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use crate::cli::{InputArgs, parse_time};
use crate::model::Model;
use crate::rules::CertFiles;
use crate::rules::support::now;
use crate::{Error, exit, load_input};

pub use client::{ClientCert, PasswordSource, load_client_cert};
pub use predict::{Request, ServerResult, predict};

/// Bumped on any incompatible change of the JSON document.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Args, Debug, Clone)]
pub struct VerifyArgs {
    /// The nginx configuration (nginx.conf, a site file, or `-` for `nginx -T` on stdin).
    #[arg(long, value_name = "PATH")]
    pub config: PathBuf,
    /// The configuration prefix relative paths resolve against (default: the
    /// directory of the main configuration).
    #[arg(long, short = 'p', value_name = "DIR")]
    pub prefix: Option<PathBuf>,
    /// The socket the client connects to (`127.0.0.1:443`, `443`); default: every
    /// socket with a server that requests client certificates.
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<String>,
    /// The server name the client sends in the TLS handshake (none by default).
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
    /// The HTTP Host header (default: the SNI).
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// The client certificate: PEM (leaf first, then intermediates, as curl --cert),
    /// DER, or PKCS#12 (.p12/.pfx). Without it: a client that sends no certificate.
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// The client's private key (checked against the certificate; never printed).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// The NAME of an environment variable holding the PKCS#12 password (never the
    /// password itself). Without it, a terminal prompt.
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Verify at this time instead of now (`2027-01-01`, `2027-01-01T12:00:00Z`, unix seconds).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub at: Option<i64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// `verify`'s output formats.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

/// The client certificate as the report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ClientReport {
    pub file: Option<String>,
    pub format: Option<client::CertFormat>,
    pub subject: Option<String>,
    pub issuer: Option<String>,
    pub not_before: Option<String>,
    pub not_after: Option<String>,
    /// Certificates sent after the client's own.
    pub intermediates: Vec<String>,
    /// `matches`, `mismatch`, `encrypted`, `unknown` or `null` (no key given).
    pub key: Option<String>,
    /// Problems on the client's side, whatever the server.
    pub problems: Vec<String>,
    pub fixes: Vec<String>,
}

/// `--format json`.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    pub schema_version: u32,
    /// The time verified at (RFC 3339).
    pub at: String,
    pub client: ClientReport,
    pub results: Vec<ServerResult>,
    /// Every result accepted and no client-side problem.
    pub accepted: bool,
}

/// Client-side checks that need no server.
pub fn client_report(c: Option<&ClientCert>) -> ClientReport {
    let Some(c) = c else {
        return ClientReport {
            file: None,
            format: None,
            subject: None,
            issuer: None,
            not_before: None,
            not_after: None,
            intermediates: Vec::new(),
            key: None,
            problems: Vec::new(),
            fixes: Vec::new(),
        };
    };
    let mut problems = Vec::new();
    let mut fixes = Vec::new();
    let key = c.key_match().map(|m| {
        use crate::certs::keys::KeyMatch;
        match m {
            KeyMatch::Matches => "matches".to_string(),
            KeyMatch::Mismatch => {
                problems.push(format!(
                    "the private key {} does not belong to the certificate {}: curl stops before connecting (curl: (58) unable to set private key file)",
                    c.key_path.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
                    c.path.display()
                ));
                fixes.push("find the key the certificate was issued for: compare `openssl x509 -in client.crt -noout -pubkey` with `openssl pkey -in client.key -pubout`".into());
                "mismatch".into()
            }
            KeyMatch::Encrypted => "encrypted".into(),
            KeyMatch::Unknown(_) => "unknown".into(),
        }
    });
    ClientReport {
        file: Some(c.path.display().to_string()),
        format: Some(c.format),
        subject: Some(c.chain.leaf.info.subject.clone()),
        issuer: Some(c.chain.leaf.info.issuer.clone()),
        not_before: Some(c.chain.leaf.info.not_before_rfc3339.clone()),
        not_after: Some(c.chain.leaf.info.not_after_rfc3339.clone()),
        intermediates: c
            .chain
            .intermediates
            .iter()
            .map(|i| i.info.subject.clone())
            .collect(),
        key,
        problems,
        fixes,
    }
}

/// Renders the human report.
pub fn render_human(doc: &Document) -> String {
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
        let verdict = if r.rejected { "REJECTED" } else { "ACCEPTED" };
        let _ = writeln!(
            s,
            "  {verdict}: the client sees HTTP {}{}",
            r.status,
            r.nginx_status
                .map(|n| format!(" (nginx status {n})"))
                .unwrap_or_default()
        );
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
    let rejected = doc.results.iter().filter(|r| r.rejected).count();
    let _ = writeln!(
        s,
        "\n{} of {} server{} would reject this client",
        rejected,
        doc.results.len(),
        if doc.results.len() == 1 { "" } else { "s" }
    );
    s
}

/// `nginx-mtls-lint verify`.
pub fn run(args: &VerifyArgs) -> Result<u8, Error> {
    let input = InputArgs {
        path: Some(args.config.clone()),
        prefix: args.prefix.clone(),
    };
    let config = load_input(&input, false)?;
    let model = Model::build(&config);
    let files = CertFiles::read(&model);
    let time = args.at.unwrap_or_else(now);
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
            .is_some_and(|c| c.format == client::CertFormat::Pkcs12),
    };
    let results = predict(
        &model,
        &files,
        client.as_ref().map(|c| &c.chain),
        &request,
        time,
    )
    .map_err(|e| Error::Input {
        path: args.config.display().to_string(),
        message: e.to_string(),
    })?;
    let report = client_report(client.as_ref());
    let accepted = report.problems.is_empty() && results.iter().all(|r| !r.rejected);
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        at: crate::certs::info::rfc3339(time),
        client: report,
        results,
        accepted,
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        // Subjects and names come from the certificate: no control character is sent.
        Format::Human => out.write_all(crate::report::printable(&render_human(&doc)).as_bytes())?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &doc).map_err(std::io::Error::other)?;
            writeln!(out)?;
        }
    }
    Ok(if accepted {
        exit::CLEAN
    } else {
        exit::FINDINGS
    })
}

/// Reads the `--client-cert` files of `lint` (keys paired by position).
pub fn load_lint_clients(args: &crate::cli::LintArgs) -> Result<Vec<ClientCert>, Error> {
    let password = match &args.password_env {
        Some(v) => PasswordSource::Env(v.clone()),
        None => PasswordSource::Prompt,
    };
    args.client_cert
        .iter()
        .enumerate()
        .map(|(i, p)| {
            load_client_cert(p, args.client_key.get(i).map(PathBuf::as_path), &password)
                .map_err(|e| input_error(p, &e))
        })
        .collect()
}

/// An input error for a client file, without repeating its path.
fn input_error(path: &std::path::Path, e: &client::ClientError) -> Error {
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
