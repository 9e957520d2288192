//! `nginx-mtls-lint p12`: the PKCS#12 a browser or OS keychain imports, written with
//! `p12-keystore` (the crate the tool already reads PKCS#12 with; it writes both the
//! PBES2/AES-256 and the PBE-SHA1-3DES forms, with SHA-256 or SHA-1 MACs).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::certs::build::{chain_of, pkcs8_of_key_file};
use crate::certs::discover::{dir_of, find_issuer, unique_dirs};
use crate::certs::keys::{KeyMatch, key_matches, load_private_key};
use crate::certs::load::{Certificate, load_bundle};
use crate::certs::verify::purpose_ssl_client;
use crate::cli::{P12Args, P12Profile};
use crate::error::{Error, exit};
use crate::rules::rule::validity;
use crate::util::time::now;

/// OpenSSL 3's `PKCS12_DEFAULT_ITER`.
const ITERATIONS: u32 = 2048;

#[derive(Debug, Serialize)]
struct Report {
    schema_version: u32,
    output: String,
    profile: &'static str,
    /// What protects the key and certificates, and the MAC.
    algorithms: &'static str,
    trade_off: &'static str,
    friendly_name: String,
    subject: String,
    /// The certificates in the archive after the client's own.
    chain: Vec<String>,
    /// Where the password is: never the password itself.
    password: String,
    warnings: Vec<String>,
    next_steps: Vec<String>,
}

fn input(path: &Path, message: impl Into<String>) -> Error {
    Error::Input {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// A strong password from the OS random source: 24 characters of an alphabet without
/// look-alikes (about 138 bits).
fn generate_password() -> Result<String, Error> {
    use ring::rand::{SecureRandom, SystemRandom};
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let rng = SystemRandom::new();
    let mut out = String::with_capacity(24);
    while out.len() < 24 {
        let mut b = [0u8; 1];
        rng.fill(&mut b)
            .map_err(|_| std::io::Error::other("no OS random source"))?;
        // Rejection sampling: no bias towards the first letters.
        let limit = 256 - 256 % ALPHABET.len();
        if (b[0] as usize) < limit {
            out.push(ALPHABET[b[0] as usize % ALPHABET.len()] as char);
        }
    }
    Ok(out)
}

/// Creates `path` (it must not exist) with mode 0600 and writes `data`.
fn write_private(path: &Path, data: &[u8]) -> Result<(), Error> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(path).map_err(|e| {
        input(
            path,
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                "exists already: choose a new file (it is never overwritten)".to_string()
            } else {
                format!("cannot create: {e}")
            },
        )
    })?;
    f.write_all(data)
        .and_then(|_| f.sync_all())
        .map_err(|e| input(path, format!("cannot write: {e}")))
}

/// `nginx-mtls-lint p12`.
pub fn run(args: &P12Args) -> Result<u8, Error> {
    let time = now();
    let warn_days = args.warn_days.clone().unwrap_or_else(|| vec![30, 15, 7]);
    let canon = |p: &Path| std::fs::canonicalize(p).ok();
    let inputs: Vec<&PathBuf> = [Some(&args.cert), Some(&args.key), args.chain.as_ref()]
        .into_iter()
        .flatten()
        .collect();
    if inputs
        .iter()
        .any(|i| canon(i).is_some() && canon(i) == canon(&args.output))
    {
        return Err(input(
            &args.output,
            "--output is one of the inputs: choose a new file",
        ));
    }
    if args.output.exists() {
        return Err(input(
            &args.output,
            "exists already: choose a new file (it is never overwritten)",
        ));
    }
    let bundle = load_bundle(&args.cert).map_err(|e| input(&args.cert, e.reason()))?;
    let Some(leaf) = bundle.certificates.first() else {
        return Err(input(&args.cert, "no certificate in the file"));
    };
    // The key must be the certificate's.
    let key = load_private_key(&args.key).map_err(|e| input(&args.key, e.to_string()))?;
    if key_matches(&key, leaf) == KeyMatch::Mismatch {
        let dirs = unique_dirs([dir_of(&args.cert), dir_of(&args.key)]);
        let hint = crate::certs::discover::find_key(&dirs, leaf)
            .map(|k| format!(" (the key of this certificate is {})", k.display()))
            .unwrap_or_default();
        return Err(input(
            &args.key,
            format!(
                "is not the private key of {} ({}){hint}",
                leaf.info.subject,
                args.cert.display()
            ),
        ));
    }
    // The chain: what the certificate file and --chain hold, then issuers found beside.
    let mut pool: Vec<Certificate> = bundle.certificates[1..].to_vec();
    if let Some(c) = &args.chain {
        let b = load_bundle(c).map_err(|e| input(c, e.reason()))?;
        pool.extend(b.certificates);
    }
    let mut warnings = Vec::new();
    let dirs = unique_dirs([dir_of(&args.cert)]);
    loop {
        let refs: Vec<&Certificate> = pool.iter().collect();
        let chain = chain_of(leaf, &refs);
        let top = chain[chain.len() - 1];
        if top.info.openssl_self_signed {
            break;
        }
        match find_issuer(&dirs, top) {
            Some(found) if !pool.iter().any(|p| p.der == found.certificate.der) => {
                pool.push(found.certificate);
            }
            _ => {
                warnings.push(format!(
                    "the chain stops at {}: its issuer {} was not found (give it with --chain); a server that trusts only the root rejects the certificate (MTLS305)",
                    top.info.subject, top.info.issuer
                ));
                break;
            }
        }
    }
    let refs: Vec<&Certificate> = pool.iter().collect();
    let mut chain: Vec<&Certificate> = chain_of(leaf, &refs)[1..].to_vec();
    if !args.include_root {
        chain.retain(|c| !c.info.openssl_self_signed);
    }
    if !purpose_ssl_client(&leaf.info, false) {
        warnings.push(format!(
            "{} is not a TLS client certificate (extendedKeyUsage without clientAuth, or a keyUsage without digitalSignature): nginx rejects it with FAILED:unsuitable certificate purpose",
            leaf.info.subject
        ));
    }
    if let Some((_, when)) = validity(time, leaf.info.not_before, leaf.info.not_after, &warn_days) {
        warnings.push(format!("{} {when}", leaf.info.subject));
    }
    // The password: from the environment, or generated.
    let (password, where_) = match (&args.password_env, args.generate_password) {
        (Some(var), _) => match std::env::var(var) {
            Ok(p) if !p.is_empty() => (p, format!("from the environment variable {var}")),
            _ => {
                return Err(input(
                    Path::new(var),
                    "the environment variable is not set or empty",
                ));
            }
        },
        (None, true) => (generate_password()?, String::new()),
        (None, false) => {
            return Err(input(
                &args.output,
                "give --password-env VAR or --generate-password (a password never comes from the command line)",
            ));
        }
    };
    let name = args.name.clone().unwrap_or_else(|| {
        leaf.info
            .subject
            .split(',')
            .find_map(|p| p.trim().strip_prefix("CN="))
            .unwrap_or("client")
            .to_string()
    });
    let mut key_der = pkcs8_of_key_file(&args.key).map_err(|e| input(&args.key, e))?;
    let p12_key = p12_keystore::PrivateKey::from_der(&key_der)
        .map_err(|_| input(&args.key, "the key could not be read as PKCS#8"));
    key_der.iter_mut().for_each(|b| *b = 0);
    let p12_key = p12_key?;
    let mut certs = Vec::new();
    for c in std::iter::once(leaf).chain(chain.iter().copied()) {
        certs.push(
            p12_keystore::Certificate::from_der(&c.der)
                .map_err(|_| input(&args.cert, format!("cannot encode {}", c.info.subject)))?,
        );
    }
    let local_id =
        hex::decode(leaf.info.sha1_fingerprint.replace(':', "")).unwrap_or_else(|_| vec![1]);
    let mut ks = p12_keystore::KeyStore::new();
    ks.add_entry(
        &name,
        p12_keystore::KeyStoreEntry::PrivateKeyChain(p12_keystore::PrivateKeyChain::new(
            local_id, p12_key, certs,
        )),
    );
    let (enc, mac, profile, algorithms, trade_off) = match args.profile {
        P12Profile::Modern => (
            p12_keystore::EncryptionAlgorithm::PbeWithHmacSha256AndAes256,
            p12_keystore::MacAlgorithm::HmacSha256,
            "modern",
            "PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) for the key and certificates, HMAC-SHA256 MAC",
            "what OpenSSL 3 writes by default; older macOS keychains and Windows before 10 1709 / Server 2016 cannot import it",
        ),
        P12Profile::Compatible => (
            p12_keystore::EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc,
            p12_keystore::MacAlgorithm::HmacSha1,
            "compatible",
            "PBE-SHA1-3DES for the key and certificates, HMAC-SHA1 MAC",
            "imports on older macOS and Windows; 3DES and SHA-1 are weak, so keep the file and its password private and prefer modern where you can",
        ),
    };
    let der = ks
        .writer(&password)
        .encryption_algorithm(enc)
        .encryption_iterations(ITERATIONS)
        .mac_algorithm(mac)
        .mac_iterations(ITERATIONS)
        .write()
        .map_err(|e| input(&args.output, format!("cannot build the archive: {e}")))?;
    drop(ks);
    write_private(&args.output, &der)?;
    // The password, once.
    let shown = if args.generate_password {
        match &args.password_file {
            Some(f) => {
                if let Err(e) = write_private(f, format!("{password}\n").as_bytes()) {
                    let _ = std::fs::remove_file(&args.output);
                    return Err(e);
                }
                format!("generated, written to {} (mode 0600)", f.display())
            }
            None => {
                use std::io::IsTerminal;
                if !std::io::stderr().is_terminal() {
                    let _ = std::fs::remove_file(&args.output);
                    return Err(input(
                        &args.output,
                        "a generated password is shown only on a terminal: give --password-file FILE",
                    ));
                }
                let mut err = std::io::stderr().lock();
                writeln!(err, "export password (shown once, not stored): {password}")?;
                "generated, shown once on the terminal".to_string()
            }
        }
    } else {
        where_
    };
    // The secret is overwritten before its memory is freed.
    let mut secret = password.into_bytes();
    secret.iter_mut().for_each(|b| *b = 0);
    let out = args.output.display().to_string();
    let report = Report {
        schema_version: 1,
        output: out.clone(),
        profile,
        algorithms,
        trade_off,
        friendly_name: name,
        subject: leaf.info.subject.clone(),
        chain: chain.iter().map(|c| c.info.subject.clone()).collect(),
        password: shown,
        warnings,
        next_steps: vec![
            format!(
                "curl --cert-type P12 --cert \"{out}:$P12_PASSWORD\" https://<server>/   (expect 200)"
            ),
            format!("import {out} into the browser or keychain with the export password"),
        ],
    };
    let text = super::io::render_doc(args.format, &report, |report| {
        let mut s = format!(
            "wrote {} ({} profile: {})\n  {}\n  {} ({} certificate(s) after it: {})\n  friendly name: {}\n  password: {}\n",
            report.output,
            report.profile,
            report.algorithms,
            report.trade_off,
            report.subject,
            report.chain.len(),
            if report.chain.is_empty() {
                "none".to_string()
            } else {
                report.chain.join(", ")
            },
            report.friendly_name,
            report.password
        );
        for w in &report.warnings {
            s.push_str(&format!("warning: {w}\n"));
        }
        s.push_str("then:\n");
        for n in &report.next_steps {
            s.push_str(&format!("  {n}\n"));
        }
        s
    })?;
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(exit::CLEAN)
}
