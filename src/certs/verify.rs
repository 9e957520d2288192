//! A model of OpenSSL 3's `X509_verify_cert()` as nginx runs it on a client certificate.
//!
//! nginx installs a verify callback that always returns 1, so OpenSSL never stops at an
//! error: it records it (`X509_STORE_CTX_set_error`) and goes on. What nginx reports in
//! `$ssl_client_verify` (`FAILED:<reason>`) and in the error log is the error left at
//! the end, i.e. the LAST one raised. [`verify`] therefore returns every error in the
//! order OpenSSL raises them.
//!
//! The phases, in OpenSSL's order (`verify_chain()`):
//! 1. build the chain (`build_chain()`): trusted store first (`X509_V_FLAG_TRUSTED_FIRST`
//!    is the default), then the certificates the client sent; issuers are found by
//!    subject name, authority key identifier and key type, not by signature. No partial
//!    chains: a chain is trusted only when it ends in a self-signed certificate from the
//!    store, or in a store certificate whose OpenSSL trust settings (`TRUSTED
//!    CERTIFICATE`) allow clientAuth; settings that exclude clientAuth raise "certificate
//!    rejected", raised again as the chain's error, then "unsuitable certificate purpose". `ssl_verify_depth N` allows N intermediates (leaf and trust anchor not
//!    counted): a chain is never extended past N+1 certificates.
//! 2. extensions, bottom-up (`check_extensions()`): unhandled critical extensions, CA
//!    flags of issuers, purpose `sslclient` on every certificate (the leaf's EKU and
//!    keyUsage, and the EKU of every CA), pathLen.
//! 3. revocation, bottom-up, when `ssl_crl` is set (nginx then sets
//!    `X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL`).
//! 4. signatures and validity periods, TOP-DOWN from the trust anchor (`internal_verify()`).
//!
//! Not modelled: security level checks (key sizes, digest strength), name constraints,
//! policies, nsCertType, DANE, proxy certificates, delta CRLs, CRL distribution point
//! scoping beyond "no IDP".

use serde::Serialize;
use x509_parser::certificate::X509Certificate;
use x509_parser::error::X509Error;
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

use super::info::{CertInfo, check_akid, ku};
use super::load::{Bundle, Certificate, ClientChain, Crl};
use super::profile::Openssl;

/// An `X509_V_ERR_*` code with OpenSSL 3's text (`X509_verify_cert_error_string()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[repr(u32)]
pub enum VerifyErrorCode {
    UnableToGetIssuerCert = 2,
    UnableToGetCrl = 3,
    UnableToDecodeIssuerPublicKey = 6,
    CertSignatureFailure = 7,
    CrlSignatureFailure = 8,
    CertNotYetValid = 9,
    CertHasExpired = 10,
    CrlNotYetValid = 11,
    CrlHasExpired = 12,
    DepthZeroSelfSignedCert = 18,
    SelfSignedCertInChain = 19,
    UnableToGetIssuerCertLocally = 20,
    UnableToVerifyLeafSignature = 21,
    CertChainTooLong = 22,
    CertRevoked = 23,
    CertUntrusted = 27,
    CertRejected = 28,
    PathLengthExceeded = 25,
    InvalidPurpose = 26,
    KeyUsageNoCertSign = 32,
    UnableToGetCrlIssuer = 33,
    UnhandledCriticalExtension = 34,
    KeyUsageNoCrlSign = 35,
    UnhandledCriticalCrlExtension = 36,
    DifferentCrlScope = 44,
    InvalidCa = 79,
}

impl VerifyErrorCode {
    /// Every code the model raises.
    pub const ALL: &[VerifyErrorCode] = &[
        VerifyErrorCode::UnableToGetIssuerCert,
        VerifyErrorCode::UnableToGetCrl,
        VerifyErrorCode::UnableToDecodeIssuerPublicKey,
        VerifyErrorCode::CertSignatureFailure,
        VerifyErrorCode::CrlSignatureFailure,
        VerifyErrorCode::CertNotYetValid,
        VerifyErrorCode::CertHasExpired,
        VerifyErrorCode::CrlNotYetValid,
        VerifyErrorCode::CrlHasExpired,
        VerifyErrorCode::DepthZeroSelfSignedCert,
        VerifyErrorCode::SelfSignedCertInChain,
        VerifyErrorCode::UnableToGetIssuerCertLocally,
        VerifyErrorCode::UnableToVerifyLeafSignature,
        VerifyErrorCode::CertChainTooLong,
        VerifyErrorCode::CertRevoked,
        VerifyErrorCode::CertUntrusted,
        VerifyErrorCode::CertRejected,
        VerifyErrorCode::PathLengthExceeded,
        VerifyErrorCode::InvalidPurpose,
        VerifyErrorCode::KeyUsageNoCertSign,
        VerifyErrorCode::UnableToGetCrlIssuer,
        VerifyErrorCode::UnhandledCriticalExtension,
        VerifyErrorCode::KeyUsageNoCrlSign,
        VerifyErrorCode::UnhandledCriticalCrlExtension,
        VerifyErrorCode::DifferentCrlScope,
        VerifyErrorCode::InvalidCa,
    ];
}

impl VerifyErrorCode {
    /// The numeric `X509_V_ERR_*` value (as in nginx's "client SSL certificate verify
    /// error: (N:...)" log line).
    pub fn code(self) -> u32 {
        self as u32
    }

    /// OpenSSL 3's exact text, as in `$ssl_client_verify` `FAILED:<text>`.
    pub fn as_str(self) -> &'static str {
        use VerifyErrorCode::*;
        match self {
            UnableToGetIssuerCert => "unable to get issuer certificate",
            UnableToGetCrl => "unable to get certificate CRL",
            UnableToDecodeIssuerPublicKey => "unable to decode issuer public key",
            CertSignatureFailure => "certificate signature failure",
            CrlSignatureFailure => "CRL signature failure",
            CertNotYetValid => "certificate is not yet valid",
            CertHasExpired => "certificate has expired",
            CrlNotYetValid => "CRL is not yet valid",
            CrlHasExpired => "CRL has expired",
            DepthZeroSelfSignedCert => "self-signed certificate",
            SelfSignedCertInChain => "self-signed certificate in certificate chain",
            UnableToGetIssuerCertLocally => "unable to get local issuer certificate",
            UnableToVerifyLeafSignature => "unable to verify the first certificate",
            CertChainTooLong => "certificate chain too long",
            CertRevoked => "certificate revoked",
            CertUntrusted => "certificate not trusted",
            CertRejected => "certificate rejected",
            PathLengthExceeded => "path length constraint exceeded",
            InvalidPurpose => "unsuitable certificate purpose",
            KeyUsageNoCertSign => "key usage does not include certificate signing",
            UnableToGetCrlIssuer => "unable to get CRL issuer certificate",
            UnhandledCriticalExtension => "unhandled critical extension",
            KeyUsageNoCrlSign => "key usage does not include CRL signing",
            UnhandledCriticalCrlExtension => "unhandled critical CRL extension",
            DifferentCrlScope => "different CRL scope",
            InvalidCa => "invalid CA certificate",
        }
    }
}

impl VerifyErrorCode {
    /// The text of this error in the given OpenSSL release line.
    pub fn text(self, openssl: Openssl) -> &'static str {
        super::error_strings::CHANGES
            .iter()
            .filter(|(line, code, _)| {
                *code == self.code() && Openssl::new(line.0, line.1) <= openssl
            })
            .map(|(_, _, t)| *t)
            .next_back()
            .unwrap_or_else(|| self.as_str())
    }

    /// Errors `ssl_verify_client optional_no_ca` lets through (nginx's
    /// `ngx_ssl_verify_error_optional()`): the request is served with
    /// `$ssl_client_verify` = `FAILED:...` when one of these is the final error.
    pub fn tolerated_by_optional_no_ca(self) -> bool {
        use VerifyErrorCode::*;
        matches!(
            self,
            DepthZeroSelfSignedCert
                | SelfSignedCertInChain
                | UnableToGetIssuerCertLocally
                | UnableToVerifyLeafSignature
                | CertUntrusted
        )
    }
}

impl std::fmt::Display for VerifyErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One error raised during verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyError {
    pub code: VerifyErrorCode,
    /// Depth in the chain (0 = the client's certificate), as OpenSSL reports it.
    pub depth: usize,
    /// Subject (RFC 2253) of the certificate the error is about.
    pub subject: String,
}

/// Verification settings, as nginx sets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyParams {
    /// `ssl_verify_depth` (nginx's default is 1).
    pub depth: u32,
    /// The time to verify at (unix seconds).
    pub time: i64,
    /// `ssl_crl` is set: CRL checks for every certificate of the chain.
    pub crl_check: bool,
    /// The OpenSSL release line nginx runs with.
    pub openssl: Openssl,
    /// Whose certificate is verified: a client's (nginx as the server, `sslclient`
    /// purpose) or a backend's (nginx as the client of an upstream, `sslserver`).
    pub purpose: Purpose,
}

/// The purpose (and trust) OpenSSL checks: `SSL_accept` verifies a client
/// (`X509_PURPOSE_SSL_CLIENT`), `SSL_connect` a server (`X509_PURPOSE_SSL_SERVER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    #[default]
    SslClient,
    SslServer,
}

/// nginx's default `ssl_verify_depth`.
pub const NGINX_DEFAULT_DEPTH: u32 = 1;

impl VerifyParams {
    /// nginx's defaults (depth 1, no CRL) at the given time.
    pub fn nginx_default(time: i64) -> VerifyParams {
        VerifyParams {
            depth: NGINX_DEFAULT_DEPTH,
            time,
            crl_check: false,
            openssl: Openssl::NEWEST,
            purpose: Purpose::SslClient,
        }
    }
}

/// Where a certificate of the built chain came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "index")]
pub enum ChainSource {
    /// The client's certificate.
    Leaf,
    /// The n-th (0-based) certificate the client sent after its own.
    Untrusted(usize),
    /// The n-th (0-based) certificate of the trust store.
    Trusted(usize),
}

/// One certificate of the built chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainLink {
    pub source: ChainSource,
    pub subject: String,
    pub issuer: String,
    /// Taken from the trust store.
    pub trusted: bool,
}

/// What OpenSSL would conclude.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyResult {
    /// The chain as built, leaf first (as far as building got).
    pub chain: Vec<ChainLink>,
    /// Every error, in the order OpenSSL raises them.
    pub errors: Vec<VerifyError>,
    /// The chain ends in a self-signed certificate from the trust store.
    pub anchored: bool,
    /// Checks the model could not make (e.g. a signature algorithm it cannot verify).
    pub notes: Vec<String>,
    /// The OpenSSL release line verified for (its error texts).
    pub openssl: Openssl,
}

impl VerifyResult {
    /// The text of an error as this OpenSSL writes it.
    pub fn text(&self, code: VerifyErrorCode) -> &'static str {
        code.text(self.openssl)
    }

    /// No error at all.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// The error nginx reports: the last one raised.
    pub fn final_error(&self) -> Option<&VerifyError> {
        self.errors.last()
    }

    /// nginx's `[info]` error-log message for a rejected certificate, e.g.
    /// `client SSL certificate verify error: (21:unable to verify the first certificate)`
    /// (nginx appends ` while reading client request headers, client: ...`).
    pub fn nginx_error_log_message(&self) -> Option<String> {
        self.final_error().map(|e| {
            format!(
                "client SSL certificate verify error: ({}:{})",
                e.code.code(),
                self.text(e.code)
            )
        })
    }

    /// `$ssl_client_verify` for this certificate: `SUCCESS` or `FAILED:<reason>`.
    pub fn nginx_verify_value(&self) -> String {
        match self.final_error() {
            None => "SUCCESS".to_owned(),
            Some(e) => format!("FAILED:{}", self.text(e.code)),
        }
    }
}

/// The material of one verification.
#[derive(Debug, Clone, Copy)]
pub struct VerifyInput<'a> {
    /// The client's certificate.
    pub leaf: &'a Certificate,
    /// The other certificates the client sent, in the order sent.
    pub untrusted: &'a [Certificate],
    /// The trust store: `ssl_client_certificate` then `ssl_trusted_certificate`.
    pub trusted: &'a [Certificate],
    /// CRLs (`ssl_crl`); used only when [`VerifyParams::crl_check`] is set.
    pub crls: &'a [Crl],
}

#[derive(Clone, Copy)]
struct Link<'a> {
    cert: &'a Certificate,
    source: ChainSource,
}

impl Link<'_> {
    fn trusted(&self) -> bool {
        matches!(self.source, ChainSource::Trusted(_))
    }
}

struct Ctx<'a> {
    input: VerifyInput<'a>,
    params: VerifyParams,
    chain: Vec<Link<'a>>,
    num_untrusted: usize,
    errors: Vec<VerifyError>,
    notes: Vec<String>,
}

/// The answer of `X509_check_trust()` for the `ssl_client` trust id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trust {
    Trusted,
    Rejected,
    Untrusted,
}

const EKU_CLIENT_AUTH: &str = "1.3.6.1.5.5.7.3.2";
const EKU_SERVER_AUTH: &str = "1.3.6.1.5.5.7.3.1";
const EKU_ANY: &str = "2.5.29.37.0";

/// `X509_check_trust(x, X509_TRUST_SSL_CLIENT, flags)` (`trust_1oidany()` ->
/// `obj_trust()`): explicit trust settings of a TRUSTED CERTIFICATE decide (clientAuth
/// or anyExtendedKeyUsage); without them a self-signed certificate is trusted unless
/// `no_ss_compat` (`X509_TRUST_NO_SS_COMPAT`, used by the purpose check).
fn ssl_trust(cert: &Certificate, no_ss_compat: bool, purpose: Purpose) -> Trust {
    let wanted = match purpose {
        Purpose::SslClient => EKU_CLIENT_AUTH,
        Purpose::SslServer => EKU_SERVER_AUTH,
    };
    let hit = |o: &String| o == wanted || o == EKU_ANY;
    if let Some(aux) = &cert.aux_trust {
        if aux.reject.iter().flatten().any(hit) {
            return Trust::Rejected;
        }
        if let Some(trust) = &aux.trust {
            return if trust.iter().any(hit) {
                Trust::Trusted
            } else {
                Trust::Rejected
            };
        }
    }
    if !no_ss_compat && cert.info.openssl_self_signed {
        Trust::Trusted
    } else {
        Trust::Untrusted
    }
}

/// `ossl_x509_likely_issued()`: name, AKID and key type fit; no signature check.
pub fn likely_issued(issuer: &CertInfo, subject: &CertInfo) -> bool {
    issuer.subject_canonical == subject.issuer_canonical
        && subject.authority_key_id.as_ref().is_none_or(|a| {
            check_akid(
                a,
                issuer.subject_key_id.as_deref(),
                &issuer.issuer_canonical,
                &issuer.serial_bytes,
            )
        })
        && issuer.key_kind == subject.signature_key_kind
}

/// Validity-period errors for a certificate at `t`, as OpenSSL 3.0 checks them:
/// not yet valid when notBefore > t, expired when notAfter <= t.
fn time_errors(info: &CertInfo, t: i64) -> Vec<VerifyErrorCode> {
    let mut v = Vec::new();
    if info.not_before > t {
        v.push(VerifyErrorCode::CertNotYetValid);
    }
    if info.not_after <= t {
        v.push(VerifyErrorCode::CertHasExpired);
    }
    v
}

fn time_ok(info: &CertInfo, t: i64) -> bool {
    time_errors(info, t).is_empty()
}

/// `check_ca()`: 0 = not a CA, 1 = basicConstraints CA, 3/4 = legacy CA forms.
fn check_ca(info: &CertInfo) -> u8 {
    if info.key_usage.is_some_and(|k| k & ku::KEY_CERT_SIGN == 0) {
        return 0;
    }
    match info.basic_constraints {
        Some(bc) => u8::from(bc.ca),
        None if info.version == 1 && info.openssl_self_signed => 3,
        None if info.key_usage.is_some() => 4,
        None => 0,
    }
}

/// `X509_check_purpose(x, X509_PURPOSE_SSL_CLIENT, require_ca)`.
pub fn purpose_ssl_client(info: &CertInfo, require_ca: bool) -> bool {
    if info
        .extended_key_usage
        .as_ref()
        .is_some_and(|e| !e.client_auth)
    {
        return false;
    }
    if require_ca {
        return check_ca(info) != 0;
    }
    info.key_usage
        .is_none_or(|k| k & (ku::DIGITAL_SIGNATURE | ku::KEY_AGREEMENT) != 0)
}

/// `X509_check_purpose(x, X509_PURPOSE_SSL_SERVER, require_ca)`: an EKU needs
/// serverAuth; a leaf's keyUsage needs digitalSignature, keyEncipherment or
/// keyAgreement.
pub fn purpose_ssl_server(info: &CertInfo, require_ca: bool) -> bool {
    if info
        .extended_key_usage
        .as_ref()
        .is_some_and(|e| !e.server_auth)
    {
        return false;
    }
    if require_ca {
        return check_ca(info) != 0;
    }
    info.key_usage
        .is_none_or(|k| k & (ku::DIGITAL_SIGNATURE | ku::KEY_ENCIPHERMENT | ku::KEY_AGREEMENT) != 0)
}

impl<'a> Ctx<'a> {
    fn error(&mut self, code: VerifyErrorCode, depth: usize, cert: &Certificate) {
        self.errors.push(VerifyError {
            code,
            depth,
            subject: cert.info.subject.clone(),
        });
    }

    fn in_chain(&self, c: &Certificate) -> bool {
        self.chain.iter().any(|l| l.cert.der == c.der)
    }

    /// `X509_STORE_CTX_get1_issuer()` on the trust store.
    fn trusted_issuer(&self, x: &CertInfo) -> Option<Link<'a>> {
        let t = self.params.time;
        let mut best: Option<(usize, &'a Certificate)> = None;
        for (i, c) in self.input.trusted.iter().enumerate() {
            if !likely_issued(&c.info, x) {
                continue;
            }
            if time_ok(&c.info, t) {
                best = Some((i, c));
                break;
            }
            if best.is_none_or(|(_, b)| c.info.not_after > b.info.not_after) {
                best = Some((i, c));
            }
        }
        best.map(|(i, cert)| Link {
            cert,
            source: ChainSource::Trusted(i),
        })
    }

    /// `get0_best_issuer_sk()` over what the client sent, without duplicates.
    fn untrusted_issuer(&self, x: &CertInfo, pool: &[(usize, &'a Certificate)]) -> Option<usize> {
        let t = self.params.time;
        let mut best: Option<usize> = None;
        for (pi, (_, c)) in pool.iter().enumerate() {
            if !(x.self_issued && self.chain.len() == 1) && self.in_chain(c) {
                continue;
            }
            if !likely_issued(&c.info, x) {
                continue;
            }
            if time_ok(&c.info, t) {
                return Some(pi);
            }
            if best.is_none_or(|b| c.info.not_after > pool[b].1.info.not_after) {
                best = Some(pi);
            }
        }
        best
    }

    /// `check_trust()` from chain index `from` on (no partial chains): the first
    /// trusted or rejected certificate decides; a rejected one raises "certificate
    /// rejected" and leaves the chain untrusted.
    fn check_trust(&mut self, from: usize) -> bool {
        for i in from..self.chain.len() {
            let cert = self.chain[i].cert;
            match ssl_trust(cert, false, self.params.purpose) {
                Trust::Trusted => return true,
                Trust::Rejected => {
                    self.error(VerifyErrorCode::CertRejected, i, cert);
                    return false;
                }
                Trust::Untrusted => {}
            }
        }
        false
    }

    fn build_chain(&mut self) -> bool {
        // The chain is never extended past depth + 1 certificates. Store certificates
        // are not de-duplicated (neither are they in OpenSSL), so certificates issuing
        // each other could grow it until then: a chain longer than all the material
        // given must repeat itself, and is cut there (reported as too long, as
        // OpenSSL would once it reached the depth limit).
        let material = self.input.untrusted.len() + self.input.trusted.len() + 1;
        let max_depth = usize::try_from(self.params.depth)
            .unwrap_or(usize::MAX)
            .min(material)
            + 1;
        // nginx passes the whole peer chain, leaf included, as the untrusted stack.
        let mut pool: Vec<(usize, &'a Certificate)> = Vec::new();
        pool.push((usize::MAX, self.input.leaf));
        pool.extend(self.input.untrusted.iter().enumerate());
        let mut search_untrusted = true;
        let mut search_trusted = true;
        let mut trusted = false;
        while search_untrusted || search_trusted {
            let num = self.chain.len();
            if search_trusted {
                let curr = self.chain[num - 1];
                let found = if num > max_depth {
                    None
                } else {
                    self.trusted_issuer(&curr.cert.info)
                };
                if let Some(issuer) = found {
                    // (usable, the new top is self-signed, index of the new trusted cert)
                    let (ok, self_signed, from) = if !curr.cert.info.openssl_self_signed {
                        self.chain.push(issuer);
                        (true, issuer.cert.info.openssl_self_signed, num)
                    } else if curr.cert.der != issuer.cert.der {
                        // A self-signed look-alike of a trust anchor.
                        (false, true, num)
                    } else {
                        // The client sent the trust anchor itself: use the store's copy.
                        self.chain[num - 1] = issuer;
                        self.num_untrusted = num - 1;
                        (true, true, num - 1)
                    };
                    if ok {
                        search_untrusted = false;
                        trusted = self.check_trust(from);
                        if trusted {
                            break;
                        }
                        if !self_signed {
                            continue;
                        }
                    }
                }
                if !search_untrusted {
                    break;
                }
            }
            if search_untrusted {
                let num = self.chain.len();
                let curr = self.chain[num - 1];
                let pick = if curr.cert.info.openssl_self_signed || num > max_depth {
                    None
                } else {
                    self.untrusted_issuer(&curr.cert.info, &pool)
                };
                match pick {
                    None => {
                        search_untrusted = false;
                        search_trusted = true;
                    }
                    Some(pi) => {
                        let (idx, cert) = pool.remove(pi);
                        let source = if idx == usize::MAX {
                            ChainSource::Leaf
                        } else {
                            ChainSource::Untrusted(idx)
                        };
                        self.chain.push(Link { cert, source });
                        self.num_untrusted += 1;
                    }
                }
            }
        }
        if trusted {
            return true;
        }
        let num = self.chain.len();
        let top = self.chain[num - 1].cert;
        // "A preliminary error has become final": an error raised while building
        // (certificate rejected) is raised again for the top certificate, instead of
        // the usual chain errors.
        if let Some(prev) = self.errors.last().map(|e| e.code) {
            self.error(prev, num - 1, top);
            return false;
        }
        if num > max_depth {
            self.error(VerifyErrorCode::CertChainTooLong, num - 1, top);
        }
        let code = if top.info.openssl_self_signed {
            if num == 1 {
                VerifyErrorCode::DepthZeroSelfSignedCert
            } else {
                VerifyErrorCode::SelfSignedCertInChain
            }
        } else if self.num_untrusted < num {
            VerifyErrorCode::UnableToGetIssuerCert
        } else {
            VerifyErrorCode::UnableToGetIssuerCertLocally
        };
        self.error(code, num - 1, top);
        false
    }

    fn check_extensions(&mut self) {
        let num = self.chain.len();
        let mut plen: u32 = 0;
        for i in 0..num {
            let cert = self.chain[i].cert;
            let info = &cert.info;
            if !info.unhandled_critical.is_empty() {
                self.error(VerifyErrorCode::UnhandledCriticalExtension, i, cert);
            }
            if i > 0 {
                let ret = check_ca(info);
                if ret == 0 || (i + 1 < num && ret != 1) {
                    self.error(VerifyErrorCode::InvalidCa, i, cert);
                }
            }
            // check_purpose(): trust settings of a store certificate override the
            // purpose check; otherwise X509_check_purpose(sslclient).
            let trust = if self.chain[i].trusted() {
                ssl_trust(cert, true, self.params.purpose)
            } else {
                Trust::Untrusted
            };
            let purpose_ok = match trust {
                Trust::Trusted => true,
                Trust::Rejected => false,
                Trust::Untrusted => match self.params.purpose {
                    Purpose::SslClient => purpose_ssl_client(info, i > 0),
                    Purpose::SslServer => purpose_ssl_server(info, i > 0),
                },
            };
            if !purpose_ok {
                self.error(VerifyErrorCode::InvalidPurpose, i, cert);
            }
            if let Some(pl) = info.basic_constraints.and_then(|b| b.path_len)
                && i > 1
                && plen > pl
            {
                self.error(VerifyErrorCode::PathLengthExceeded, i, cert);
            }
            if i > 0 && !info.self_issued {
                plen += 1;
            }
        }
    }

    fn crl_time_errors(&self, crl: &Crl) -> Vec<VerifyErrorCode> {
        let t = self.params.time;
        let mut v = Vec::new();
        if crl.info.this_update > t {
            v.push(VerifyErrorCode::CrlNotYetValid);
        }
        if crl.info.next_update.is_some_and(|n| n <= t) {
            v.push(VerifyErrorCode::CrlHasExpired);
        }
        v
    }

    /// `get_crl_score()`: 0 = unusable; else bits as in OpenSSL, the chain index of the
    /// CRL's issuer, and whether the CRL covers all revocation reasons.
    fn crl_score(&self, crl: &Crl, i: usize) -> (u32, usize, bool) {
        const NOCRITICAL: u32 = 0x100;
        const SCOPE: u32 = 0x080;
        const TIME: u32 = 0x040;
        const ISSUER_NAME: u32 = 0x020;
        const ISSUER_CERT: u32 = 0x018;
        const AKID: u32 = 0x004;
        const SAME_PATH: u32 = 0x008;
        let x = &self.chain[i].cert.info;
        if crl.info.is_delta || crl.info.issuer_canonical != x.issuer_canonical {
            return (0, 0, false);
        }
        // Without X509_V_FLAG_EXTENDED_CRL_SUPPORT (nginx never sets it), indirect CRLs
        // and CRLs for some reasons only are ignored; so are invalid IDPs.
        if crl
            .info
            .idp
            .as_ref()
            .is_some_and(|p| p.is_invalid() || p.indirect || p.has_reasons)
        {
            return (0, 0, false);
        }
        let mut score = ISSUER_NAME;
        if !crl.info.unhandled_critical {
            score |= NOCRITICAL;
        }
        if self.crl_time_errors(crl).is_empty() {
            score |= TIME;
        }
        let last = self.chain.len() - 1;
        let matches = |c: &CertInfo| {
            c.subject_canonical == crl.info.issuer_canonical
                && crl.info.authority_key_id.as_ref().is_none_or(|a| {
                    check_akid(
                        a,
                        c.subject_key_id.as_deref(),
                        &c.issuer_canonical,
                        &c.serial_bytes,
                    )
                })
        };
        let first = if i == last { i } else { i + 1 };
        let issuer_idx = if matches(&self.chain[first].cert.info) {
            score |= AKID | ISSUER_CERT;
            first
        } else if let Some(j) = (first + 1..=last).find(|&j| matches(&self.chain[j].cert.info)) {
            score |= AKID | SAME_PATH;
            j
        } else {
            return (0, 0, false);
        };
        let all_reasons = match crl_in_scope(x, &crl.info) {
            Some(all) => {
                score |= SCOPE;
                all
            }
            None => false,
        };
        (score, issuer_idx, all_reasons)
    }

    fn check_revocation(&mut self) {
        let crls = self.input.crls;
        for i in 0..self.chain.len() {
            // OpenSSL 3.0 to 3.5 check every certificate, the self-signed root included
            // (it needs a CRL from itself); 3.6 and later skip self-signed ones.
            let cert = self.chain[i].cert;
            if self.params.openssl.skips_self_signed_crl() && cert.info.openssl_self_signed {
                continue;
            }
            let mut best: Option<(&Crl, u32, usize, bool)> = None;
            for crl in crls {
                let (score, issuer, all) = self.crl_score(crl, i);
                if score == 0 {
                    continue;
                }
                match best {
                    Some((_, bs, _, _)) if score < bs => continue,
                    Some((b, bs, _, _))
                        if score == bs && crl.info.this_update <= b.info.this_update =>
                    {
                        continue;
                    }
                    _ => best = Some((crl, score, issuer, all)),
                }
            }
            let Some((crl, score, issuer_idx, all_reasons)) = best else {
                self.error(VerifyErrorCode::UnableToGetCrl, i, cert);
                continue;
            };
            let issuer = self.chain[issuer_idx].cert;
            if issuer.info.key_usage.is_some_and(|k| k & ku::CRL_SIGN == 0) {
                self.error(VerifyErrorCode::KeyUsageNoCrlSign, i, cert);
            }
            if score & 0x080 == 0 {
                self.error(VerifyErrorCode::DifferentCrlScope, i, cert);
            }
            if score & 0x040 == 0 {
                for code in self.crl_time_errors(crl) {
                    self.error(code, i, cert);
                }
            }
            match crl_signature(crl, issuer) {
                Ok(true) => {}
                Ok(false) => self.error(VerifyErrorCode::CrlSignatureFailure, i, cert),
                Err(note) => self.notes.push(format!("{}: {note}", crl.location())),
            }
            if crl.info.unhandled_critical {
                self.error(VerifyErrorCode::UnhandledCriticalCrlExtension, i, cert);
            }
            if crl
                .info
                .revoked
                .iter()
                .any(|r| r.serial_bytes == cert.info.serial_bytes && r.reason != Some(8))
            {
                self.error(VerifyErrorCode::CertRevoked, i, cert);
            }
            // check_cert_crl() loops until all revocation reasons are covered; a CRL out
            // of scope (or for some reasons only) covers none (or not all), and no other
            // CRL adds any: "unable to get certificate CRL".
            if !all_reasons {
                self.error(VerifyErrorCode::UnableToGetCrl, i, cert);
            }
        }
    }

    fn internal_verify(&mut self) {
        let t = self.params.time;
        let mut n = self.chain.len() - 1;
        let mut xi = n;
        let mut xs = n;
        let top = self.chain[n].cert;
        if !likely_issued(&top.info, &top.info) {
            if n > 0 {
                n -= 1;
                xs = n;
            } else {
                self.error(VerifyErrorCode::UnableToVerifyLeafSignature, 0, top);
            }
        }
        loop {
            let subject = self.chain[xs].cert;
            if xs != xi {
                let issuer = self.chain[xi].cert;
                if issuer
                    .info
                    .key_usage
                    .is_some_and(|k| k & ku::KEY_CERT_SIGN == 0)
                {
                    self.error(VerifyErrorCode::KeyUsageNoCertSign, xi, issuer);
                }
                match cert_signature(subject, issuer) {
                    Ok(true) => {}
                    Ok(false) => self.error(VerifyErrorCode::CertSignatureFailure, n, subject),
                    Err(note) => self.notes.push(format!("{}: {note}", subject.location())),
                }
            }
            for code in time_errors(&subject.info, t) {
                self.error(code, n, subject);
            }
            if n == 0 {
                break;
            }
            n -= 1;
            xi = xs;
            xs = n;
        }
    }
}

/// `crl_crldp_check()`: is the certificate within the CRL's scope? `Some(true)` when the
/// CRL covers every revocation reason for it, `Some(false)` when the matching
/// distribution point of the certificate lists only some reasons.
fn crl_in_scope(x: &CertInfo, crl: &super::info::CrlInfo) -> Option<bool> {
    use super::info::DpName;
    if let Some(idp) = &crl.idp {
        if idp.only_attr {
            return None;
        }
        if (x.is_ca() && idp.only_user) || (!x.is_ca() && idp.only_ca) {
            return None;
        }
    }
    // idp_check_dp(): absent names match anything; two full names match when they
    // share a general name; relative names are compared as never matching here.
    let names_match = |a: &Option<DpName>, b: &Option<DpName>| match (a, b) {
        (None, _) | (_, None) => true,
        (Some(DpName::Full(a)), Some(DpName::Full(b))) => a.iter().any(|n| b.contains(n)),
        _ => false,
    };
    let idp_name = crl.idp.as_ref().and_then(|p| p.name.clone());
    for dp in &x.crl_distribution_points {
        let issuer_ok = match &dp.crl_issuers {
            None => true,
            Some(names) => names.contains(&crl.issuer_canonical),
        };
        if issuer_ok && (crl.idp.is_none() || names_match(&dp.name, &idp_name)) {
            return Some(!dp.has_reasons);
        }
    }
    idp_name.is_none().then_some(true)
}

fn signature_result(r: Result<(), X509Error>) -> Result<bool, String> {
    match r {
        Ok(()) => Ok(true),
        Err(X509Error::SignatureVerificationError) => Ok(false),
        Err(e) => Err(format!("signature not checked by the model ({e})")),
    }
}

/// ring (behind x509-parser) refuses RSA keys below 2048 bits with the same error as a
/// bad signature; OpenSSL checks them (its security level may reject them instead).
fn checkable_key(issuer: &Certificate) -> Result<(), String> {
    if issuer.info.key_kind == super::info::KeyKind::Rsa && issuer.info.key_bits < 2048 {
        return Err(format!(
            "signature not checked by the model: {}-bit RSA key of {}",
            issuer.info.key_bits, issuer.info.subject
        ));
    }
    Ok(())
}

/// `issuer`'s key signed `subject` (or the model cannot check it: then only the names
/// and key identifiers decide, as [`likely_issued`]).
pub fn issued_by(subject: &Certificate, issuer: &Certificate) -> bool {
    cert_signature(subject, issuer).unwrap_or(true)
}

fn cert_signature(subject: &Certificate, issuer: &Certificate) -> Result<bool, String> {
    checkable_key(issuer)?;
    let (_, s) = X509Certificate::from_der(&subject.der).map_err(|e| e.to_string())?;
    let (_, i) = X509Certificate::from_der(&issuer.der).map_err(|e| e.to_string())?;
    signature_result(s.verify_signature(Some(i.public_key())))
}

fn crl_signature(crl: &Crl, issuer: &Certificate) -> Result<bool, String> {
    checkable_key(issuer)?;
    let (_, c) = CertificateRevocationList::from_der(&crl.der).map_err(|e| e.to_string())?;
    let (_, i) = X509Certificate::from_der(&issuer.der).map_err(|e| e.to_string())?;
    signature_result(c.verify_signature(i.public_key()))
}

/// Runs the model: what would OpenSSL (as nginx calls it) say about this client
/// certificate?
pub fn verify(input: VerifyInput<'_>, params: VerifyParams) -> VerifyResult {
    let mut ctx = Ctx {
        input,
        params,
        chain: vec![Link {
            cert: input.leaf,
            source: ChainSource::Leaf,
        }],
        num_untrusted: 1,
        errors: Vec::new(),
        notes: Vec::new(),
    };
    let anchored = ctx.build_chain();
    ctx.check_extensions();
    if params.crl_check {
        ctx.check_revocation();
    }
    ctx.internal_verify();
    VerifyResult {
        chain: ctx
            .chain
            .iter()
            .map(|l| ChainLink {
                source: l.source,
                subject: l.cert.info.subject.clone(),
                issuer: l.cert.info.issuer.clone(),
                trusted: l.trusted(),
            })
            .collect(),
        errors: ctx.errors,
        anchored,
        notes: ctx.notes,
        openssl: params.openssl,
    }
}

/// nginx's `X509_STORE` for client verification: the certificates and CRLs of
/// `ssl_client_certificate`, `ssl_trusted_certificate` and `ssl_crl`, in loading order.
/// Each of these files is read with `X509_load_cert_crl_file()`, so a certificate in the
/// `ssl_crl` file is a trust anchor too, and a CRL in a CA file is used once `ssl_crl`
/// turns CRL checking on. Exact duplicates are kept once, as `X509_STORE_add_cert()` does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustStore {
    pub certificates: Vec<Certificate>,
    pub crls: Vec<Crl>,
}

impl TrustStore {
    pub fn new() -> TrustStore {
        TrustStore::default()
    }

    /// Adds every certificate and CRL of a bundle.
    pub fn add_bundle(&mut self, bundle: &Bundle) {
        for c in &bundle.certificates {
            if !self.certificates.iter().any(|x| x.der == c.der) {
                self.certificates.push(c.clone());
            }
        }
        for c in &bundle.crls {
            if !self.crls.iter().any(|x| x.der == c.der) {
                self.crls.push(c.clone());
            }
        }
    }
}

/// Verifies what a client sends (curl `--cert`: leaf, then intermediates) against a
/// store, as nginx would.
pub fn verify_client(
    chain: &ClientChain,
    store: &TrustStore,
    params: VerifyParams,
) -> VerifyResult {
    verify(
        VerifyInput {
            leaf: &chain.leaf,
            untrusted: &chain.intermediates,
            trusted: &store.certificates,
            crls: &store.crls,
        },
        params,
    )
}
