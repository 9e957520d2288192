//! # MTLS114 shared-socket-verify-mismatch
//!
//! ## What it does
//! Reports TLS servers that share one listening socket (address and port) but differ in
//! `ssl_verify_client`, and says what nginx does for each way a client can arrive.
//!
//! ## Why is this bad?
//! The handshake is made with the settings of the server chosen by SNI, or of the
//! socket's default server when there is no SNI or it matches no `server_name`; the
//! request is then served by the server chosen by `Host`. So, measured with nginx 1.22:
//! - a verify-on server reached without SNI through a verify-off default server answers
//!   `400 No required SSL certificate was sent` even to a client with a good certificate
//!   (no certificate was ever asked for);
//! - SNI of one server and `Host` of a verify-on other answers `421 Misdirected Request`;
//! - a verify-off default server accepts anything for names that match no server.
//!
//! ## Example
//! ```nginx
//! server { listen 443 ssl default_server; server_name www.example.com; }
//! server { listen 443 ssl; server_name api.example.com; ssl_verify_client on; }
//! ```
//!
//! ## Use instead
//! ```nginx
//! # a separate address or port for the mutual-TLS server
//! server { listen 443 ssl; server_name www.example.com; }
//! server { listen 8443 ssl; server_name api.example.com; ssl_verify_client on; }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/server_names.html>
//! - docs/nginx-behaviour.md, section 5 (measured SNI / Host matrix)

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use crate::model::VerifyMode;

pub struct Rule114;

crate::rule_info!(
    "MTLS114",
    "shared-socket-verify-mismatch",
    Warning,
    "mtls114_shared_socket_verify_mismatch.rs"
);

impl Rule for Rule114 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let servers = &cx.model.servers;
        for ((_, socket), (members, default)) in cx.model.sockets() {
            if members.len() < 2 {
                continue;
            }
            let tls = members.iter().all(|i| {
                servers[*i]
                    .listens
                    .iter()
                    .any(|l| l.socket == socket && l.ssl)
            });
            if !tls {
                continue;
            }
            let modes: Vec<VerifyMode> =
                members.iter().map(|i| servers[*i].verify_mode()).collect();
            if modes.iter().all(|m| *m == modes[0]) {
                continue;
            }
            let d = &servers[default];
            let dmode = d.verify_mode();
            for &i in &members {
                let s = &servers[i];
                let mode = s.verify_mode();
                if i == default || mode == dmode || mode == VerifyMode::Off {
                    continue;
                }
                let at = s
                    .ssl
                    .verify_client
                    .map(|v| v.span())
                    .unwrap_or(s.block.name.span);
                let mut f = Finding::new(
                    &INFO,
                    Location::Span(at),
                    format!(
                        "{} (ssl_verify_client {}) shares {socket} with the default server {} (ssl_verify_client {}): clients without SNI, or with a name that matches no server, get the default server's handshake{}; SNI of another server with Host {} gives 421 Misdirected Request",
                        s.display_name(),
                        mode.as_str(),
                        d.display_name(),
                        dmode.as_str(),
                        if dmode == VerifyMode::Off {
                            format!(", so requests for {} then fail with 400 No required SSL certificate was sent even with a valid certificate", s.display_name())
                        } else {
                            String::new()
                        },
                        s.display_name()
                    ),
                )
                .label("verification differs from the default server")
                .help("give the mutual-TLS server its own address or port, or make it the default_server of this socket, and make clients send SNI (curl does; `openssl s_client -servername`)");
                if let Some(l) = d
                    .listens
                    .iter()
                    .find(|l| l.socket == socket)
                    .and_then(|l| l.directive)
                {
                    f = f.related(Location::Span(l.span), "default server of this socket");
                }
                out.push(f);
            }
        }
    }
}
