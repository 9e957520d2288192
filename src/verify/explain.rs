//! Turning a verification result into sentences: the chain that was built (or where it
//! broke), which trust file and which certificate in it anchored it, dates, purposes,
//! depth, CRLs; and the fixes, as commands or directives ready to paste.

use std::path::{Path, PathBuf};

use crate::certs::discover::{Found, dir_of, find_issuer, find_key, unique_dirs};
use crate::certs::load::{Certificate, ClientChain};
use crate::certs::verify::{
    ChainSource, TrustStore, VerifyErrorCode as E, VerifyParams, VerifyResult, verify_client,
};
use crate::model::{Model, Server};
use crate::util::time::date;

pub struct Input<'a> {
    pub model: &'a Model<'a>,
    pub server: &'a Server<'a>,
    pub client: &'a ClientChain,
    pub result: &'a VerifyResult,
    pub store: &'a TrustStore,
    pub labels: &'a [(PathBuf, &'static str)],
    pub params: VerifyParams,
    pub host: Option<&'a str>,
    /// The client certificate came as PKCS#12.
    pub pkcs12: bool,
    /// The client's key file as given (`None`: in the certificate file, or unknown).
    pub key_file: Option<String>,
}

impl Input<'_> {
    fn cert(&self, depth: usize) -> Option<&Certificate> {
        let link = self.result.chain.get(depth)?;
        match link.source {
            ChainSource::Leaf => Some(&self.client.leaf),
            ChainSource::Untrusted(i) => self.client.intermediates.get(i),
            ChainSource::Trusted(i) => self.store.certificates.get(i),
        }
    }

    fn label_of(&self, c: &Certificate) -> &'static str {
        self.labels
            .iter()
            .find(|(p, _)| *p == c.origin.path)
            .map(|(_, l)| *l)
            .unwrap_or("trust store")
    }

    fn source(&self, depth: usize) -> String {
        let Some(link) = self.result.chain.get(depth) else {
            return String::new();
        };
        match (link.source, self.cert(depth)) {
            (ChainSource::Leaf, _) => "the client's certificate".into(),
            (ChainSource::Untrusted(i), _) => {
                format!("sent by the client, certificate #{} of its file", i + 2)
            }
            (ChainSource::Trusted(_), Some(c)) => format!(
                "{} {} (certificate #{}{})",
                self.label_of(c),
                c.origin.path.display(),
                c.origin.index,
                c.origin
                    .line
                    .map(|l| format!(", line {l}"))
                    .unwrap_or_default()
            ),
            _ => String::new(),
        }
    }

    fn directive_file(&self, label: &str) -> Option<String> {
        self.labels
            .iter()
            .find(|(_, l)| *l == label)
            .map(|(p, _)| p.display().to_string())
    }

    fn url(&self) -> String {
        format!("https://{}/", self.host.unwrap_or("HOST"))
    }

    fn cert_file(&self) -> String {
        self.client.leaf.origin.path.display().to_string()
    }

    fn key_file(&self) -> String {
        self.key_file.clone().unwrap_or_else(|| self.cert_file())
    }

    /// curl with this client's files.
    fn curl(&self, cert: &str) -> String {
        if self.pkcs12 {
            format!(
                "curl -v --cert-type P12 --cert \"{cert}:$P12_PASSWORD\" {}",
                self.url()
            )
        } else {
            format!(
                "curl -v --cert {cert} --key {} {}",
                self.key_file(),
                self.url()
            )
        }
    }

    /// A trust-file certificate with the given subject (by canonical name).
    fn trusted_named(&self, c: &Certificate) -> Option<&Certificate> {
        self.store
            .certificates
            .iter()
            .find(|t| t.info.subject_canonical == c.info.issuer_canonical)
    }

    /// Where fixes look for the files they need: beside the client's certificate and
    /// key, and beside the server's trust files.
    fn search_dirs(&self) -> Vec<PathBuf> {
        let mut d = vec![dir_of(&self.client.leaf.origin.path)];
        if let Some(k) = &self.key_file {
            d.push(dir_of(Path::new(k)));
        }
        d.extend(self.labels.iter().map(|(p, _)| dir_of(p)));
        unique_dirs(d)
    }

    /// The file holding the CA certificate that issued `c`, searched in [`Self::search_dirs`].
    fn issuer_file(&self, c: &Certificate) -> Option<Found> {
        find_issuer(&self.search_dirs(), c)
    }

    fn searched(&self) -> String {
        self.search_dirs()
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The CA's key for a re-issue command: found beside the CA's file, or `"$CA_KEY"`.
    fn ca_key(&self, ca: Option<&Found>) -> Option<String> {
        ca.and_then(|f| find_key(&[dir_of(&f.path)], &f.certificate))
            .map(|p| p.display().to_string())
    }

    /// Trusting one more CA file: a new bundle beside the server's CA file, and the
    /// directive that names it.
    fn trust_also(&self, extra: &str, name: &str) -> String {
        let server = self.server.display_name();
        match self
            .directive_file("ssl_client_certificate")
            .or_else(|| self.directive_file("ssl_trusted_certificate"))
        {
            Some(file) => {
                let out = super::names::new_name(Path::new(&file), &format!("-with-{name}"));
                format!(
                    "cat {file} {extra} > {out}, then `ssl_client_certificate {out};` in server {server} and reload nginx"
                )
            }
            None => {
                format!("set `ssl_client_certificate {extra};` in server {server} and reload nginx")
            }
        }
    }

    /// A command that re-issues the client certificate from `issuer` (same subject and
    /// extensions, with `ext` replacing them when given), and how to send it.
    fn reissue(
        &self,
        issuer: Option<&Found>,
        issuer_dn: &str,
        suffix: &str,
        ext: Option<&str>,
    ) -> String {
        let cert = self.cert_file();
        let key = self.key_file();
        let new = super::names::new_name(&self.client.leaf.origin.path, suffix);
        let csr = Path::new(&new).with_extension("csr").display().to_string();
        let ca = issuer
            .map(|f| f.path.display().to_string())
            .unwrap_or_else(|| super::names::ca_file_for(issuer_dn));
        let (ca_key, key_note) = match self.ca_key(issuer) {
            Some(k) => (k, String::new()),
            None => (
                "\"$CA_KEY\"".to_string(),
                format!(
                    " (CA_KEY: the private key of {issuer_dn}, not found beside its certificate)"
                ),
            ),
        };
        let extensions = match ext {
            Some(e) => format!("-extfile <(printf '{e}')"),
            None => "-copy_extensions copyall".into(),
        };
        let mut cmd = format!(
            "openssl x509 -x509toreq -in {cert} -key {key} -copy_extensions copyall -out {csr} && openssl x509 -req -in {csr} -CA {ca} -CAkey {ca_key} -days 365 {extensions} -out {new}"
        );
        // The intermediates the client sent go with the new certificate too.
        if !self.client.intermediates.is_empty() && self.client.private_keys.is_empty() {
            cmd.push_str(&format!(
                " && sed -n '/END CERTIFICATE/,$p' {cert} | tail -n +2 >> {new}"
            ));
        }
        if self.pkcs12 {
            return format!(
                "{cmd}{key_note} (from the certificate and key exported from the PKCS#12)"
            );
        }
        format!("{cmd}{key_note}, then {}", self.curl(&new))
    }

    /// The CA file of the server, or a name for it.
    fn ca_file(&self) -> String {
        self.directive_file("ssl_client_certificate")
            .or_else(|| self.directive_file("ssl_trusted_certificate"))
            .unwrap_or_else(|| "ca.crt".into())
    }
}

/// The first certificate of the server's CA file (what `openssl x509 -CA` would use).
fn server_ca(x: &Input<'_>) -> Option<Found> {
    let file = x.ca_file();
    x.store
        .certificates
        .iter()
        .find(|c| c.origin.path.display().to_string() == file)
        .map(|c| Found {
            path: c.origin.path.clone(),
            certificate: c.clone(),
        })
}

fn reissue_from_server_ca(x: &Input<'_>) -> String {
    let ca = server_ca(x);
    let dn = ca
        .as_ref()
        .map(|f| f.certificate.info.subject.clone())
        .unwrap_or_else(|| "CN=CA".into());
    x.reissue(
        ca.as_ref(),
        &dn,
        "-new",
        Some("extendedKeyUsage = clientAuth"),
    )
}

fn cn(dn: &str) -> String {
    dn.split(',')
        .find_map(|p| p.strip_prefix("CN="))
        .unwrap_or(dn)
        .replace(' ', "-")
        .to_ascii_lowercase()
}

/// Adds the findings and fixes for one verification.
pub fn chain(findings: &mut Vec<String>, fixes: &mut Vec<String>, x: &Input<'_>) {
    let r = x.result;
    let t = x.params.time;
    // The chain.
    let links: Vec<String> = (0..r.chain.len())
        .map(|d| format!("[{d}] {} ({})", r.chain[d].subject, x.source(d)))
        .collect();
    findings.push(format!("chain built by OpenSSL: {}", links.join(" <- ")));
    let intermediates = r.chain.len().saturating_sub(2);
    if r.anchored {
        if let Some(top) = x.cert(r.chain.len() - 1) {
            findings.push(format!(
                "trust anchor: {} from {} {} (certificate #{}{})",
                top.info.subject,
                x.label_of(top),
                top.origin.path.display(),
                top.origin.index,
                top.origin
                    .line
                    .map(|l| format!(", line {l}"))
                    .unwrap_or_default()
            ));
        }
        findings.push(format!(
            "{intermediates} intermediate CA{} between the client certificate and the anchor; ssl_verify_depth is {}",
            if intermediates == 1 { "" } else { "s" },
            x.params.depth
        ));
    } else if let Some(top) = r.chain.last() {
        if r.errors.iter().any(|e| e.code == E::CertChainTooLong) {
            findings.push(format!(
                "chain building stopped at {} because ssl_verify_depth {} allows no more certificates",
                top.subject, x.params.depth
            ));
        } else if top.subject == top.issuer {
            findings.push(format!(
                "the chain ends at the self-signed {}, which is not in the server's trust files",
                top.subject
            ));
        } else if let Some(t) = x.cert(r.chain.len() - 1).and_then(|c| x.trusted_named(c)) {
            findings.push(format!(
                "the chain broke at {}: {} {} holds a CA named {}, but not with the key that signed {} (its key identifier {} differs): the CA was re-keyed or replaced under the same name",
                top.subject,
                x.label_of(t),
                t.origin.path.display(),
                t.info.subject,
                top.subject,
                t.info.subject_key_id.as_deref().unwrap_or("(none)")
            ));
        } else {
            findings.push(format!(
                "the chain broke at {}: its issuer {} was not found in what the client sent nor in the server's trust files",
                top.subject, top.issuer
            ));
        }
        // What the server trusts, file by file.
        for (path, label) in x.labels {
            let subjects: Vec<&str> = x
                .store
                .certificates
                .iter()
                .filter(|c| c.origin.path == *path)
                .map(|c| c.info.subject.as_str())
                .collect();
            findings.push(format!(
                "{label} {} holds {} certificate{}{}{}",
                path.display(),
                subjects.len(),
                if subjects.len() == 1 { "" } else { "s" },
                if subjects.is_empty() { "" } else { ": " },
                subjects.join("; ")
            ));
        }
        if x.labels.is_empty() {
            findings.push("the server has no trust file at all (optional_no_ca without ssl_client_certificate): no chain can verify".into());
        }
    }
    // Dates and purposes of each certificate.
    for d in 0..r.chain.len() {
        let Some(c) = x.cert(d) else { continue };
        let i = &c.info;
        let state = if i.not_after <= t {
            "EXPIRED"
        } else if i.not_before > t {
            "NOT YET VALID"
        } else {
            "valid"
        };
        let eku = match &i.extended_key_usage {
            None => "no extendedKeyUsage (any purpose)".to_string(),
            Some(e) => format!("extendedKeyUsage {}", e.names.join(", ")),
        };
        let ca = match i.basic_constraints {
            Some(b) if b.ca => format!(
                "CA:TRUE{}",
                b.path_len
                    .map(|p| format!(", pathlen:{p}"))
                    .unwrap_or_default()
            ),
            Some(_) => "CA:FALSE".into(),
            None => "no basicConstraints".into(),
        };
        findings.push(format!(
            "[{d}] {}: {state}, {} to {}; {ca}; {eku}",
            i.subject,
            date(i.not_before),
            date(i.not_after)
        ));
    }
    // CRLs: which one covers each certificate (ssl_crl checks the whole chain).
    if x.params.crl_check {
        for d in 0..r.chain.len() {
            let Some(c) = x.cert(d) else { continue };
            let crl = x
                .store
                .crls
                .iter()
                .filter(|k| k.info.issuer_canonical == c.info.issuer_canonical)
                .max_by_key(|k| k.info.this_update);
            match crl {
                None => findings.push(format!(
                    "CRL for [{d}] {}: the ssl_crl file has none from its issuer {}",
                    c.info.subject, c.info.issuer
                )),
                Some(k) => {
                    let revoked = k
                        .info
                        .revoked
                        .iter()
                        .any(|e| e.serial_bytes == c.info.serial_bytes);
                    let next = k
                        .info
                        .next_update
                        .map(|n| {
                            let state = if n <= t { " (EXPIRED)" } else { "" };
                            format!("next update {}{state}", date(n))
                        })
                        .unwrap_or_else(|| "no next update".into());
                    findings.push(format!(
                        "CRL for [{d}] {}: {} #{} from {}, {next}; {}",
                        c.info.subject,
                        k.origin.path.display(),
                        k.origin.index,
                        k.info.issuer,
                        if revoked {
                            "it lists this certificate as REVOKED"
                        } else {
                            "not revoked"
                        }
                    ));
                }
            }
        }
    }
    if r.errors.is_empty() {
        findings.push("OpenSSL raised no error".into());
        return;
    }
    let raised: Vec<String> = r
        .errors
        .iter()
        .map(|e| {
            format!(
                "{}:{} at depth {} ({})",
                e.code.code(),
                e.code.text(x.result.openssl),
                e.depth,
                e.subject
            )
        })
        .collect();
    findings.push(format!(
        "OpenSSL raised, in order: {}; nginx reports the last one",
        raised.join("; ")
    ));
    let Some(last) = r.final_error() else { return };
    let too_long = r.errors.iter().any(|e| e.code == E::CertChainTooLong);
    let url = x.url();
    let _ = &url;
    let cert = x.cert_file();
    let chain_file = super::names::new_name(&x.client.leaf.origin.path, "-chain");
    // The CA re-keyed (or replaced) under the same name: the old one beside the new.
    let rekeyed = matches!(
        last.code,
        E::UnableToGetIssuerCertLocally | E::UnableToVerifyLeafSignature | E::CertSignatureFailure
    ) && x
        .cert(r.chain.len().saturating_sub(1))
        .and_then(|c| x.trusted_named(c))
        .is_some();
    if rekeyed && !too_long {
        let top = x.cert(r.chain.len() - 1);
        let name = top.map(|c| c.info.issuer.clone()).unwrap_or_default();
        let old = top.and_then(|c| x.issuer_file(c));
        let old_file = old
            .as_ref()
            .map(|f| f.path.display().to_string())
            .unwrap_or_else(|| format!("OLD-{}.crt", cn(&name)));
        let found = match &old {
            Some(_) => format!(" (the one that signed it is in {old_file})"),
            None => format!(
                " (OLD-{}.crt: its certificate, not found beside the others)",
                cn(&name)
            ),
        };
        fixes.push(format!(
            "while the clients are re-issued, trust the old {name} beside the new one{found}: {}",
            x.trust_also(&old_file, "old")
        ));
        if r.chain.len() == 1 {
            fixes.push(format!(
                "re-issue the client certificate from the new {name}: {}",
                reissue_from_server_ca(x)
            ));
        } else {
            fixes.push(format!(
                "re-issue {} from the new {name} (its key, not the old one)",
                top.map(|c| c.info.subject.clone()).unwrap_or_default()
            ));
        }
        return;
    }
    match last.code {
        E::UnableToGetIssuerCertLocally
        | E::UnableToGetIssuerCert
        | E::UnableToVerifyLeafSignature
            if too_long =>
        {
            // Would a deeper limit verify it?
            let mut p = x.params;
            p.depth = 16;
            let deeper = verify_client(x.client, x.store, p);
            if deeper.anchored {
                let need = deeper.chain.len().saturating_sub(2);
                findings.push(format!(
                    "the chain needs {need} intermediate CA{} but ssl_verify_depth is {}: OpenSSL stops building at the limit (it raises 22:certificate chain too long, then {}, which nginx reports)",
                    if need == 1 { "" } else { "s" },
                    x.params.depth,
                    last.code.code()
                ));
                fixes.push(format!(
                    "set `ssl_verify_depth {need};` in server {} (it counts intermediate CAs only)",
                    x.server.display_name()
                ));
            } else {
                findings.push("the chain is longer than ssl_verify_depth allows, and would not verify with a larger depth either".into());
            }
        }
        E::UnableToVerifyLeafSignature => {
            let issuer = r
                .chain
                .first()
                .map(|c| c.issuer.clone())
                .unwrap_or_default();
            findings.push(format!(
                "the issuer of the client certificate ({issuer}) is neither sent by the client nor in ssl_client_certificate/ssl_trusted_certificate"
            ));
            let send = |fixes: &mut Vec<String>, file: &str, cond: &str| {
                let chain = super::names::new_name(&x.client.leaf.origin.path, "-chain");
                if x.pkcs12 {
                    let all = super::names::new_name(&x.client.leaf.origin.path, "-all")
                        .replace(".p12", ".pem");
                    fixes.push(format!(
                        "{cond}put it into a new PKCS#12: (umask 077; openssl pkcs12 -in {cert} -nodes -passin env:P12_PASSWORD -out {all}) && openssl pkcs12 -export -out {chain} -in {all} -certfile {file} -passout env:P12_PASSWORD && rm {all}, then {}",
                        x.curl(&chain)
                    ));
                } else {
                    fixes.push(format!(
                        "{cond}send it with the certificate: cat {cert} {file} > {chain_file} && {}",
                        x.curl(&chain_file)
                    ));
                }
            };
            match x.issuer_file(&x.client.leaf) {
                Some(f) if !f.is_root() => {
                    let file = f.path.display().to_string();
                    findings.push(format!(
                        "{file} holds {issuer}, an intermediate CA: the client must send it"
                    ));
                    send(
                        fixes,
                        &file,
                        &format!("the intermediate {issuer} is in {file}: "),
                    );
                    let mut with = x.client.clone();
                    with.intermediates.push(f.certificate.clone());
                    let again = verify_client(&with, x.store, x.params);
                    if let Some(e) = again.final_error() {
                        findings.push(format!(
                            "with it the chain would still fail: {}:{} at depth {} ({})",
                            e.code.code(),
                            e.code.text(x.result.openssl),
                            e.depth,
                            e.subject
                        ));
                        if let Some(root) = x
                            .issuer_file(&f.certificate)
                            .filter(|r| r.is_root() && e.code == E::UnableToGetIssuerCertLocally)
                        {
                            fixes.push(format!(
                                "and trust its root {} (in {}): {}",
                                root.certificate.info.subject,
                                root.path.display(),
                                x.trust_also(
                                    &root.path.display().to_string(),
                                    &cn(&root.certificate.info.subject)
                                )
                            ));
                        }
                    }
                }
                Some(f) => {
                    let file = f.path.display().to_string();
                    findings.push(format!(
                        "{file} holds {issuer}, the self-signed root that issued the client certificate; the server does not trust it"
                    ));
                    fixes.push(format!(
                        "if {issuer} (in {file}) should be trusted, a CA the server does not know yet or the one that replaced its CA: {}",
                        x.trust_also(&file, &cn(&issuer))
                    ));
                    if let Some(ca) = x.directive_file("ssl_client_certificate") {
                        fixes.push(format!(
                            "otherwise re-issue the client certificate from the CA in {ca}: {}",
                            reissue_from_server_ca(x)
                        ));
                    }
                }
                None => {
                    let issuer_file = super::names::ca_file_for(&issuer);
                    findings.push(format!(
                        "no file holding {issuer} was found in {}: {issuer_file} in the fixes stands for it",
                        x.searched()
                    ));
                    send(
                        fixes,
                        &issuer_file,
                        &format!("if {issuer} is an intermediate CA, "),
                    );
                    fixes.push(format!(
                        "if {issuer} is the root that issued the client certificate (a CA the server does not know, or the CA was replaced), and it should be trusted: {}; otherwise issue the client certificate from the CA in {}",
                        x.trust_also(&issuer_file, &cn(&issuer)),
                        x.ca_file()
                    ));
                }
            }
        }
        E::UnableToGetIssuerCertLocally => {
            let top = r.chain.last();
            let top_issuer = top.map(|c| c.issuer.clone()).unwrap_or_default();
            findings.push(format!(
                "the client's chain ends at {}, whose issuer {} is not in the server's trust files",
                top.map(|c| c.subject.as_str()).unwrap_or(""),
                top_issuer
            ));
            let found = x
                .cert(r.chain.len().saturating_sub(1))
                .and_then(|c| x.issuer_file(c));
            match found {
                Some(f) => fixes.push(format!(
                    "if {top_issuer} (in {}) should be trusted: {}; otherwise issue the client certificate from a CA the server trusts",
                    f.path.display(),
                    x.trust_also(&f.path.display().to_string(), &cn(&top_issuer))
                )),
                None => fixes.push(format!(
                    "if that CA should be trusted, add its root to ssl_client_certificate: {} (no file holding {top_issuer} was found in {}); otherwise issue the client certificate from a CA the server trusts",
                    x.trust_also(&super::names::ca_file_for(&top_issuer), &cn(&top_issuer)),
                    x.searched()
                )),
            }
        }
        E::UnableToGetIssuerCert => {
            let top = r.chain.last();
            let root_dn = top.map(|c| c.issuer.clone()).unwrap_or_default();
            findings.push(format!(
                "the chain reaches {} from the server's trust files, but not the root that issued it ({}): OpenSSL (as nginx uses it) accepts no partial chain",
                top.map(|c| c.subject.as_str()).unwrap_or(""),
                root_dn
            ));
            let file = x
                .cert(r.chain.len().saturating_sub(1))
                .and_then(|c| x.issuer_file(c))
                .map(|f| f.path.display().to_string())
                .unwrap_or_else(|| super::names::ca_file_for(&root_dn));
            fixes.push(format!(
                "put the root {root_dn} next to the intermediate: {}",
                x.trust_also(&file, &cn(&root_dn))
            ));
        }
        E::DepthZeroSelfSignedCert => {
            findings.push(
                "the client certificate is self-signed and is not in the server's trust files"
                    .into(),
            );
            fixes.push(format!(
                "issue the client certificate from the CA in {}: {}",
                x.ca_file(),
                reissue_from_server_ca(x)
            ));
        }
        E::SelfSignedCertInChain => {
            let top = r.chain.last();
            let root_dn = top.map(|c| c.subject.clone()).unwrap_or_default();
            findings.push(format!(
                "the client sent its own root {root_dn}, which is not in the server's trust files"
            ));
            let file = x
                .cert(r.chain.len().saturating_sub(2))
                .and_then(|c| x.issuer_file(c))
                .map(|f| f.path.display().to_string())
                .unwrap_or_else(|| super::names::ca_file_for(&root_dn));
            fixes.push(format!(
                "if that root should be trusted: {}",
                x.trust_also(&file, &cn(&root_dn))
            ));
        }
        E::CertHasExpired | E::CertNotYetValid => {
            if let Some(c) = x.cert(last.depth) {
                let what = if last.code == E::CertHasExpired {
                    format!("expired on {}", date(c.info.not_after))
                } else {
                    format!("is not valid before {}", date(c.info.not_before))
                };
                findings.push(format!(
                    "{} (depth {}) {what}; verification time {}",
                    c.info.subject,
                    last.depth,
                    date(t)
                ));
                if last.depth == 0 {
                    let found = x.issuer_file(c);
                    fixes.push(format!(
                        "re-issue the client certificate with a current validity period from its issuer {}: {}",
                        c.info.issuer,
                        x.reissue(found.as_ref(), &c.info.issuer, "-renewed", None)
                    ));
                } else {
                    fixes.push(format!(
                        "renew the CA certificate {} (same key, new dates) and deploy it where it is now ({})",
                        c.info.subject,
                        x.source(last.depth)
                    ));
                }
            }
        }
        E::InvalidPurpose => {
            if let Some(c) = x.cert(last.depth) {
                let i = &c.info;
                let aux = c.aux_trust.is_some();
                if aux {
                    findings.push(format!(
                        "{} carries OpenSSL trust settings that do not allow clientAuth",
                        i.subject
                    ));
                    fixes.push(format!("store {} as a plain `BEGIN CERTIFICATE` (openssl x509 -in anchor.pem -out anchor.crt), or add clientAuth: openssl x509 -in anchor.pem -addtrust clientAuth -trustout", i.subject));
                } else if last.depth == 0 {
                    findings.push(format!(
                        "the client certificate's extendedKeyUsage ({}) does not include clientAuth",
                        i.extended_key_usage.as_ref().map(|e| e.names.join(", ")).unwrap_or_default()
                    ));
                    fixes.push("re-issue the client certificate with `extendedKeyUsage = clientAuth` (openssl x509 -req ... -extfile <(printf 'extendedKeyUsage = clientAuth'))".into());
                } else if i.basic_constraints.is_some_and(|b| !b.ca) {
                    findings.push(format!("the intermediate {} is marked CA:FALSE", i.subject));
                    fixes.push(format!(
                        "re-issue {} with `basicConstraints = critical,CA:TRUE`",
                        i.subject
                    ));
                } else {
                    findings.push(format!(
                        "the CA {} has extendedKeyUsage {} without clientAuth: OpenSSL enforces EKU on CA certificates too",
                        i.subject,
                        i.extended_key_usage.as_ref().map(|e| e.names.join(", ")).unwrap_or_default()
                    ));
                    fixes.push(format!("re-issue {} with `extendedKeyUsage = clientAuth` (or without extendedKeyUsage)", i.subject));
                }
            }
        }
        E::InvalidCa => {
            findings.push(format!(
                "{} is used as a CA but has no basicConstraints CA:TRUE",
                last.subject
            ));
            fixes.push(format!("re-issue {} with `basicConstraints = critical,CA:TRUE` and `keyUsage = keyCertSign, cRLSign`", last.subject));
        }
        E::PathLengthExceeded => {
            findings.push(format!(
                "the pathLenConstraint of {} forbids the CAs below it",
                last.subject
            ));
            fixes.push(format!("re-issue {} with a larger pathlen (basicConstraints = critical,CA:TRUE,pathlen:N), or issue the client certificate one level higher", last.subject));
        }
        E::CertRevoked => {
            findings.push(format!(
                "{} (serial {}) is listed as revoked in the ssl_crl file {}",
                last.subject,
                x.cert(last.depth)
                    .map(|c| c.info.serial.clone())
                    .unwrap_or_default(),
                x.directive_file("ssl_crl").unwrap_or_default()
            ));
            fixes
                .push("issue a new client certificate (a revoked one cannot be reinstated)".into());
        }
        E::UnableToGetCrl => {
            let mut missing: Vec<String> = Vec::new();
            for e in r.errors.iter().filter(|e| e.code == E::UnableToGetCrl) {
                if let Some(c) = x.cert(e.depth)
                    && !missing.contains(&c.info.issuer)
                {
                    missing.push(c.info.issuer.clone());
                }
            }
            findings.push(format!(
                "ssl_crl turns on CRL checking for every certificate of the chain, the root included; {} has no CRL from {}",
                x.directive_file("ssl_crl").unwrap_or_default(),
                missing.join(" and ")
            ));
            let names: Vec<String> = missing.iter().map(|m| format!("{}.crl", cn(m))).collect();
            fixes.push(format!(
                "generate the missing CRL (openssl ca -gencrl -config ca.cnf -out {}) and keep one CRL per CA of the chain in the file: cat {} {} > crl.pem, then `ssl_crl crl.pem;`",
                names.first().cloned().unwrap_or_else(|| "ca.crl".into()),
                x.directive_file("ssl_crl").unwrap_or_default(),
                names.join(" ")
            ));
        }
        E::CrlHasExpired | E::CrlNotYetValid => {
            findings.push(format!(
                "a CRL in {} for {} is outside its thisUpdate/nextUpdate window",
                x.directive_file("ssl_crl").unwrap_or_default(),
                last.subject
            ));
            fixes.push("regenerate the CRL (openssl ca -gencrl -crldays 30 ...) and reload nginx; schedule this before nextUpdate".into());
        }
        E::CertSignatureFailure | E::CrlSignatureFailure => {
            findings.push(format!(
                "a signature does not verify at depth {} ({})",
                last.depth, last.subject
            ));
            fixes.push("the certificate was not issued by the CA with that name: re-issue it from the right CA".into());
        }
        _ => {
            findings.push(format!(
                "final error {}:{}",
                last.code.code(),
                last.code.text(x.result.openssl)
            ));
        }
    }
}

/// Fixes for a request the configuration answers with an error after the handshake.
/// `send` is how to send a certificate (a curl command) and `issuers` who issues one
/// the server verifies.
pub fn request_fixes(
    fixes: &mut Vec<String>,
    o: &super::request::RequestOutcome,
    vars: &super::request::ClientVars,
    cert_sent: bool,
    send: &str,
    issuers: &str,
) {
    let by = o.decided_by.as_deref().unwrap_or("");
    let map = o
        .maps
        .iter()
        .find(|m| by.contains(&m.variable) && m.source.starts_with("$ssl_client_"));
    if by.contains("ssl_client_verify") && vars.verify != "SUCCESS" {
        if cert_sent {
            fixes.push(format!(
                "{by} requires $ssl_client_verify = SUCCESS and it is {}: make the certificate verify (the fixes above)",
                vars.verify
            ));
        } else {
            fixes.push(format!(
                "{by} requires a verified certificate: send one issued by {issuers}: {send}"
            ));
        }
    } else if let Some(m) = map {
        if !cert_sent {
            fixes.push(format!(
                "{by} reads {}, which the map at {} sets to {:?} when no certificate is sent: send one that it lets through: {send}",
                m.variable, m.at, m.value
            ));
        } else if let Some(v) = m.other_values.first() {
            let key = m.input.replace('\\', "\\\\").replace('"', "\\\"");
            fixes.push(format!(
                "{by} reads {}, which the map at {} sets to {:?} for {} {:?} (entry `{}`): to let this certificate through, add `\"{key}\" {v};` to that map and reload nginx; otherwise use a certificate the map lists",
                m.variable, m.at, m.value, m.source, m.input, m.entry
            ));
        }
    } else if by.contains("ssl_client_s_dn")
        || by.contains("ssl_client_i_dn")
        || by.contains("ssl_client_serial")
        || by.contains("ssl_client_fingerprint")
        || (by.contains("inside `if") && cert_sent)
    {
        fixes.push(format!(
            "{by} refuses this certificate (subject {}, issuer {}, serial {}) on purpose: it lets through only certificates that pass that condition; use one that does, or change the condition if this one should pass",
            vars.s_dn, vars.i_dn, vars.serial
        ));
    } else if by.contains("`deny") {
        fixes.push(format!(
            "{by} refuses the client's address: add `allow 127.0.0.1;` (the client's address; 127.0.0.1 is assumed) before the deny and reload nginx"
        ));
    } else {
        fixes.push(format!(
            "the configuration answers this path with an error ({by}); no client certificate changes that"
        ));
    }
}
