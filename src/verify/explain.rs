//! Turning a verification result into sentences: the chain that was built (or where it
//! broke), which trust file and which certificate in it anchored it, dates, purposes,
//! depth, CRLs; and the fixes, as commands or directives ready to paste.

use std::path::PathBuf;

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

    /// The CA file of the server, or a name for it.
    fn ca_file(&self) -> String {
        self.directive_file("ssl_client_certificate")
            .or_else(|| self.directive_file("ssl_trusted_certificate"))
            .unwrap_or_else(|| "ca.crt".into())
    }
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
                e.code.as_str(),
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
        let file = x.ca_file();
        fixes.push(format!(
            "while the clients are re-issued, trust the old {name} beside the new one: cat {file} OLD-{}.crt > {}, then `ssl_client_certificate {};` and reload",
            cn(&name),
            super::names::new_name(std::path::Path::new(&file), "-with-old"),
            super::names::new_name(std::path::Path::new(&file), "-with-old")
        ));
        fixes.push(format!(
            "re-issue {} from the new {name}: openssl x509 -req -in client.csr -CA {file} -CAkey NEW-CA.key -days 365 -extfile <(printf 'extendedKeyUsage = clientAuth') -out {}",
            top.map(|c| c.info.subject.clone()).unwrap_or_default(),
            super::names::new_name(&x.client.leaf.origin.path, "-new")
        ));
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
            let issuer_file = format!("{}.crt", cn(&issuer));
            if x.pkcs12 {
                fixes.push(format!(
                    "if {issuer} is an intermediate CA, put it into a new PKCS#12: (umask 077; openssl pkcs12 -in {cert} -nodes -passin env:P12_PASSWORD -out all.pem) && openssl pkcs12 -export -out {} -in all.pem -certfile {issuer_file} -passout env:P12_PASSWORD && rm all.pem, then {}",
                    super::names::new_name(&x.client.leaf.origin.path, "-chain"),
                    x.curl(&super::names::new_name(&x.client.leaf.origin.path, "-chain"))
                ));
            } else {
                fixes.push(format!(
                    "if {issuer} is an intermediate CA, send it with the certificate: cat {cert} {issuer_file} > {chain_file} && {}",
                    x.curl(&chain_file)
                ));
            }
            fixes.push(format!(
                "if {issuer} is the root that issued the client certificate (a CA the server does not know, or the CA was replaced), and it should be trusted: cat {} {issuer_file} > bundle.pem, then `ssl_client_certificate bundle.pem;`; otherwise issue the client certificate from the CA in {}",
                x.ca_file(),
                x.ca_file()
            ));
        }
        E::UnableToGetIssuerCertLocally => {
            let top = r.chain.last();
            findings.push(format!(
                "the client's chain ends at {}, whose issuer {} is not in the server's trust files",
                top.map(|c| c.subject.as_str()).unwrap_or(""),
                top.map(|c| c.issuer.as_str()).unwrap_or("")
            ));
            fixes.push(format!(
                "if that CA should be trusted, add its root to ssl_client_certificate: cat {} {}.crt > bundle.pem (then `ssl_client_certificate bundle.pem;`); otherwise issue the client certificate from a CA the server trusts",
                x.ca_file(),
                top.map(|c| cn(&c.issuer)).unwrap_or_default()
            ));
        }
        E::UnableToGetIssuerCert => {
            let top = r.chain.last();
            findings.push(format!(
                "the chain reaches {} from the server's trust files, but not the root that issued it ({}): OpenSSL (as nginx uses it) accepts no partial chain",
                top.map(|c| c.subject.as_str()).unwrap_or(""),
                top.map(|c| c.issuer.as_str()).unwrap_or("")
            ));
            fixes.push(format!(
                "put the root next to the intermediate: cat {} {}.crt > bundle.pem, then `ssl_client_certificate bundle.pem;`",
                x.ca_file(),
                top.map(|c| cn(&c.issuer)).unwrap_or_else(|| "root".into())
            ));
        }
        E::DepthZeroSelfSignedCert => {
            findings.push(
                "the client certificate is self-signed and is not in the server's trust files"
                    .into(),
            );
            fixes.push(format!("issue the client certificate from the CA in {0} (openssl x509 -req -in client.csr -CA {0} -CAkey CA.key -days 365 -extfile <(printf 'extendedKeyUsage = clientAuth') -out {1})", x.ca_file(), super::names::new_name(&x.client.leaf.origin.path, "-new")));
        }
        E::SelfSignedCertInChain => {
            let top = r.chain.last();
            findings.push(format!(
                "the client sent its own root {}, which is not in the server's trust files",
                top.map(|c| c.subject.as_str()).unwrap_or("")
            ));
            fixes.push(format!(
                "if that root should be trusted: cat {} {}.crt > bundle.pem, then `ssl_client_certificate bundle.pem;`",
                x.directive_file("ssl_client_certificate").unwrap_or_else(|| "ca.crt".into()),
                top.map(|c| cn(&c.subject)).unwrap_or_default()
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
                    let issuer_file = x
                        .cert(1)
                        .map(|i| match x.result.chain.get(1).map(|l| l.source) {
                            Some(ChainSource::Trusted(_)) => i.origin.path.display().to_string(),
                            _ => format!("{}.crt", cn(&i.info.subject)),
                        })
                        .unwrap_or_else(|| format!("{}.crt", cn(&c.info.issuer)));
                    fixes.push(format!(
                        "re-issue the client certificate with a current validity period from its issuer {}: openssl x509 -req -in client.csr -CA {issuer_file} -CAkey {}.key -days 365 -extfile <(printf 'extendedKeyUsage = clientAuth') -out {}",
                        c.info.issuer,
                        cn(&c.info.issuer),
                        super::names::new_name(&x.client.leaf.origin.path, "-renewed")
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
                last.code.as_str()
            ));
        }
    }
}

/// Fixes for a request the configuration answers with an error after the handshake.
pub fn request_fixes(
    fixes: &mut Vec<String>,
    o: &super::request::RequestOutcome,
    vars: &super::request::ClientVars,
    cert_sent: bool,
) {
    let by = o.decided_by.as_deref().unwrap_or("");
    if by.contains("ssl_client_verify") && vars.verify != "SUCCESS" {
        if cert_sent {
            fixes.push(format!(
                "{by} requires $ssl_client_verify = SUCCESS and it is {}: make the certificate verify (the fixes above)",
                vars.verify
            ));
        } else {
            fixes.push(format!(
                "{by} requires a verified certificate: send one (curl --cert CERT --key KEY)"
            ));
        }
    } else if by.contains("ssl_client_s_dn")
        || by.contains("ssl_client_i_dn")
        || by.contains("ssl_client_serial")
        || by.contains("ssl_client_fingerprint")
        || (by.contains("inside `if") && cert_sent)
    {
        fixes.push(format!(
            "{by} refuses this certificate (subject {}, issuer {}, serial {}): use a certificate it allows, or allow this one there",
            vars.s_dn, vars.i_dn, vars.serial
        ));
    } else if by.contains("`deny") {
        fixes.push(format!(
            "{by} refuses the client's address: add an `allow` for it before the deny"
        ));
    } else {
        fixes.push(format!(
            "the configuration answers this path with an error ({by}); no client certificate changes that"
        ));
    }
}
