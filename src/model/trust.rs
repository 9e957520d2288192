//! The trust material a configuration names, read from disk once: what rules and
//! `verify` both stand on.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::certs::load::{Bundle, Certificate, Crl, LoadError, load_pem_bundle};

use super::{Model, Server, Setting};

/// A file setting the tool can read: not empty, no variables (nginx resolves them per
/// request), not inline `data:`.
pub fn readable_value(value: &str) -> bool {
    !(value.is_empty() || value.contains('$') || value.starts_with("data:"))
}

/// Every certificate/CRL file named by an ssl_* directive, read once.
#[derive(Debug, Default)]
pub struct CertFiles {
    files: HashMap<PathBuf, Result<Bundle, LoadError>>,
}

impl CertFiles {
    /// Reads every file the model's servers name (in parallel: a large configuration
    /// names thousands).
    pub fn read(model: &Model<'_>) -> CertFiles {
        let mut paths: Vec<PathBuf> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        // The server side's files, then what nginx presents to its backends and trusts
        // from them.
        let server_side = model.servers.iter().flat_map(|s| {
            let ssl = &s.ssl;
            [ssl.client_certificate, ssl.trusted_certificate, ssl.crl]
                .into_iter()
                .flatten()
                .chain(ssl.certificates.iter().copied())
        });
        let upstream_side = model.upstreams.iter().flat_map(|u| {
            let ssl = &u.ssl;
            [ssl.certificate, ssl.trusted_certificate, ssl.crl]
                .into_iter()
                .flatten()
        });
        for setting in server_side.chain(upstream_side) {
            let value = setting.value();
            if !readable_value(&value) {
                continue;
            }
            let path = model.path(&setting);
            if seen.insert(path.clone()) {
                paths.push(path);
            }
        }
        let workers = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(paths.len().max(1));
        let chunk = paths.len().div_ceil(workers).max(1);
        let files = std::thread::scope(|scope| {
            let handles: Vec<_> = paths
                .chunks(chunk)
                .map(|part| {
                    let load = move || {
                        part.iter()
                            .map(|p| (p.clone(), load_pem_bundle(p)))
                            .collect::<Vec<_>>()
                    };
                    let thread = std::thread::Builder::new().spawn_scoped(scope, load);
                    (load, thread.ok())
                })
                .collect();
            // A part whose thread could not be started, or failed, is read here.
            handles
                .into_iter()
                .flat_map(|(load, h)| h.and_then(|h| h.join().ok()).unwrap_or_else(load))
                .collect()
        });
        CertFiles { files }
    }

    pub fn get(&self, path: &Path) -> Option<&Result<Bundle, LoadError>> {
        self.files.get(path)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The bundle a setting names, when it was read without error.
    pub fn bundle(&self, model: &Model<'_>, setting: Option<Setting<'_>>) -> Option<&Bundle> {
        let s = setting?;
        self.files.get(&model.path(&s))?.as_ref().ok()
    }

    /// The CA files of a server that could be read (`ssl_client_certificate`, then
    /// `ssl_trusted_certificate`), each with the setting that names it.
    pub fn ca_bundles<'b, 'a>(
        &'b self,
        model: &Model<'_>,
        server: &Server<'a>,
    ) -> Vec<(Setting<'a>, &'b Bundle)> {
        [
            server.ssl.client_certificate,
            server.ssl.trusted_certificate,
        ]
        .into_iter()
        .flatten()
        .filter_map(|s| self.bundle(model, Some(s)).map(|b| (s, b)))
        .collect()
    }

    /// The server's trust store: `ssl_client_certificate` then `ssl_trusted_certificate`
    /// (and, as OpenSSL loads them into the same store, certificates in `ssl_crl`).
    pub fn trust_store<'b>(
        &'b self,
        model: &Model<'_>,
        server: &Server<'_>,
    ) -> Vec<&'b Certificate> {
        let mut out: Vec<&Certificate> = Vec::new();
        let mut seen: Vec<&Path> = Vec::new();
        for s in [
            server.ssl.client_certificate,
            server.ssl.trusted_certificate,
            server.ssl.crl,
        ]
        .into_iter()
        .flatten()
        {
            let path = model.path(&s);
            if let Some((key, Ok(b))) = self.files.get_key_value(&path) {
                if seen.contains(&key.as_path()) {
                    continue;
                }
                seen.push(key.as_path());
                out.extend(b.certificates.iter());
            }
        }
        out
    }

    /// What nginx trusts when it verifies a backend: the `<module>_ssl_trusted_certificate`
    /// file, then the certificates in `<module>_ssl_crl` (OpenSSL loads both into the
    /// same store).
    pub fn upstream_store<'b>(
        &'b self,
        model: &Model<'_>,
        u: &super::upstream::Upstream<'_>,
    ) -> Vec<&'b Certificate> {
        let mut out: Vec<&Certificate> = Vec::new();
        let mut seen: Vec<PathBuf> = Vec::new();
        for s in [u.ssl.trusted_certificate, u.ssl.crl].into_iter().flatten() {
            let path = model.path(&s);
            if seen.contains(&path) {
                continue;
            }
            if let Some(Ok(b)) = self.files.get(&path) {
                out.extend(b.certificates.iter());
            }
            seen.push(path);
        }
        out
    }

    /// The CRLs of a backend connection's `<module>_ssl_crl` file.
    pub fn upstream_crls<'b>(
        &'b self,
        model: &Model<'_>,
        u: &super::upstream::Upstream<'_>,
    ) -> Vec<&'b Crl> {
        self.bundle(model, u.ssl.crl)
            .map(|b| b.crls.iter().collect())
            .unwrap_or_default()
    }

    /// The CRLs of the server's `ssl_crl` file.
    pub fn crls<'b>(&'b self, model: &Model<'_>, server: &Server<'_>) -> Vec<&'b Crl> {
        self.bundle(model, server.ssl.crl)
            .map(|b| b.crls.iter().collect())
            .unwrap_or_default()
    }
}
