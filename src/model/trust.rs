//! The trust material a configuration names, read from disk once: what rules and
//! `verify` both stand on.

use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};

use crate::certs::load::{Bundle, Certificate, Crl, LoadError, load_pem_bundle};

use super::{Model, Server, Setting};

/// A file setting the tool can read: not empty, no variables (nginx resolves them per
/// request), not inline `data:`.
pub fn readable_value(value: &str) -> bool {
    !(value.is_empty() || value.contains('$') || value.starts_with("data:"))
}

/// Every certificate/CRL file named by an ssl_* directive, read once: when it is first
/// asked for ([`CertFiles::new`]) or at once ([`CertFiles::read`]).
#[derive(Debug, Default)]
pub struct CertFiles {
    /// The distinct paths, in the order the configuration names them.
    paths: Vec<PathBuf>,
    /// The index in `paths` of each path.
    by_path: FxHashMap<PathBuf, usize>,
    /// The index in `paths` of the file each readable setting names, by the setting's
    /// span: rules ask for a server's files thousands of times, and resolving the path
    /// each time (an allocation and a hash of every component) was a tenth of a run.
    by_setting: FxHashMap<crate::config::ast::Span, usize>,
    /// The files in the order of `paths`.
    files: std::sync::OnceLock<Vec<Result<Bundle, LoadError>>>,
}

impl CertFiles {
    /// Reads every file the model's servers and upstreams name (in parallel: a large
    /// configuration names thousands).
    pub fn read(model: &Model<'_>) -> CertFiles {
        let files = CertFiles::new(model);
        files.loaded();
        files
    }

    /// The files the model names, read when they are first asked for.
    pub fn new(model: &Model<'_>) -> CertFiles {
        let mut out = CertFiles::default();
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
            if out.by_setting.contains_key(&setting.span()) {
                continue;
            }
            let value = setting.value();
            if !readable_value(&value) {
                continue;
            }
            let path = model.path(&setting);
            let next = out.paths.len();
            let i = *out.by_path.entry(path).or_insert(next);
            if i == next {
                out.paths.push(model.path(&setting));
            }
            out.by_setting.insert(setting.span(), i);
        }
        out
    }

    /// Reads the files now, if they were not read yet (the other callers wait for it).
    pub fn prefetch(&self) {
        self.loaded();
    }

    /// The files, read on the first call (the other callers wait for it).
    fn loaded(&self) -> &[Result<Bundle, LoadError>] {
        self.files.get_or_init(|| {
            crate::util::timings::phase("certificate files", || load_all(&self.paths))
        })
    }

    pub fn get(&self, path: &Path) -> Option<&Result<Bundle, LoadError>> {
        let i = *self.by_path.get(path)?;
        self.loaded().get(i)
    }

    /// How many files the configuration names (whether or not they were read yet).
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// Which of the files a setting names.
    fn index(&self, model: &Model<'_>, s: &Setting<'_>) -> Option<usize> {
        match self.by_setting.get(&s.span()) {
            Some(&i) => Some(i),
            None => self.by_path.get(&model.path(s)).copied(),
        }
    }

    /// The bundle a setting names, when it was read without error.
    pub fn bundle(&self, model: &Model<'_>, setting: Option<Setting<'_>>) -> Option<&Bundle> {
        let i = self.index(model, &setting?)?;
        self.loaded().get(i)?.as_ref().ok()
    }

    /// The certificates of the files `settings` name, each file once.
    fn certificates_of<'b, 's>(
        &'b self,
        model: &Model<'_>,
        settings: impl IntoIterator<Item = Setting<'s>>,
    ) -> Vec<&'b Certificate> {
        let mut out: Vec<&Certificate> = Vec::new();
        let mut seen: Vec<usize> = Vec::new();
        for s in settings {
            let Some(i) = self.index(model, &s) else {
                continue;
            };
            if seen.contains(&i) {
                continue;
            }
            seen.push(i);
            if let Some(Ok(b)) = self.loaded().get(i) {
                out.extend(b.certificates.iter());
            }
        }
        out
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
        let ssl = &server.ssl;
        self.certificates_of(
            model,
            [ssl.client_certificate, ssl.trusted_certificate, ssl.crl]
                .into_iter()
                .flatten(),
        )
    }

    /// What nginx trusts when it verifies a backend: the `<module>_ssl_trusted_certificate`
    /// file, then the certificates in `<module>_ssl_crl` (OpenSSL loads both into the
    /// same store).
    pub fn upstream_store<'b>(
        &'b self,
        model: &Model<'_>,
        u: &super::upstream::Upstream<'_>,
    ) -> Vec<&'b Certificate> {
        self.certificates_of(
            model,
            [u.ssl.trusted_certificate, u.ssl.crl].into_iter().flatten(),
        )
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

/// Fewer files than this are read on the calling thread: a thread costs more than it
/// saves on a few files (time to start, and memory for its own heap).
const FILES_PER_THREAD: usize = 32;

/// Reads and parses `paths` on as many threads as there are CPUs.
fn load_all(paths: &[PathBuf]) -> Vec<Result<Bundle, LoadError>> {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(paths.len() / FILES_PER_THREAD)
        .max(1);
    if workers == 1 {
        return paths.iter().map(|p| load_pem_bundle(p)).collect();
    }
    let chunk = paths.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = paths
            .chunks(chunk)
            .map(|part| {
                let load = move || part.iter().map(|p| load_pem_bundle(p)).collect::<Vec<_>>();
                let thread = std::thread::Builder::new().spawn_scoped(scope, load);
                (load, thread.ok())
            })
            .collect();
        // A part whose thread could not be started, or failed, is read here.
        handles
            .into_iter()
            .flat_map(|(load, h)| h.and_then(|h| h.join().ok()).unwrap_or_else(load))
            .collect()
    })
}
