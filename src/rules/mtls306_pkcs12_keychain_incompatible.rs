//! # MTLS306 pkcs12-keychain-incompatible
//!
//! ## What it does
//! Reads which algorithms protect a PKCS#12 `--client-cert` (their identifiers are in
//! the clear) and reports the ones common OS keychains refuse: AES-256-CBC with
//! PBKDF2 (PBES2, the OpenSSL 3 default), which older macOS keychains and Windows before
//! Windows 10 1709 / Server 2016 cannot import; and RC2-40 / 3DES (the "legacy" OpenSSL
//! 1.x default), which OpenSSL 3 only reads with its legacy provider and which modern
//! systems that dropped weak ciphers refuse.
//!
//! ## Why is this bad?
//! The file works with curl and fails when a user double-clicks it, usually with a
//! misleading "wrong password" message.
//!
//! ## Example
//! ```nginx
//! # openssl pkcs12 -export -out client.p12 ...         (OpenSSL 3: AES-256/PBKDF2)
//! ssl_verify_client on;
//! ```
//!
//! ## Use instead
//! ```nginx
//! # for old macOS / Windows: openssl pkcs12 -export -legacy -out client.p12 ...
//! # for everything current:  openssl pkcs12 -export -certpbe AES-256-CBC -keypbe AES-256-CBC -macalg sha256 ...
//! ssl_verify_client on;
//! ```
//!
//! ## References
//! - <https://docs.openssl.org/3.0/man1/openssl-pkcs12/> (`-legacy`, `-certpbe`, `-keypbe`)

use super::rule::{Context, Finding, Location, Rule, RuleInfo, Severity};
use crate::verify::client::P12Crypto;

pub struct Rule306;

crate::rule_info!(
    "MTLS306",
    "pkcs12-keychain-incompatible",
    Info,
    "mtls306_pkcs12_keychain_incompatible.rs"
);

impl Rule for Rule306 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for client in cx.client_certs {
            let Some(alg) = &client.p12 else { continue };
            let path = client.path.display();
            let legacy = alg
                .crypto
                .iter()
                .any(|c| matches!(c, P12Crypto::Rc2_40 | P12Crypto::TripleDes));
            if alg.crypto.contains(&P12Crypto::Pbes2Aes) {
                out.push(
                    Finding::new(
                        &INFO,
                        Location::File(client.path.clone()),
                        format!(
                            "{path} is encrypted with PBES2/PBKDF2 and AES-256-CBC (MAC {}), the OpenSSL 3 default: older macOS keychains and Windows before 10 1709 / Server 2016 refuse to import it",
                            alg.mac.as_deref().unwrap_or("unknown")
                        ),
                    )
                    .help(format!(
                        "for those systems export a legacy copy beside it: (umask 077; openssl pkcs12 -in {path} -nodes -passin env:P12_PASSWORD -out {1}) && openssl pkcs12 -export -legacy -in {1} -out {0} -passout env:P12_PASSWORD && rm {1}",
                        crate::verify::new_name(&client.path, "-legacy"),
                        crate::verify::new_name(&client.path, "-plain").replace(".p12", ".pem")
                    )),
                );
            }
            if legacy {
                let mut f = Finding::new(
                    &INFO,
                    Location::File(client.path.clone()),
                    format!(
                        "{path} is encrypted with legacy algorithms (RC2-40 / 3DES, MAC {}): OpenSSL 3 reads it only with -legacy, and current keychains that dropped weak ciphers refuse it",
                        alg.mac.as_deref().unwrap_or("unknown")
                    ),
                )
                .help(format!(
                    "re-export with modern algorithms into a new file: (umask 077; openssl pkcs12 -legacy -in {path} -nodes -passin env:P12_PASSWORD -out {1}) && openssl pkcs12 -export -certpbe AES-256-CBC -keypbe AES-256-CBC -macalg sha256 -in {1} -out {0} -passout env:P12_PASSWORD && rm {1}",
                    crate::verify::new_name(&client.path, "-aes"),
                    crate::verify::new_name(&client.path, "-plain").replace(".p12", ".pem")
                ));
                f.severity = Severity::Warning;
                out.push(f);
            }
        }
    }
}
