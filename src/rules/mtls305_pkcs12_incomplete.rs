//! # MTLS305 pkcs12-incomplete
//!
//! ## What it does
//! Reports a PKCS#12 (`.p12`/`.pfx`) `--client-cert` without a private key, or without
//! the intermediate certificates between the client certificate and its root.
//!
//! ## Why is this bad?
//! Without the key the archive cannot authenticate anyone. Without the chain, the client
//! sends its certificate alone, and nginx rejects it with
//! `FAILED:unable to verify the first certificate` unless the server's CA files hold
//! the intermediate.
//!
//! ## Example
//! ```nginx
//! # openssl pkcs12 -export -out client.p12 -inkey client.key -in client.crt
//! ssl_client_certificate root.crt;
//! ```
//!
//! ## Use instead
//! ```nginx
//! # openssl pkcs12 -export -out client.p12 -inkey client.key -in client.crt -certfile intermediate.crt
//! ssl_client_certificate root.crt;
//! ```
//!
//! ## References
//! - <https://docs.openssl.org/3.0/man1/openssl-pkcs12/>
//! - docs/nginx-behaviour.md, fact 6 (where intermediates may come from)

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use crate::verify::client::CertFormat;

pub struct Rule305;

crate::rule_info!(
    "MTLS305",
    "pkcs12-incomplete",
    Warning,
    "mtls305_pkcs12_incomplete.rs"
);

impl Rule for Rule305 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for client in cx.client_certs {
            if client.format != CertFormat::Pkcs12 {
                continue;
            }
            let path = client.path.display();
            if client.key.is_none() {
                let new = crate::verify::new_name(&client.path, "-with-key");
                out.push(
                    Finding::new(
                        &INFO,
                        Location::File(client.path.clone()),
                        format!("the PKCS#12 file {path} holds no private key"),
                    )
                    .help(format!(
                        "export a new archive with the key the certificate was issued for: openssl pkcs12 -in {path} -nokeys -passin env:P12_PASSWORD -out chain.pem && openssl pkcs12 -export -out {new} -inkey KEY -in chain.pem -passout env:P12_PASSWORD"
                    )),
                );
            }
            let leaf = &client.chain.leaf.info;
            if !client.chain.intermediates.is_empty() || leaf.openssl_self_signed {
                continue;
            }
            // Who issued it, as far as the servers' trust files tell: a root issued it
            // directly (nothing to add), an intermediate (name it), or unknown.
            let mut issuer = None;
            for server in cx.model.servers.iter().filter(|s| s.mtls()) {
                for (_, b) in cx.files.ca_bundles(cx.model, server) {
                    for c in &b.certificates {
                        if c.info.subject_canonical == leaf.issuer_canonical {
                            issuer = Some((c.info.openssl_self_signed, b.path.clone()));
                        }
                    }
                }
            }
            // Not in the trust files: beside the archive, perhaps.
            if issuer.is_none()
                && let Some(f) = crate::certs::discover::find_issuer(
                    &[crate::certs::discover::dir_of(&client.path)],
                    &client.chain.leaf,
                )
            {
                issuer = Some((f.is_root(), f.path));
            }
            if matches!(issuer, Some((true, _))) {
                continue;
            }
            let all = crate::verify::new_name(&client.path, "-all").replace(".p12", ".pem");
            let new = crate::verify::new_name(&client.path, "-chain");
            let (what, file) = match &issuer {
                Some((_, f)) => (
                    format!(
                        "its issuer {} is an intermediate CA (in {})",
                        leaf.issuer,
                        f.display()
                    ),
                    f.display().to_string(),
                ),
                None => (
                    format!(
                        "its issuer {} is in no server's trust files, so whether it is an intermediate is not known",
                        leaf.issuer
                    ),
                    crate::verify::names::ca_file_for(&leaf.issuer),
                ),
            };
            out.push(
                Finding::new(
                    &INFO,
                    Location::File(client.path.clone()),
                    format!(
                        "the PKCS#12 file {path} holds {} and no CA certificate; {what}: the client sends no intermediate",
                        leaf.subject
                    ),
                )
                .help(format!(
                    "export a new archive with the intermediate: (umask 077; openssl pkcs12 -in {path} -nodes -passin env:P12_PASSWORD -out {all}) && openssl pkcs12 -export -out {new} -in {all} -certfile {file} -passout env:P12_PASSWORD && rm {all}"
                )),
            );
        }
    }
}
