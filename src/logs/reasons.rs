//! What each client-certificate failure means, how to fix it, and which lint rule family
//! catches it before deploy. This is the one table the reports use.
//!
//! Keys are the reason texts nginx writes: the part after `FAILED:` in
//! `$ssl_client_verify`, OpenSSL's `X509_verify_cert_error_string()` in the error log's
//! `client SSL certificate verify error: (N:reason)`, or nginx's OCSP status strings.
//! Each reason names the lint rules that catch its cause before deployment
//! (`nginx-mtls-lint rule CODE` documents them).

pub struct Reason {
    /// The reason text, as nginx/OpenSSL writes it (matched case-insensitively).
    pub key: &'static str,
    pub explanation: &'static str,
    pub fix: &'static str,
    /// Lint rule families that catch this before deploy.
    pub rules: &'static [&'static str],
}

/// The explanation used for `NONE` (no certificate) when the request was refused.
pub const NO_CERT: Reason = Reason {
    key: "no required SSL certificate",
    explanation: "No required SSL certificate was sent: the client did not present a certificate while `ssl_verify_client on` requires one (nginx answers 400).",
    fix: "configure the client to send its certificate and key (curl --cert/--key); check that the client's certificate is issued by a CA listed in ssl_client_certificate (clients only offer certificates from the CA names nginx sends), or use `ssl_verify_client optional` for endpoints that may be reached without one",
    rules: &["MTLS114", "MTLS116", "MTLS301"],
};

pub const TABLE: &[Reason] = &[
    Reason {
        key: "certificate has expired",
        explanation: "the client certificate (or a CA in its chain) is past notAfter",
        fix: "re-issue it (or renew the expired CA) and deploy it to the client; watch the `expiring` table to renew before the date",
        rules: &["MTLS201", "MTLS304", "MTLS301"],
    },
    Reason {
        key: "certificate is not yet valid",
        explanation: "the client certificate's notBefore is in the future (clock skew or a certificate issued with a future start date)",
        fix: "check the clocks of the CA host and of nginx (NTP); re-issue with a start date in the past",
        rules: &["MTLS201", "MTLS304"],
    },
    Reason {
        key: "unable to get local issuer certificate",
        explanation: "the intermediate is missing: nginx cannot build a chain from the client certificate to a CA it trusts",
        fix: "send the intermediate from the client (certificate file = leaf + intermediates), or add it to ssl_client_certificate / ssl_trusted_certificate; if the issuing CA is not one you trust, this client is simply not allowed",
        rules: &["MTLS105", "MTLS301"],
    },
    Reason {
        key: "unable to verify the first certificate",
        explanation: "the client sent only its leaf certificate and nginx does not have its issuer",
        fix: "add the issuing CA (or intermediate) to ssl_client_certificate / ssl_trusted_certificate, or make the client send the intermediate",
        rules: &["MTLS105", "MTLS305", "MTLS301"],
    },
    Reason {
        key: "unable to get issuer certificate",
        explanation: "a CA certificate in the chain is known but its own issuer is not",
        fix: "add the missing upper CA (up to the root) to ssl_client_certificate / ssl_trusted_certificate",
        rules: &["MTLS105", "MTLS106"],
    },
    Reason {
        key: "self-signed certificate",
        explanation: "the client sent a self-signed certificate that is not in nginx's trusted CA file",
        fix: "issue the client certificate from the CA in ssl_client_certificate (or add this certificate there if it really is meant to be trusted)",
        rules: &["MTLS301"],
    },
    Reason {
        key: "self-signed certificate in certificate chain",
        explanation: "the client's chain ends in a root CA that nginx does not trust",
        fix: "add that root to ssl_client_certificate, or issue the client certificate from a CA nginx trusts",
        rules: &["MTLS301"],
    },
    Reason {
        key: "unsuitable certificate purpose",
        explanation: "the certificate's extended key usage does not allow client authentication",
        fix: "re-issue it with extendedKeyUsage = clientAuth (a serverAuth-only certificate cannot be used as a client certificate)",
        rules: &["MTLS301"],
    },
    Reason {
        key: "certificate chain too long",
        explanation: "the chain from the client certificate to the trusted CA is deeper than ssl_verify_depth allows",
        fix: "raise ssl_verify_depth to the number of CAs between the leaf and the root (the default is 1)",
        rules: &["MTLS106"],
    },
    Reason {
        key: "certificate revoked",
        explanation: "the client certificate is listed in the CRL (ssl_crl) or the OCSP responder says it is revoked",
        fix: "this client must get a new certificate; if the revocation is a mistake, re-issue rather than un-revoke",
        rules: &["MTLS301"],
    },
    Reason {
        key: "CRL has expired",
        explanation: "the CRL in ssl_crl is past its nextUpdate, so OpenSSL fails every client of that CA",
        fix: "publish a fresh CRL from the CA, deploy it to ssl_crl and reload nginx; automate this before nextUpdate",
        rules: &["MTLS107"],
    },
    Reason {
        key: "CRL is not yet valid",
        explanation: "the CRL's thisUpdate is in the future (clock skew)",
        fix: "check the clocks of the CA host and of nginx; regenerate the CRL",
        rules: &["MTLS107"],
    },
    Reason {
        key: "unable to get certificate CRL",
        explanation: "ssl_crl is set but has no CRL for a CA in the chain (with ssl_crl, OpenSSL checks every level)",
        fix: "add a CRL for every CA in the chain (root and intermediates) to the ssl_crl file",
        rules: &["MTLS109", "MTLS108"],
    },
    Reason {
        key: "certificate signature failure",
        explanation: "the signature on a certificate in the chain does not verify (corrupt or forged certificate, or a CA certificate with the same name but another key)",
        fix: "check that ssl_client_certificate holds the CA that really issued the client certificate (same key); re-issue the client certificate",
        rules: &["MTLS301"],
    },
    Reason {
        key: "invalid CA certificate",
        explanation: "a certificate used as a CA in the chain is not marked as a CA (basicConstraints CA:TRUE missing)",
        fix: "re-issue the intermediate with basicConstraints=critical,CA:TRUE and keyUsage keyCertSign",
        rules: &["MTLS104", "MTLS301"],
    },
    Reason {
        key: "key usage does not include certificate signing",
        explanation: "a CA certificate in the chain lacks keyUsage keyCertSign",
        fix: "re-issue the CA certificate with keyUsage = keyCertSign, cRLSign",
        rules: &["MTLS104"],
    },
    Reason {
        key: "certificate status request failed",
        explanation: "nginx could not get an OCSP status for the client certificate (ssl_ocsp on)",
        fix: "check that the OCSP responder (certificate AIA or ssl_ocsp_responder) is reachable from nginx and a resolver is configured",
        rules: &["MTLS301"],
    },
    Reason {
        key: "OCSP",
        explanation: "OCSP checking of the client certificate failed (ssl_ocsp)",
        fix: "check the OCSP responder (ssl_ocsp_responder or the certificate's AIA), the resolver, and ssl_ocsp_cache",
        rules: &["MTLS301"],
    },
];

/// The table entry for a reason text (exact, case-insensitive; then the longest entry
/// contained in the text).
pub fn lookup(reason: &str) -> Option<&'static Reason> {
    let r = reason.trim();
    if let Some(e) = TABLE.iter().find(|e| e.key.eq_ignore_ascii_case(r)) {
        return Some(e);
    }
    // OpenSSL 1.1 spells it "self signed certificate".
    let norm = r.replace("self signed", "self-signed");
    if let Some(e) = TABLE.iter().find(|e| e.key.eq_ignore_ascii_case(&norm)) {
        return Some(e);
    }
    let lower = norm.to_ascii_lowercase();
    TABLE
        .iter()
        .filter(|e| lower.contains(&e.key.to_ascii_lowercase()))
        .max_by_key(|e| e.key.len())
}

/// The reason part of a `$ssl_client_verify` value (`FAILED:reason` -> `reason`).
pub fn verify_reason(verify: &str) -> Option<&str> {
    verify.strip_prefix("FAILED:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert!(lookup("certificate has expired").is_some_and(|r| r.fix.contains("re-issue")));
        assert_eq!(
            lookup("self signed certificate").map(|r| r.key),
            Some("self-signed certificate")
        );
        assert!(
            lookup("unsuitable certificate purpose").is_some_and(|r| r.fix.contains("clientAuth"))
        );
        assert!(
            lookup("certificate chain too long")
                .is_some_and(|r| r.fix.contains("ssl_verify_depth"))
        );
        assert!(lookup("something new").is_none());
    }
}
