//! Would nginx accept this client certificate? The answer per server: accepted or
//! rejected, the status the client sees, the exact `$ssl_client_verify`, the error.log
//! line, the chain and what to change (`nginx-mtls-lint verify` runs it).
//!
//! JSON schema: docs/verify-json.md. User guide: docs/verify.md.

pub mod client;
pub mod explain;
pub mod predict;

use serde::Serialize;

pub use client::{ClientCert, PasswordSource, load_client_cert};
pub use predict::{Request, ServerResult, predict};

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
