//! Reading trust material and client certificates the way nginx and OpenSSL do.
//!
//! nginx reads `ssl_client_certificate`, `ssl_trusted_certificate` and `ssl_crl` with
//! `X509_LOOKUP_load_file(..., X509_FILETYPE_PEM)`, which reads every PEM block of the
//! file (certificates, CRLs; private keys are skipped) and fails the whole file when one
//! block is corrupt. [`load_bundle`] reads a file the same way, keeps where each
//! certificate came from (line of its BEGIN line, position in the file), and also reads
//! DER so a finding can say "this is DER, nginx wants PEM".
//!
//! What nginx 1.22 does with these files (measured, `docs/nginx-behaviour.md` §4):
//! `ssl_client_certificate` is read twice, by `SSL_CTX_load_verify_locations()` (certs
//! and CRLs) and by `SSL_load_client_CA_file()` (the CA names sent to clients), which
//! wants `BEGIN CERTIFICATE` blocks: a `TRUSTED CERTIFICATE` there fails `nginx -t`
//! ([`Certificate::aux_trust`] tells). Missing, empty, directory, key-only and non-PEM
//! files are fatal. Certificates in an `ssl_crl` file become trust anchors.

use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::der::{elements, oid_string, seq, tlv};
use super::info::{CertInfo, CrlInfo};
use super::pem::{self, Body};

/// Largest file read (bytes).
pub const MAX_FILE_SIZE: u64 = 64 << 20;
/// Largest trust file (CA bundle, CRL) a configuration names, read as nginx reads it
/// ([`load_pem_bundle`]). nginx itself has no bound but memory: it loads a 68 MB CRL of
/// 2.3 million entries in 1.3 s and 533 MB (docs/limits.md); we take about ten times
/// the file's size in memory.
pub const MAX_TRUST_FILE_SIZE: u64 = 256 << 20;

/// How the file was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Pem,
    Der,
}

/// Where a certificate or CRL came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub path: PathBuf,
    /// 1-based position among the file's certificates (or among its CRLs).
    pub index: usize,
    /// 1-based line of its `-----BEGIN` line; `None` for DER.
    pub line: Option<usize>,
}

impl Origin {
    /// `ca.pem:37, certificate #3` (`what` names the kind of object).
    pub fn describe(&self, what: &str) -> String {
        match self.line {
            Some(line) => format!("{}:{line}, {what} #{}", self.path.display(), self.index),
            None => format!("{}, {what} #{}", self.path.display(), self.index),
        }
    }
}

/// A certificate read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub der: Vec<u8>,
    pub origin: Origin,
    pub info: CertInfo,
    /// OpenSSL trust settings, present when the certificate came from a
    /// `BEGIN TRUSTED CERTIFICATE` block (`openssl x509 -addtrust/-addreject -trustout`).
    pub aux_trust: Option<AuxTrust>,
}

/// OpenSSL's auxiliary trust settings (`X509_CERT_AUX`), as dotted EKU OIDs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct AuxTrust {
    /// Purposes the certificate is trusted for (`-addtrust`); `None` when absent.
    pub trust: Option<Vec<String>>,
    /// Purposes it is rejected for (`-addreject`); `None` when absent.
    pub reject: Option<Vec<String>>,
}

impl AuxTrust {
    /// Parses the `X509_CERT_AUX` that follows the certificate in a TRUSTED CERTIFICATE.
    fn from_der(der: &[u8]) -> AuxTrust {
        let mut aux = AuxTrust::default();
        let oids = |content: &[u8]| -> Vec<String> {
            elements(content)
                .unwrap_or_default()
                .into_iter()
                .filter(|(t, _)| *t == 0x06)
                .filter_map(|(_, c)| oid_string(c))
                .collect()
        };
        for (tag, content) in seq(der).unwrap_or_default() {
            match tag {
                0x30 => aux.trust = Some(oids(content)),
                0xa0 => aux.reject = Some(oids(content)),
                _ => {}
            }
        }
        aux
    }
}

impl Certificate {
    /// Where it came from: `ca.pem:37, certificate #3`.
    pub fn location(&self) -> String {
        self.origin.describe("certificate")
    }

    /// Reads DER bytes that came from no file (tests, network).
    pub fn from_der(der: Vec<u8>, origin: Origin) -> Result<Certificate, super::info::ParseError> {
        let info = CertInfo::from_der(&der)?;
        Ok(Certificate {
            der,
            origin,
            info,
            aux_trust: None,
        })
    }
}

/// A CRL read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crl {
    pub der: Vec<u8>,
    pub origin: Origin,
    pub info: CrlInfo,
}

impl Crl {
    /// Where it came from: `crl.pem:12, CRL #2`.
    pub fn location(&self) -> String {
        self.origin.describe("CRL")
    }

    pub fn from_der(der: Vec<u8>, origin: Origin) -> Result<Crl, super::info::ParseError> {
        let info = CrlInfo::from_der(&der)?;
        Ok(Crl { der, origin, info })
    }
}

/// A PEM block that was neither a certificate nor a CRL nor a private key (skipped by
/// OpenSSL), or a private key (recorded by its line only; its bytes are never kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OtherBlock {
    pub label: String,
    pub line: usize,
}

/// Everything read from one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    pub path: PathBuf,
    pub format: Format,
    pub certificates: Vec<Certificate>,
    pub crls: Vec<Crl>,
    /// Private key blocks present in the file (label and line only).
    pub private_keys: Vec<OtherBlock>,
    /// Other PEM blocks OpenSSL skips (e.g. `CERTIFICATE REQUEST`).
    pub skipped: Vec<OtherBlock>,
}

/// Why a file could not be read as certificates or CRLs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("{}: no such file or directory", path.display())]
    NotFound { path: PathBuf },
    #[error("{}: permission denied", path.display())]
    PermissionDenied { path: PathBuf },
    #[error("{}: is a directory", path.display())]
    IsADirectory { path: PathBuf },
    #[error("{}: {message}", path.display())]
    Io { path: PathBuf, message: String },
    #[error("{}: file is larger than {limit} bytes", path.display())]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("{}: file is empty", path.display())]
    Empty { path: PathBuf },
    /// Neither PEM with a certificate or CRL, nor a DER certificate or CRL.
    #[error("{}: no PEM certificate or CRL found{}", path.display(), key_note(private_keys))]
    NoCertificate {
        path: PathBuf,
        /// Private keys found instead (label and line).
        private_keys: Vec<OtherBlock>,
    },
    /// A DER certificate or CRL where nginx reads PEM only (`ssl_certificate`,
    /// `ssl_client_certificate`, `ssl_trusted_certificate`, `ssl_crl`): OpenSSL finds
    /// no PEM block in it.
    #[error("{}: DER, but nginx reads this file as PEM only (convert it: openssl x509 -inform DER -in FILE -out FILE.pem)", path.display())]
    NotPem { path: PathBuf },
    /// A PEM block that OpenSSL would fail on; the whole file is then rejected.
    #[error("{}:{line}: PEM block #{block} ({label}) is {problem}", path.display())]
    CorruptBlock {
        path: PathBuf,
        /// 1-based position of the block among the file's PEM blocks.
        block: usize,
        line: usize,
        label: String,
        problem: BlockProblem,
    },
}

fn key_note(keys: &[OtherBlock]) -> String {
    match keys.first() {
        Some(k) => format!(" (only a private key, line {})", k.line),
        None => String::new(),
    }
}

/// What is wrong with a PEM block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum BlockProblem {
    /// No END line before the end of the file or the next BEGIN line.
    Truncated,
    /// The END line names another label.
    EndMismatch(String),
    /// The body is not base64.
    BadBase64,
    /// Base64 decodes, but not to a valid certificate or CRL.
    BadDer(String),
}

impl std::fmt::Display for BlockProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BlockProblem::Truncated => f.write_str("truncated (no END line)"),
            BlockProblem::EndMismatch(l) => write!(f, "closed by a mismatched END {l} line"),
            BlockProblem::BadBase64 => f.write_str("not valid base64"),
            BlockProblem::BadDer(e) => write!(f, "corrupt ({e})"),
        }
    }
}

impl LoadError {
    /// The error without the file name in front (for messages that name the file
    /// already).
    pub fn reason(&self) -> String {
        let text = self.to_string();
        let prefix = format!("{}: ", self.path().display());
        text.strip_prefix(&prefix)
            .map(str::to_string)
            .unwrap_or(text)
    }

    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            LoadError::NotFound { path }
            | LoadError::PermissionDenied { path }
            | LoadError::IsADirectory { path }
            | LoadError::Io { path, .. }
            | LoadError::TooLarge { path, .. }
            | LoadError::Empty { path }
            | LoadError::NoCertificate { path, .. }
            | LoadError::NotPem { path }
            | LoadError::CorruptBlock { path, .. } => path,
        }
    }
}

/// Reads a file's bytes, classifying failures.
pub fn read_file(path: &Path) -> Result<Vec<u8>, LoadError> {
    read_file_at_most(path, MAX_FILE_SIZE)
}

/// [`read_file`] with another size limit.
pub fn read_file_at_most(path: &Path, limit: u64) -> Result<Vec<u8>, LoadError> {
    // Bounded: `/dev/zero` or a FIFO report size 0 and never end.
    crate::util::read::read_whole(path, limit)
        .map_err(|e| io_error(path, &e))?
        .ok_or_else(|| LoadError::TooLarge {
            path: path.to_path_buf(),
            limit,
        })
}

fn io_error(path: &Path, e: &io::Error) -> LoadError {
    let path = path.to_path_buf();
    match e.kind() {
        io::ErrorKind::NotFound => LoadError::NotFound { path },
        io::ErrorKind::PermissionDenied => LoadError::PermissionDenied { path },
        io::ErrorKind::IsADirectory => LoadError::IsADirectory { path },
        _ => LoadError::Io {
            path,
            message: e.to_string(),
        },
    }
}

/// Reads a file as nginx does for `ssl_certificate`, `ssl_client_certificate`,
/// `ssl_trusted_certificate` and `ssl_crl`: PEM only; a DER file is [`LoadError::NotPem`].
pub fn load_pem_bundle(path: &Path) -> Result<Bundle, LoadError> {
    let data = read_file_at_most(path, MAX_TRUST_FILE_SIZE)?;
    let b = parse_bundle(&data, path)?;
    if b.format == Format::Der {
        return Err(LoadError::NotPem { path: b.path });
    }
    Ok(b)
}

/// Reads a CA bundle, CRL file or certificate file (PEM with any number of
/// certificates and CRLs, or one DER certificate or CRL).
pub fn load_bundle(path: &Path) -> Result<Bundle, LoadError> {
    let data = read_file(path)?;
    parse_bundle(&data, path)
}

/// Parses bytes as [`load_bundle`] does; `path` is only used to label results.
pub fn parse_bundle(data: &[u8], path: &Path) -> Result<Bundle, LoadError> {
    let p = || path.to_path_buf();
    if data.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(LoadError::Empty { path: p() });
    }
    let mut bundle = Bundle {
        path: p(),
        format: Format::Pem,
        certificates: Vec::new(),
        crls: Vec::new(),
        private_keys: Vec::new(),
        skipped: Vec::new(),
    };
    if !pem::looks_like_pem(data) {
        return parse_der(data, bundle);
    }
    for (i, block) in pem::scan(data).into_iter().enumerate() {
        let corrupt = |problem| LoadError::CorruptBlock {
            path: p(),
            block: i + 1,
            line: block.line,
            label: block.label.clone(),
            problem,
        };
        if block.is_private_key() {
            // Recorded, never decoded here: the bytes are secret.
            bundle.private_keys.push(OtherBlock {
                label: block.label.clone(),
                line: block.line,
            });
            continue;
        }
        let is_cert = matches!(
            block.label.as_str(),
            "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE"
        );
        let is_crl = block.label == "X509 CRL";
        if !is_cert && !is_crl {
            bundle.skipped.push(OtherBlock {
                label: block.label.clone(),
                line: block.line,
            });
            continue;
        }
        let der = match block.body {
            Body::Decoded(d) => d,
            Body::Truncated => return Err(corrupt(BlockProblem::Truncated)),
            Body::EndMismatch(ref l) => return Err(corrupt(BlockProblem::EndMismatch(l.clone()))),
            Body::BadBase64 => return Err(corrupt(BlockProblem::BadBase64)),
        };
        if is_cert {
            let origin = Origin {
                path: p(),
                index: bundle.certificates.len() + 1,
                line: Some(block.line),
            };
            // TRUSTED CERTIFICATE carries trust settings after the certificate.
            let (der, aux) = match (block.label.as_str(), tlv(&der)) {
                ("TRUSTED CERTIFICATE", Some((_, _, rest))) => {
                    let len = der.len() - rest.len();
                    (der[..len].to_vec(), Some(AuxTrust::from_der(rest)))
                }
                _ => (der, None),
            };
            let mut cert = Certificate::from_der(der, origin)
                .map_err(|e| corrupt(BlockProblem::BadDer(e.0)))?;
            cert.aux_trust = aux;
            bundle.certificates.push(cert);
        } else {
            let origin = Origin {
                path: p(),
                index: bundle.crls.len() + 1,
                line: Some(block.line),
            };
            let crl = Crl::from_der(der, origin).map_err(|e| corrupt(BlockProblem::BadDer(e.0)))?;
            bundle.crls.push(crl);
        }
    }
    if bundle.certificates.is_empty() && bundle.crls.is_empty() {
        return Err(LoadError::NoCertificate {
            path: p(),
            private_keys: bundle.private_keys,
        });
    }
    Ok(bundle)
}

/// The first DER TLV of `data`, header included.
fn first_tlv(data: &[u8]) -> Option<&[u8]> {
    let (_, _, rest) = tlv(data)?;
    data.get(..data.len() - rest.len())
}

fn parse_der(data: &[u8], mut bundle: Bundle) -> Result<Bundle, LoadError> {
    bundle.format = Format::Der;
    let origin = Origin {
        path: bundle.path.clone(),
        index: 1,
        line: None,
    };
    let Some(tlv) = first_tlv(data) else {
        return Err(LoadError::NoCertificate {
            path: bundle.path,
            private_keys: Vec::new(),
        });
    };
    if let Ok(cert) = Certificate::from_der(tlv.to_vec(), origin.clone()) {
        bundle.certificates.push(cert);
    } else if let Ok(crl) = Crl::from_der(tlv.to_vec(), origin) {
        bundle.crls.push(crl);
    } else {
        return Err(LoadError::NoCertificate {
            path: bundle.path,
            private_keys: Vec::new(),
        });
    }
    Ok(bundle)
}

/// A client certificate as curl's `--cert` takes it: the leaf, then the intermediates
/// the client sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientChain {
    pub leaf: Certificate,
    pub intermediates: Vec<Certificate>,
    /// Private keys in the same file (label and line only).
    pub private_keys: Vec<OtherBlock>,
}

/// Why a client certificate could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientCertError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("{}: contains CRLs but no certificate", path.display())]
    NoCertificate { path: PathBuf },
    #[error("{}: PKCS#12: {message}", path.display())]
    Pkcs12 { path: PathBuf, message: String },
    #[error("{}: PKCS#12: wrong password (MAC check failed)", path.display())]
    Pkcs12WrongPassword { path: PathBuf },
    #[error("{}: this is a PKCS#12 file: it needs its password", path.display())]
    Pkcs12NeedsPassword { path: PathBuf },
}

/// Reads a client certificate file: PEM (leaf first, then intermediates) or DER.
/// A PKCS#12 file is recognised and refused here: use
/// [`super::pkcs12::load_pkcs12`] with its password.
pub fn load_client_chain(path: &Path) -> Result<ClientChain, ClientCertError> {
    let data = read_file(path)?;
    if super::der::looks_like_pkcs12(&data) {
        return Err(ClientCertError::Pkcs12NeedsPassword {
            path: path.to_path_buf(),
        });
    }
    let bundle = parse_bundle(&data, path)?;
    client_chain_from_bundle(bundle)
}

/// Splits a bundle into leaf and intermediates.
pub fn client_chain_from_bundle(bundle: Bundle) -> Result<ClientChain, ClientCertError> {
    let mut certs = bundle.certificates.into_iter();
    let Some(leaf) = certs.next() else {
        return Err(ClientCertError::NoCertificate { path: bundle.path });
    };
    Ok(ClientChain {
        leaf,
        intermediates: certs.collect(),
        private_keys: bundle.private_keys,
    })
}
