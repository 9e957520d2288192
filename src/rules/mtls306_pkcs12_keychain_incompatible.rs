//! # MTLS306 pkcs12-keychain-incompatible
//!
//! ## What it does
//! Reads which algorithms protect a PKCS#12 `--client-cert` (their identifiers are in
//! the clear) and reports the ones common OS keychains refuse: AES-256-CBC with
//! PBKDF2 (PBES2, the OpenSSL 3 default), which older macOS keychains and Windows before
//! Windows 10 1709 / Server 2016 cannot import; RC2-40 (the "legacy" OpenSSL 1.x
//! default for certificates), which OpenSSL 3 only reads with its legacy provider and
//! which modern systems that dropped weak ciphers refuse; and, as information,
//! PBE-SHA1-3DES alone, which imports everywhere and OpenSSL 3 reads without `-legacy`,
//! but is weak.
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
            // RC2 is in OpenSSL 3's legacy provider; 3DES is in its default provider.
            let rc2 = alg.crypto.contains(&P12Crypto::Rc2_40);
            let triple_des_only = !rc2 && alg.crypto.contains(&P12Crypto::TripleDes);
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
            if rc2 {
                let mut f = Finding::new(
                    &INFO,
                    Location::File(client.path.clone()),
                    format!(
                        "{path} is encrypted with legacy algorithms (RC2-40{}, MAC {}): OpenSSL 3 reads RC2 only with -legacy, and current keychains that dropped weak ciphers refuse it",
                        if alg.crypto.contains(&P12Crypto::TripleDes) { " and 3DES" } else { "" },
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
            } else if triple_des_only {
                // Measured: OpenSSL 3.0 reads PBE-SHA1-3DES without -legacy.
                out.push(
                    Finding::new(
                        &INFO,
                        Location::File(client.path.clone()),
                        format!(
                            "{path} is encrypted with PBE-SHA1-3DES (MAC {}): older and current keychains import it and OpenSSL 3 reads it without -legacy, but 3DES and SHA-1 are weak",
                            alg.mac.as_deref().unwrap_or("unknown")
                        ),
                    )
                    .help("keep this copy for the systems that need it (nginx-mtls-lint p12 --profile compatible) and give the others a modern one (--profile modern)"),
                );
            }
        }
    }
}
