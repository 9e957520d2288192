//! The running server against the files on disk (`probe --config`): nginx reads its
//! certificate, CA and CRL files only at start and reload, so a renewed file means
//! nothing until `nginx -s reload`.

use serde::Serialize;

use super::{Handshake, dn_text};
use crate::model::trust::CertFiles;
use crate::model::{Model, Protocol, VerifyMode, socket_of};

/// One difference between what the server does and what the configuration says.
#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    /// `ca_names`, `server_certificate`, `client_verification`.
    pub kind: &'static str,
    pub message: String,
    pub fix: String,
}

/// The server of the configuration the probe reached.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigServer {
    pub server_name: String,
    /// `file:line` of its block.
    pub at: String,
    pub ssl_verify_client: String,
}

const RELOAD: &str =
    "nginx -t && nginx -s reload (nginx reads these files only at start and reload)";

fn subject_der(der: &[u8]) -> Option<Vec<u8>> {
    use x509_parser::prelude::FromDer;
    x509_parser::certificate::X509Certificate::from_der(der)
        .ok()
        .map(|(_, c)| c.subject().as_raw().to_vec())
}

/// Finds the server (socket, then SNI) and lists the differences.
pub fn compare(
    model: &Model<'_>,
    files: &CertFiles,
    addr: &str,
    sni: Option<&str>,
    hs: &Handshake,
    served_leaf: Option<&[u8]>,
    observed: &str,
) -> (Option<ConfigServer>, Vec<Drift>) {
    let sockets = model.sockets();
    let port = addr.rsplit(':').next().unwrap_or("");
    let want = socket_of(addr, Protocol::Http);
    let entry = sockets
        .get(&(Protocol::Http, want))
        .or_else(|| sockets.get(&(Protocol::Http, format!("*:{port}"))))
        .or_else(|| sockets.get(&(Protocol::Http, format!("[::]:{port}"))));
    let Some((servers, default)) = entry else {
        return (None, Vec::new());
    };
    let idx = sni
        .and_then(|n| crate::verify::predict::find_server(model, servers, n))
        .unwrap_or(*default);
    let s = &model.servers[idx];
    let server = ConfigServer {
        server_name: s.display_name(),
        at: model.config.sources.location(s.block.span),
        ssl_verify_client: s.verify_mode().as_str().into(),
    };
    let mut out = Vec::new();
    // The CA names: the subjects of today's ssl_client_certificate.
    let expected: Vec<Vec<u8>> = match (
        s.verify_mode(),
        files.bundle(model, s.ssl.client_certificate),
    ) {
        (VerifyMode::Off, _) => Vec::new(),
        (_, Some(b)) => b
            .certificates
            .iter()
            .filter_map(|c| subject_der(&c.der))
            .collect(),
        (_, None) => Vec::new(),
    };
    let live_asks = hs.certificate_requested;
    let config_asks = s.verify_mode() != VerifyMode::Off;
    if live_asks != config_asks {
        out.push(Drift {
            kind: "client_verification",
            message: if live_asks {
                format!("the server asks for a client certificate, but today's configuration has ssl_verify_client {} for {}: nginx runs an older configuration", s.verify_mode().as_str(), server.server_name)
            } else {
                format!("the server does not ask for a client certificate, but today's configuration has ssl_verify_client {} for {}: nginx runs an older configuration", s.verify_mode().as_str(), server.server_name)
            },
            fix: RELOAD.into(),
        });
    } else if live_asks {
        let missing: Vec<String> = expected
            .iter()
            .filter(|e| !hs.ca_names_der.contains(e))
            .map(|e| dn_text(e))
            .collect();
        let extra: Vec<String> = hs
            .ca_names_der
            .iter()
            .filter(|h| !expected.contains(h))
            .map(|h| dn_text(h))
            .collect();
        if !missing.is_empty() || !extra.is_empty() {
            let file = s
                .ssl
                .client_certificate
                .map(|c| model.path(&c).display().to_string())
                .unwrap_or_default();
            let mut parts = Vec::new();
            if !extra.is_empty() {
                parts.push(format!(
                    "advertises {} that {file} no longer holds",
                    extra.join("; ")
                ));
            }
            if !missing.is_empty() {
                parts.push(format!(
                    "does not advertise {} that {file} holds",
                    missing.join("; ")
                ));
            }
            out.push(Drift {
                kind: "ca_names",
                message: format!(
                    "the running server {}: nginx runs with an older CA file",
                    parts.join(", and ")
                ),
                fix: RELOAD.into(),
            });
        }
    }
    // The served certificate: the first certificate of one of today's ssl_certificate.
    if let Some(leaf) = served_leaf {
        let today: Vec<(String, &crate::certs::load::Certificate)> = s
            .ssl
            .certificates
            .iter()
            .filter_map(|c| {
                files
                    .bundle(model, Some(*c))
                    .and_then(|b| b.certificates.first())
                    .map(|f| (model.path(c).display().to_string(), f))
            })
            .collect();
        if !today.is_empty() && !today.iter().any(|(_, f)| f.der == leaf) {
            let served = super::served(leaf, 0);
            out.push(Drift {
                kind: "server_certificate",
                message: format!(
                    "the server presents {} (SHA-256 {}, expires {}), not the first certificate of today's {} ({}, expires {}): a renewal that was not reloaded",
                    served.subject,
                    served.sha256,
                    served.not_after,
                    today[0].0,
                    today[0].1.info.subject,
                    today[0].1.info.not_after_rfc3339
                ),
                fix: RELOAD.into(),
            });
        }
    }
    // The verdict the configuration predicts.
    let predicted = match s.verify_mode() {
        VerifyMode::Off => "not requested",
        VerifyMode::On => "required",
        _ => "optional",
    };
    if observed != "unknown" && observed != predicted && live_asks == config_asks {
        out.push(Drift {
            kind: "client_verification",
            message: format!(
                "observed `{observed}` without a certificate, but ssl_verify_client {} predicts `{predicted}`",
                s.verify_mode().as_str()
            ),
            fix: RELOAD.into(),
        });
    }
    (Some(server), out)
}
