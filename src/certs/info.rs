//! What a certificate or CRL says, in the forms nginx and OpenSSL print: the
//! [`CertInfo`] and [`CrlInfo`] views.

use serde::Serialize;
use sha1::{Digest, Sha1};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

use super::name::{self, CanonicalName};
pub use crate::util::time::rfc3339;

/// Key usage bits, numbered as in RFC 5280 (bit 0 = digitalSignature).
pub mod ku {
    pub const DIGITAL_SIGNATURE: u16 = 1 << 0;
    pub const NON_REPUDIATION: u16 = 1 << 1;
    pub const KEY_ENCIPHERMENT: u16 = 1 << 2;
    pub const DATA_ENCIPHERMENT: u16 = 1 << 3;
    pub const KEY_AGREEMENT: u16 = 1 << 4;
    pub const KEY_CERT_SIGN: u16 = 1 << 5;
    pub const CRL_SIGN: u16 = 1 << 6;
    pub const ENCIPHER_ONLY: u16 = 1 << 7;
    pub const DECIPHER_ONLY: u16 = 1 << 8;
}

const KU_NAMES: [&str; 9] = [
    "digitalSignature",
    "nonRepudiation",
    "keyEncipherment",
    "dataEncipherment",
    "keyAgreement",
    "keyCertSign",
    "cRLSign",
    "encipherOnly",
    "decipherOnly",
];

/// Extensions OpenSSL 3 understands; any other extension marked critical makes
/// `X509_verify_cert()` raise "unhandled critical extension" (`X509_supported_extension()`).
const SUPPORTED_CRITICAL: [&str; 15] = [
    "2.16.840.1.113730.1.1", // nsCertType
    "2.5.29.15",             // keyUsage
    "2.5.29.17",             // subjectAltName
    "2.5.29.19",             // basicConstraints
    "2.5.29.32",             // certificatePolicies
    "2.5.29.31",             // cRLDistributionPoints
    "2.5.29.37",             // extKeyUsage
    "1.3.6.1.5.5.7.1.7",     // sbgp-ipAddrBlock
    "1.3.6.1.5.5.7.1.8",     // sbgp-autonomousSysNum
    "1.3.6.1.5.5.7.48.1.5",  // OCSP noCheck
    "2.5.29.36",             // policyConstraints
    "1.3.6.1.5.5.7.1.14",    // proxyCertInfo
    "2.5.29.30",             // nameConstraints
    "2.5.29.33",             // policyMappings
    "2.5.29.54",             // inhibitAnyPolicy
];

/// The kind of a public key (or of the key a signature algorithm needs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    Rsa,
    Ec,
    Ed25519,
    Ed448,
    Dsa,
    Other,
}

impl KeyKind {
    fn from_key_oid(oid: &str) -> KeyKind {
        match oid {
            "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => KeyKind::Rsa,
            "1.2.840.10045.2.1" => KeyKind::Ec,
            "1.3.101.112" => KeyKind::Ed25519,
            "1.3.101.113" => KeyKind::Ed448,
            "1.2.840.10040.4.1" => KeyKind::Dsa,
            _ => KeyKind::Other,
        }
    }

    fn from_signature_oid(oid: &str) -> KeyKind {
        if oid.starts_with("1.2.840.113549.1.1.") {
            KeyKind::Rsa
        } else if oid.starts_with("1.2.840.10045.4.") {
            KeyKind::Ec
        } else if oid == "1.3.101.112" {
            KeyKind::Ed25519
        } else if oid == "1.3.101.113" {
            KeyKind::Ed448
        } else if oid.starts_with("1.2.840.10040.4.") || oid.starts_with("2.16.840.1.101.3.4.3.") {
            KeyKind::Dsa
        } else {
            KeyKind::Other
        }
    }
}

/// basicConstraints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BasicConstraints {
    pub ca: bool,
    pub path_len: Option<u32>,
    pub critical: bool,
}

/// extendedKeyUsage, as far as client authentication cares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExtendedKeyUsage {
    pub client_auth: bool,
    pub server_auth: bool,
    pub any: bool,
    /// Every purpose, by name where known, else dotted OID.
    pub names: Vec<String>,
}

/// authorityKeyIdentifier.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct AuthorityKeyId {
    /// keyIdentifier, lowercase hex.
    pub key_id: Option<String>,
    /// authorityCertIssuer directory names.
    #[serde(skip)]
    pub issuers: Vec<CanonicalName>,
    /// authorityCertSerialNumber, as nginx prints serials.
    pub serial: Option<String>,
}

/// The name of a CRL distribution point, as OpenSSL compares them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum DpName {
    /// fullName: general names (`URI:http://...`, `DirName:...`).
    Full(Vec<String>),
    /// nameRelativeToCRLIssuer.
    Relative,
}

/// A general name as `openssl x509 -text` prints it.
fn general_name(g: &GeneralName<'_>) -> String {
    match g {
        GeneralName::DNSName(s) => format!("DNS:{s}"),
        GeneralName::RFC822Name(s) => format!("email:{s}"),
        GeneralName::URI(s) => format!("URI:{s}"),
        GeneralName::IPAddress(b) => match b.len() {
            4 => format!("IP Address:{}.{}.{}.{}", b[0], b[1], b[2], b[3]),
            16 => {
                let words: Vec<String> = b
                    .chunks_exact(2)
                    .map(|c| format!("{:X}", u16::from_be_bytes([c[0], c[1]])))
                    .collect();
                format!("IP Address:{}", words.join(":"))
            }
            _ => "IP Address:<invalid>".to_owned(),
        },
        GeneralName::DirectoryName(n) => format!("DirName:{}", name::rfc2253(n)),
        other => other.to_string(),
    }
}

fn dp_name(n: &DistributionPointName<'_>) -> DpName {
    match n {
        DistributionPointName::FullName(names) => {
            DpName::Full(names.iter().map(|g| g.to_string()).collect())
        }
        DistributionPointName::NameRelativeToCRLIssuer(_) => DpName::Relative,
    }
}

/// One cRLDistributionPoints entry of a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DistributionPoint {
    pub name: Option<DpName>,
    pub has_reasons: bool,
    /// cRLIssuer directory names; `None` when the field is absent.
    #[serde(skip)]
    pub crl_issuers: Option<Vec<CanonicalName>>,
}

/// A CRL's issuingDistributionPoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuingDistributionPoint {
    pub name: Option<DpName>,
    pub only_user: bool,
    pub only_ca: bool,
    pub only_attr: bool,
    pub indirect: bool,
    pub has_reasons: bool,
}

impl IssuingDistributionPoint {
    /// OpenSSL's `IDP_INVALID`: more than one of onlyUser/onlyCA/onlyAttr.
    pub fn is_invalid(&self) -> bool {
        u8::from(self.only_user) + u8::from(self.only_ca) + u8::from(self.only_attr) > 1
    }
}

/// A certificate, as nginx's variables and `openssl x509 -text` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertInfo {
    /// Subject DN as `$ssl_client_s_dn` prints it (RFC 2253, e.g. `CN=client,O=Example`).
    pub subject: String,
    /// Issuer DN as `$ssl_client_i_dn` prints it.
    pub issuer: String,
    /// Serial as `$ssl_client_serial` prints it: uppercase hex, two digits a byte.
    pub serial: String,
    pub not_before: i64,
    pub not_after: i64,
    pub not_before_rfc3339: String,
    pub not_after_rfc3339: String,
    /// X.509 version (1, 2 or 3).
    pub version: u32,
    /// subjectKeyIdentifier, lowercase hex.
    pub subject_key_id: Option<String>,
    pub authority_key_id: Option<AuthorityKeyId>,
    pub basic_constraints: Option<BasicConstraints>,
    /// keyUsage bits (see [`ku`]), `None` when the extension is absent.
    pub key_usage: Option<u16>,
    pub extended_key_usage: Option<ExtendedKeyUsage>,
    /// Subject and issuer names are equal.
    pub self_issued: bool,
    /// OpenSSL's `EXFLAG_SS`: self-issued, AKID (if any) matches the SKID, and the
    /// signature algorithm fits the key. Chain building uses this, not the signature.
    pub openssl_self_signed: bool,
    /// SHA-1 of the DER, lowercase hex without colons (`$ssl_client_fingerprint`).
    pub sha1_fingerprint: String,
    pub der_len: usize,
    pub key_kind: KeyKind,
    /// Key size in bits where known (RSA modulus, EC field).
    pub key_bits: usize,
    pub signature_key_kind: KeyKind,
    /// Dotted OIDs of critical extensions OpenSSL does not handle.
    pub unhandled_critical: Vec<String>,
    /// cRLDistributionPoints.
    pub crl_distribution_points: Vec<DistributionPoint>,
    /// subjectAltName entries as OpenSSL prints them (`DNS:a.example`, `email:...`).
    pub subject_alt_names: Vec<String>,
    /// Subject and issuer in the canonical form used for chain building.
    #[serde(skip)]
    pub subject_canonical: CanonicalName,
    #[serde(skip)]
    pub issuer_canonical: CanonicalName,
    #[serde(skip)]
    pub serial_bytes: Vec<u8>,
}

/// Why DER could not be read as a certificate or CRL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

/// A serial number's magnitude bytes as nginx prints them (`i2a_ASN1_INTEGER`).
pub fn serial_hex(raw: &[u8]) -> String {
    let negative = raw.first().is_some_and(|b| b & 0x80 != 0);
    let mut mag: &[u8] = raw;
    while mag.len() > 1 && mag[0] == 0 {
        mag = &mag[1..];
    }
    let hex: String = if negative {
        // Two's complement magnitude.
        let mut v: Vec<u8> = mag.iter().map(|b| !b).collect();
        for b in v.iter_mut().rev() {
            let (n, carry) = b.overflowing_add(1);
            *b = n;
            if !carry {
                break;
            }
        }
        let v: &[u8] = match v.iter().position(|&b| b != 0) {
            Some(p) => &v[p..],
            None => &v[v.len().saturating_sub(1)..],
        };
        format!(
            "-{}",
            v.iter().map(|b| format!("{b:02X}")).collect::<String>()
        )
    } else {
        mag.iter().map(|b| format!("{b:02X}")).collect()
    };
    if hex.is_empty() { "00".into() } else { hex }
}

fn magnitude(raw: &[u8]) -> Vec<u8> {
    let mut mag = raw;
    while mag.len() > 1 && mag[0] == 0 {
        mag = &mag[1..];
    }
    mag.to_vec()
}

fn eku_name(oid: &str) -> String {
    match oid {
        "1.3.6.1.5.5.7.3.1" => "serverAuth",
        "1.3.6.1.5.5.7.3.2" => "clientAuth",
        "1.3.6.1.5.5.7.3.3" => "codeSigning",
        "1.3.6.1.5.5.7.3.4" => "emailProtection",
        "1.3.6.1.5.5.7.3.8" => "timeStamping",
        "1.3.6.1.5.5.7.3.9" => "OCSPSigning",
        "2.5.29.37.0" => "anyExtendedKeyUsage",
        other => return other.to_owned(),
    }
    .to_owned()
}

/// Names of the key usage bits set.
pub fn key_usage_names(bits: u16) -> Vec<&'static str> {
    KU_NAMES
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, n)| *n)
        .collect()
}

fn aki_of(aki: &x509_parser::extensions::AuthorityKeyIdentifier<'_>) -> AuthorityKeyId {
    AuthorityKeyId {
        key_id: aki.key_identifier.as_ref().map(|k| hex::encode(k.0)),
        issuers: aki
            .authority_cert_issuer
            .iter()
            .flatten()
            .filter_map(|g| match g {
                GeneralName::DirectoryName(n) => Some(name::canonical(n)),
                _ => None,
            })
            .collect(),
        serial: aki.authority_cert_serial.map(serial_hex),
    }
}

impl CertInfo {
    /// Reads a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<CertInfo, ParseError> {
        let (_, cert) = X509Certificate::from_der(der)
            .map_err(|e| ParseError(format!("bad certificate: {e}")))?;
        Ok(CertInfo::from_parsed(&cert, der))
    }

    pub(crate) fn from_parsed(cert: &X509Certificate<'_>, der: &[u8]) -> CertInfo {
        let mut ski = None;
        let mut aki = None;
        let mut bc = None;
        let mut key_usage = None;
        let mut eku = None;
        let mut unhandled_critical = Vec::new();
        let mut crl_distribution_points = Vec::new();
        let mut subject_alt_names = Vec::new();
        for ext in cert.extensions() {
            let oid = ext.oid.to_id_string();
            if ext.critical && !SUPPORTED_CRITICAL.contains(&oid.as_str()) {
                unhandled_critical.push(oid.clone());
            }
            match ext.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(k) => ski = Some(hex::encode(k.0)),
                ParsedExtension::AuthorityKeyIdentifier(a) => aki = Some(aki_of(a)),
                ParsedExtension::BasicConstraints(b) => {
                    bc = Some(BasicConstraints {
                        ca: b.ca,
                        path_len: b.path_len_constraint,
                        critical: ext.critical,
                    })
                }
                ParsedExtension::KeyUsage(k) => key_usage = Some(k.flags),
                ParsedExtension::SubjectAlternativeName(san) => {
                    subject_alt_names = san.general_names.iter().map(general_name).collect();
                }
                ParsedExtension::CRLDistributionPoints(points) => {
                    crl_distribution_points = points
                        .points
                        .iter()
                        .map(|p| DistributionPoint {
                            name: p.distribution_point.as_ref().map(dp_name),
                            has_reasons: p.reasons.is_some(),
                            crl_issuers: p.crl_issuer.as_ref().map(|names| {
                                names
                                    .iter()
                                    .filter_map(|g| match g {
                                        GeneralName::DirectoryName(n) => Some(name::canonical(n)),
                                        _ => None,
                                    })
                                    .collect()
                            }),
                        })
                        .collect();
                }
                ParsedExtension::ExtendedKeyUsage(e) => {
                    let mut names = Vec::new();
                    for (flag, n) in [
                        (e.server_auth, "serverAuth"),
                        (e.client_auth, "clientAuth"),
                        (e.code_signing, "codeSigning"),
                        (e.email_protection, "emailProtection"),
                        (e.time_stamping, "timeStamping"),
                        (e.ocsp_signing, "OCSPSigning"),
                        (e.any, "anyExtendedKeyUsage"),
                    ] {
                        if flag {
                            names.push(n.to_owned());
                        }
                    }
                    names.extend(e.other.iter().map(|o| eku_name(&o.to_id_string())));
                    eku = Some(ExtendedKeyUsage {
                        client_auth: e.client_auth,
                        server_auth: e.server_auth,
                        any: e.any,
                        names,
                    });
                }
                _ => {}
            }
        }
        let subject_canonical = name::canonical(cert.subject());
        let issuer_canonical = name::canonical(cert.issuer());
        let self_issued = subject_canonical == issuer_canonical;
        let spki = cert.public_key();
        let key_kind = KeyKind::from_key_oid(&spki.algorithm.algorithm.to_id_string());
        let signature_key_kind =
            KeyKind::from_signature_oid(&cert.signature_algorithm.algorithm.to_id_string());
        let key_bits = spki.parsed().map(|k| k.key_size()).unwrap_or(0);
        let akid_ok = aki.as_ref().is_none_or(|a| {
            check_akid(
                a,
                ski.as_deref(),
                &issuer_canonical,
                &magnitude(cert.raw_serial()),
            )
        });
        let openssl_self_signed = self_issued && akid_ok && key_kind == signature_key_kind;
        let nb = cert.validity().not_before.timestamp();
        let na = cert.validity().not_after.timestamp();
        CertInfo {
            subject: name::rfc2253(cert.subject()),
            issuer: name::rfc2253(cert.issuer()),
            serial: serial_hex(cert.raw_serial()),
            not_before: nb,
            not_after: na,
            not_before_rfc3339: rfc3339(nb),
            not_after_rfc3339: rfc3339(na),
            version: cert.version().0 + 1,
            subject_key_id: ski,
            authority_key_id: aki,
            basic_constraints: bc,
            key_usage,
            extended_key_usage: eku,
            self_issued,
            openssl_self_signed,
            sha1_fingerprint: hex::encode(Sha1::digest(der)),
            der_len: der.len(),
            key_kind,
            key_bits,
            signature_key_kind,
            unhandled_critical,
            crl_distribution_points,
            subject_alt_names,
            subject_canonical,
            issuer_canonical,
            serial_bytes: magnitude(cert.raw_serial()),
        }
    }

    /// Key usage names, `None` when the extension is absent.
    pub fn key_usage_names(&self) -> Option<Vec<&'static str>> {
        self.key_usage.map(key_usage_names)
    }

    /// basicConstraints CA:TRUE.
    pub fn is_ca(&self) -> bool {
        self.basic_constraints.is_some_and(|b| b.ca)
    }
}

/// `X509_check_akid()`: does an AKID fit the certificate whose SKID, issuer name and
/// serial are given?
pub(crate) fn check_akid(
    akid: &AuthorityKeyId,
    issuer_ski: Option<&str>,
    issuer_issuer: &CanonicalName,
    issuer_serial: &[u8],
) -> bool {
    if let (Some(k), Some(s)) = (&akid.key_id, issuer_ski)
        && k != s
    {
        return false;
    }
    if let Some(serial) = &akid.serial
        && *serial != serial_hex(issuer_serial)
    {
        return false;
    }
    if !akid.issuers.is_empty() && !akid.issuers.iter().any(|n| n == issuer_issuer) {
        return false;
    }
    true
}

/// One revoked certificate in a CRL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevokedEntry {
    /// Serial, as nginx prints serials.
    pub serial: String,
    pub revoked_at: i64,
    /// CRL reason code, when present (8 = removeFromCRL).
    pub reason: Option<u8>,
    #[serde(skip)]
    pub serial_bytes: Vec<u8>,
}

/// A CRL, as `openssl crl -text` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrlInfo {
    pub issuer: String,
    pub this_update: i64,
    pub next_update: Option<i64>,
    pub this_update_rfc3339: String,
    pub next_update_rfc3339: Option<String>,
    pub revoked: Vec<RevokedEntry>,
    pub authority_key_id: Option<AuthorityKeyId>,
    /// A delta CRL (has deltaCRLIndicator): OpenSSL ignores it as a base CRL.
    pub is_delta: bool,
    /// issuingDistributionPoint.
    pub idp: Option<IssuingDistributionPoint>,
    /// A critical CRL (or entry) extension OpenSSL does not handle.
    pub unhandled_critical: bool,
    pub sha1_fingerprint: String,
    #[serde(skip)]
    pub issuer_canonical: CanonicalName,
}

impl CrlInfo {
    /// Reads a DER CRL.
    pub fn from_der(der: &[u8]) -> Result<CrlInfo, ParseError> {
        let (_, crl) = CertificateRevocationList::from_der(der)
            .map_err(|e| ParseError(format!("bad CRL: {e}")))?;
        let mut aki = None;
        let mut is_delta = false;
        let mut idp = None;
        let mut unhandled_critical = false;
        for ext in crl.extensions() {
            let oid = ext.oid.to_id_string();
            match oid.as_str() {
                "2.5.29.35" => {
                    if let ParsedExtension::AuthorityKeyIdentifier(a) = ext.parsed_extension() {
                        aki = Some(aki_of(a));
                    }
                }
                "2.5.29.27" => is_delta = true,
                "2.5.29.28" => {
                    if let ParsedExtension::IssuingDistributionPoint(i) = ext.parsed_extension() {
                        idp = Some(IssuingDistributionPoint {
                            name: i.distribution_point.as_ref().map(dp_name),
                            only_user: i.only_contains_user_certs,
                            only_ca: i.only_contains_ca_certs,
                            only_attr: i.only_contains_attribute_certs,
                            indirect: i.indirect_crl,
                            has_reasons: i.only_some_reasons.is_some(),
                        });
                    }
                }
                _ => {
                    if ext.critical {
                        unhandled_critical = true;
                    }
                }
            }
        }
        let mut revoked = Vec::new();
        for r in crl.iter_revoked_certificates() {
            for ext in r.extensions() {
                // Entry extensions OpenSSL handles: reason, invalidity date, certificate issuer.
                let oid = ext.oid.to_id_string();
                if ext.critical && !matches!(oid.as_str(), "2.5.29.21" | "2.5.29.24" | "2.5.29.29")
                {
                    unhandled_critical = true;
                }
            }
            revoked.push(RevokedEntry {
                serial: serial_hex(r.raw_serial()),
                revoked_at: r.revocation_date.timestamp(),
                reason: r.reason_code().map(|(_, c)| c.0),
                serial_bytes: magnitude(r.raw_serial()),
            });
        }
        let this_update = crl.last_update().timestamp();
        let next_update = crl.next_update().map(|t| t.timestamp());
        Ok(CrlInfo {
            issuer: name::rfc2253(crl.issuer()),
            this_update,
            next_update,
            this_update_rfc3339: rfc3339(this_update),
            next_update_rfc3339: next_update.map(rfc3339),
            revoked,
            authority_key_id: aki,
            is_delta,
            idp,
            unhandled_critical,
            sha1_fingerprint: hex::encode(Sha1::digest(der)),
            issuer_canonical: name::canonical(crl.issuer()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_formats_like_i2a_asn1_integer() {
        assert_eq!(serial_hex(&[0x00, 0x8f, 0x01]), "8F01");
        assert_eq!(serial_hex(&[0x01]), "01");
        assert_eq!(serial_hex(&[0x00]), "00");
        assert_eq!(serial_hex(&[0xff]), "-01");
    }

    #[test]
    fn rfc3339_formats_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
