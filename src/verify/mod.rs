//! Would nginx accept this client certificate? The answer per server: accepted or
//! rejected, the status the client sees, the exact `$ssl_client_verify`, the error.log
//! line, the chain and what to change (`nginx-mtls-lint verify` runs it).
//!
//! JSON schema: docs/verify-json.md. User guide: docs/verify.md.

pub mod client;
pub mod explain;
pub mod names;
pub mod predict;
pub mod request;
pub mod upstream;

use serde::Serialize;

pub use client::{ClientCert, PasswordSource, load_client_cert};
pub use names::new_name;
pub use predict::{Request, ServerResult, predict};
pub use request::{HttpRequest, RequestOutcome};

/// Bumped on any incompatible change of the JSON document.
pub const SCHEMA_VERSION: u32 = 1;

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
    /// The client can present this certificate and key (curl with OpenSSL 3 loads
    /// them); `false`: no request is made, whatever the server.
    pub usable: bool,
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
    /// Why nginx refuses this configuration (`nginx -t` fails: it does not start, or
    /// keeps the old configuration on reload), `file:line: message`; empty when it loads.
    pub nginx_refuses: Vec<String>,
    /// The nginx and OpenSSL versions predicted for.
    pub profile: crate::model::profile::Profile,
}

/// `verify --upstream --format json`: nginx as the client of its backends.
#[derive(Debug, Clone, Serialize)]
pub struct UpstreamDocument {
    pub schema_version: u32,
    /// Always `upstream`.
    pub mode: &'static str,
    pub at: String,
    /// The backend's certificate given (`--peer-cert`): its subject.
    pub peer_certificate: Option<String>,
    pub upstreams: Vec<upstream::UpstreamResult>,
    /// Every pass answered without a refusal (no 502, no 400 from the backend) and
    /// nginx starts.
    pub accepted: bool,
    pub nginx_refuses: Vec<String>,
    pub profile: crate::model::profile::Profile,
}

/// Applies what stops the request before any server sees it: a configuration nginx
/// refuses, a client that cannot use its material. Returns whether all is accepted.
/// `refusals`: each reason with its fix, when the rule knows one.
pub fn settle(
    results: &mut [ServerResult],
    client: &ClientReport,
    refusals: &[(String, Option<String>)],
) -> bool {
    for r in results.iter_mut() {
        if !refusals.is_empty() {
            r.verdict = "nginx_refuses".into();
            r.decided_by = refusals.first().map(|(m, _)| m.clone());
            // Making nginx start comes first.
            let first: Vec<String> = refusals
                .iter()
                .filter_map(|(m, f)| {
                    f.as_ref()
                        .map(|f| format!("so that nginx starts ({m}): {f}"))
                })
                .collect();
            r.fixes.splice(0..0, first);
        } else if !client.usable {
            r.verdict = "client_unusable".into();
            r.decided_by = client.problems.first().cloned();
        }
    }
    client.problems.is_empty() && results.iter().all(|r| r.verdict == "accepted")
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
            usable: true,
        };
    };
    let mut problems = Vec::new();
    let mut fixes = Vec::new();
    let mut usable = true;
    let cert = c.path.display().to_string();
    let key_file = c
        .key_path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| cert.clone());
    if let Some(a) = &c.p12
        && a.crypto.contains(&client::P12Crypto::Rc2_40)
    {
        usable = false;
        problems.push(format!(
            "{cert} is encrypted with RC2-40 (exported with `openssl pkcs12 -legacy` or by OpenSSL 1.x): OpenSSL 3 without the legacy provider cannot read it, so curl stops before connecting (curl: (58) could not parse PKCS12 file ... unsupported)"
        ));
        let new = new_name(&c.path, "-aes");
        let pem = new_name(&c.path, "-plain").replace(".p12", ".pem");
        fixes.push(format!(
            "re-encrypt it with AES into a new file: (umask 077; openssl pkcs12 -legacy -in {cert} -nodes -passin env:P12_PASSWORD -out {pem}) && openssl pkcs12 -export -in {pem} -out {new} -passout env:P12_PASSWORD && rm {pem}, then curl --cert-type P12 --cert \"{new}:$P12_PASSWORD\""
        ));
    }
    let key = c.key_match().map(|m| {
        use crate::certs::keys::KeyMatch;
        match m {
            KeyMatch::Matches => "matches".to_string(),
            KeyMatch::Mismatch => {
                usable = false;
                problems.push(format!(
                    "the private key {} does not belong to the certificate {}: curl stops before connecting (curl: (58) unable to set private key file)",
                    c.key_path.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
                    c.path.display()
                ));
                let dirs = crate::certs::discover::unique_dirs(
                    std::iter::once(crate::certs::discover::dir_of(&c.path)).chain(
                        c.key_path
                            .as_deref()
                            .map(crate::certs::discover::dir_of),
                    ),
                );
                match crate::certs::discover::find_key(&dirs, &c.chain.leaf) {
                    Some(k) => fixes.push(format!(
                        "the key of {cert} is {} (found beside it): curl --cert {cert} --key {}",
                        k.display(),
                        k.display()
                    )),
                    None => fixes.push(format!("find the key the certificate was issued for: `openssl x509 -in {cert} -noout -pubkey` must print the same as `openssl pkey -in KEY -pubout` (not {key_file}); without it, issue a new certificate for {key_file}")),
                }
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
        usable,
    }
}
