//! Finding, next to the files a fix is about, the ones it needs: the CA certificate that
//! issued a certificate (so a fix can name the real file and know whether it is a root
//! or an intermediate), and the private key that belongs to a certificate.
//!
//! Bounded: only the given directories (not their subdirectories), at most
//! [`MAX_ENTRIES`] entries each, files of at most [`MAX_SIZE`] bytes with a name a
//! certificate or key usually has. Nothing found is an answer, never an error. Keys are
//! only compared with certificates; a fix names the key's path, never its content.

use std::path::{Path, PathBuf};

use super::keys::{KeyMatch, key_matches, parse_private_key};
use super::load::{Certificate, parse_bundle};
use super::verify::{issued_by, likely_issued};

/// Entries looked at per directory.
pub const MAX_ENTRIES: usize = 512;
/// Largest file read (bytes): certificates and keys are small.
pub const MAX_SIZE: u64 = 1 << 20;

const CERT_EXTENSIONS: &[&str] = &["crt", "pem", "cer", "der", "ca", "ca-bundle", "cert"];
const KEY_EXTENSIONS: &[&str] = &["key", "pem"];

/// A certificate found in a file.
#[derive(Debug, Clone)]
pub struct Found {
    pub path: PathBuf,
    pub certificate: Certificate,
}

impl Found {
    /// Self-signed (a root), as OpenSSL decides it.
    pub fn is_root(&self) -> bool {
        self.certificate.info.openssl_self_signed
    }
}

/// The directories, each once, in the order given.
pub fn unique_dirs<I: IntoIterator<Item = PathBuf>>(dirs: I) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for d in dirs {
        let d = if d.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            d
        };
        let canon = std::fs::canonicalize(&d).unwrap_or_else(|_| d.clone());
        if !out
            .iter()
            .any(|o| std::fs::canonicalize(o).unwrap_or_else(|_| o.clone()) == canon)
        {
            out.push(d);
        }
    }
    out
}

/// The directory a file is in (`.` for a bare name).
pub fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn files(dirs: &[PathBuf], extensions: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for d in dirs {
        let Ok(entries) = std::fs::read_dir(d) else {
            continue;
        };
        let mut here: Vec<PathBuf> = entries
            .take(MAX_ENTRIES)
            .filter_map(|e| e.ok())
            .map(|e| match e.path().strip_prefix("./") {
                Ok(p) => p.to_path_buf(),
                Err(_) => e.path(),
            })
            .filter(|p| {
                p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| extensions.contains(&e.to_ascii_lowercase().as_str()))
            })
            .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.len() <= MAX_SIZE))
            .collect();
        here.sort();
        out.extend(here);
    }
    out
}

/// The CA certificate that issued `cert` (its name, key identifier and signature),
/// searched in `dirs` among files of CA certificates only; a file holding it alone is
/// preferred to a bundle.
pub fn find_issuer(dirs: &[PathBuf], cert: &Certificate) -> Option<Found> {
    let mut best: Option<(usize, Found)> = None;
    for path in files(dirs, CERT_EXTENSIONS) {
        let Ok(data) = std::fs::read(&path) else {
            continue;
        };
        let Ok(bundle) = parse_bundle(&data, &path) else {
            continue;
        };
        // A client's file (a leaf with its chain) is not a CA file, and a file with a
        // private key in it is never copied into a bundle.
        if !bundle.private_keys.is_empty() || bundle.certificates.iter().any(|c| !c.info.is_ca()) {
            continue;
        }
        // Fewest other objects first: a file of this CA alone beats a bundle or a CRL file.
        let count = bundle.certificates.len() + bundle.crls.len();
        for c in bundle.certificates {
            if c.der == cert.der || !likely_issued(&c.info, &cert.info) || !issued_by(cert, &c) {
                continue;
            }
            if best.as_ref().is_none_or(|(n, _)| count < *n) {
                best = Some((
                    count,
                    Found {
                        path: path.clone(),
                        certificate: c,
                    },
                ));
            }
            break;
        }
        if best.as_ref().is_some_and(|(n, _)| *n == 1) {
            break;
        }
    }
    best.map(|(_, f)| f)
}

/// The private key file in `dirs` that belongs to `cert` (unencrypted keys only).
pub fn find_key(dirs: &[PathBuf], cert: &Certificate) -> Option<PathBuf> {
    files(dirs, KEY_EXTENSIONS).into_iter().find(|path| {
        std::fs::read(path)
            .ok()
            .and_then(|data| parse_private_key(&data, path).ok())
            .is_some_and(|k| key_matches(&k, cert) == KeyMatch::Matches)
    })
}
