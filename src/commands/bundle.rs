//! `nginx-mtls-lint bundle`: the CA file nginx needs, built from what the user has.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::certs::build::{chain_of, order_cas};
use crate::certs::load::{Certificate, Crl, load_bundle, load_client_chain};
use crate::certs::pem;
use crate::certs::verify::{TrustStore, VerifyParams, verify_client};
use crate::cli::BundleArgs;
use crate::error::{Error, exit};
use crate::rules::support::crl_for;
use crate::rules::{Severity, rule::validity};
use crate::util::time::now;

/// One CA written to the bundle.
#[derive(Debug, Serialize)]
struct Written {
    subject: String,
    issuer: String,
    not_after: String,
    /// `root` or `intermediate`.
    role: &'static str,
    from: String,
}

/// Something read and not written, and why.
#[derive(Debug, Serialize)]
struct LeftOut {
    from: String,
    subject: Option<String>,
    reason: String,
}

/// A `--for-client` certificate against the bundle.
#[derive(Debug, Serialize)]
struct ClientCheck {
    file: String,
    subject: String,
    chains: bool,
    /// The intermediates between it and the root.
    intermediates: usize,
    problem: Option<String>,
}

#[derive(Debug, Serialize)]
struct Report {
    schema_version: u32,
    output: String,
    certificates: Vec<Written>,
    left_out: Vec<LeftOut>,
    warnings: Vec<String>,
    clients: Vec<ClientCheck>,
    crl_output: Option<String>,
    /// The nginx lines to set.
    nginx: Vec<String>,
    next_steps: Vec<String>,
}

/// The files of the inputs: files as given, directories walked (two levels, files of
/// 1 MiB at most, hidden ones skipped). `true` for a file named explicitly.
fn input_files(inputs: &[PathBuf]) -> Result<Vec<(PathBuf, bool)>, Error> {
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = walkdir::WalkDir::new(p)
                .max_depth(2)
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file())
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .filter(|e| e.metadata().is_ok_and(|m| m.len() <= 1 << 20))
                .map(|e| e.into_path())
                .collect();
            files.sort();
            out.extend(files.into_iter().map(|f| (f, false)));
        } else if p.exists() {
            out.push((p.clone(), true));
        } else {
            return Err(Error::Input {
                path: p.display().to_string(),
                message: "no such file or directory".into(),
            });
        }
    }
    Ok(out)
}

/// `nginx-mtls-lint bundle`.
pub fn run(args: &BundleArgs) -> Result<u8, Error> {
    let time = now();
    let warn_days = args.warn_days.clone().unwrap_or_else(|| vec![30, 15, 7]);
    let openssl = match &args.openssl_version {
        Some(v) => crate::certs::profile::Openssl::parse(v).map_err(|e| Error::Input {
            path: "--openssl-version".into(),
            message: e,
        })?,
        None => crate::certs::profile::Openssl::NEWEST,
    };
    let to_stdout = args.output.as_os_str() == "-";
    let files = input_files(&args.inputs)?;
    // Never write over an input.
    let canon = |p: &Path| std::fs::canonicalize(p).ok();
    for (out, what) in [
        (Some(&args.output), "--output"),
        (args.crl_out.as_ref(), "--crl-out"),
    ] {
        let Some(out) = out.filter(|o| o.as_os_str() != "-") else {
            continue;
        };
        let target = canon(out);
        let inputs = files
            .iter()
            .map(|(f, _)| f)
            .chain(&args.crl)
            .chain(&args.for_client);
        if target.is_some() && inputs.into_iter().any(|f| canon(f) == target) {
            return Err(Error::Input {
                path: out.display().to_string(),
                message: format!("{what} is one of the inputs: choose a new file"),
            });
        }
    }
    let mut left_out = Vec::new();
    let mut warnings = Vec::new();
    let mut bundles = Vec::new();
    for (f, explicit) in &files {
        let data_is_p12 = crate::certs::load::read_file_at_most(f, 1 << 20)
            .map(|d| crate::certs::pkcs12::looks_like_pkcs12(&d))
            .unwrap_or(false);
        if data_is_p12 {
            left_out.push(LeftOut {
                from: f.display().to_string(),
                subject: None,
                reason: "a PKCS#12 archive: give its certificates as PEM (openssl pkcs12 -in FILE -nokeys -out certs.pem)".into(),
            });
            continue;
        }
        match load_bundle(f) {
            Ok(b) => {
                if !b.private_keys.is_empty() {
                    left_out.push(LeftOut {
                        from: f.display().to_string(),
                        subject: None,
                        reason: "holds a private key: only its certificates are read, the key is never copied".into(),
                    });
                }
                bundles.push(b);
            }
            Err(e) if *explicit => {
                return Err(Error::Input {
                    path: f.display().to_string(),
                    message: e.reason(),
                });
            }
            Err(_) => {}
        }
    }
    let mut cas: Vec<&Certificate> = Vec::new();
    for b in &bundles {
        for c in &b.certificates {
            let from = c.location();
            if !c.info.is_ca() {
                left_out.push(LeftOut {
                    from,
                    subject: Some(c.info.subject.clone()),
                    reason: "not a CA certificate (basicConstraints CA:FALSE or none): a client or server certificate does not belong in ssl_client_certificate".into(),
                });
                continue;
            }
            match validity(time, c.info.not_before, c.info.not_after, &warn_days) {
                Some((Severity::Error, when)) if !args.allow_expired => {
                    left_out.push(LeftOut {
                        from,
                        subject: Some(c.info.subject.clone()),
                        reason: format!("{when}: nginx rejects every client chain through it (--allow-expired keeps it)"),
                    });
                    continue;
                }
                Some((_, when)) => warnings.push(format!("CA {} ({from}) {when}", c.info.subject)),
                None => {}
            }
            cas.push(c);
        }
    }
    if cas.is_empty() {
        return Err(Error::Input {
            path: args.inputs[0].display().to_string(),
            message: "no CA certificate in the inputs".into(),
        });
    }
    let ordered = order_cas(&cas);
    let mut written = Vec::new();
    let mut text = String::new();
    for c in &ordered {
        let chain = chain_of(c, &ordered);
        let top = chain[chain.len() - 1];
        if !top.info.openssl_self_signed && std::ptr::eq(*c, top) {
            warnings.push(format!(
                "CA {} reaches no self-signed root among the inputs (its issuer {} is missing): nginx needs the whole chain up to the root in ssl_client_certificate",
                c.info.subject, c.info.issuer
            ));
        }
        let root = c.info.openssl_self_signed;
        text.push_str(&format!(
            "# {} ({}, expires {})\n",
            c.info.subject,
            if root { "root" } else { "intermediate" },
            c.info.not_after_rfc3339
        ));
        text.push_str(&pem::encode("CERTIFICATE", &c.der));
        written.push(Written {
            subject: c.info.subject.clone(),
            issuer: c.info.issuer.clone(),
            not_after: c.info.not_after_rfc3339.clone(),
            role: if root { "root" } else { "intermediate" },
            from: c.location(),
        });
    }
    // The depth the chains need: the intermediates under a root, for the deepest CA.
    let mut depth = ordered
        .iter()
        .map(|c| chain_of(c, &ordered).len().saturating_sub(1))
        .max()
        .unwrap_or(0);
    let mut store = TrustStore::new();
    for c in &ordered {
        store.certificates.push((*c).clone());
    }
    let mut clients = Vec::new();
    for f in &args.for_client {
        let chain = load_client_chain(f).map_err(|e| Error::Input {
            path: f.display().to_string(),
            message: e.to_string(),
        })?;
        let result = verify_client(
            &chain,
            &store,
            VerifyParams {
                depth: 100,
                time,
                crl_check: false,
                openssl,
                purpose: crate::certs::verify::Purpose::SslClient,
            },
        );
        let intermediates = result.chain.len().saturating_sub(2);
        let problem = result.final_error().map(|e| {
            let missing = result
                .chain
                .last()
                .map(|l| {
                    format!(
                        "; the chain stops at {} (issuer {} is not in the bundle)",
                        l.subject, l.issuer
                    )
                })
                .unwrap_or_default();
            format!(
                "{}{}",
                result.text(e.code),
                if result.anchored {
                    String::new()
                } else {
                    missing
                }
            )
        });
        if problem.is_none() {
            depth = depth.max(intermediates);
        }
        clients.push(ClientCheck {
            file: f.display().to_string(),
            subject: chain.leaf.info.subject.clone(),
            chains: problem.is_none(),
            intermediates,
            problem,
        });
    }
    // CRLs.
    let mut crl_text = String::new();
    if !args.crl.is_empty() {
        let mut crls: Vec<Crl> = Vec::new();
        for f in &args.crl {
            let b = load_bundle(f).map_err(|e| Error::Input {
                path: f.display().to_string(),
                message: e.reason(),
            })?;
            crls.extend(b.crls);
        }
        for c in &ordered {
            match crls.iter().find(|crl| crl_for(crl, c)) {
                Some(crl) => {
                    if crl.info.next_update.is_some_and(|n| n <= time) {
                        warnings.push(format!(
                            "the CRL of {} has expired (nextUpdate {}): nginx rejects its clients with FAILED:CRL has expired",
                            c.info.subject,
                            crl.info.next_update_rfc3339.clone().unwrap_or_default()
                        ));
                    }
                    crl_text.push_str(&format!("# CRL of {}\n", c.info.subject));
                    crl_text.push_str(&pem::encode("X509 CRL", &crl.der));
                }
                None => warnings.push(format!(
                    "no CRL of {} among --crl: with ssl_crl, OpenSSL {openssl} rejects every chain through it (FAILED:unable to get certificate CRL)",
                    c.info.subject
                )),
            }
        }
    }
    let out_name = if to_stdout {
        "-".to_string()
    } else {
        std::fs::canonicalize(
            args.output
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
        )
        .map(|d| d.join(args.output.file_name().unwrap_or_default()))
        .unwrap_or_else(|_| args.output.clone())
        .display()
        .to_string()
    };
    let mut nginx = vec![format!("ssl_client_certificate {out_name};")];
    if depth > 1 {
        nginx.push(format!("ssl_verify_depth {depth};"));
    }
    let crl_output = args.crl_out.as_ref().map(|p| p.display().to_string());
    if let Some(p) = &crl_output {
        nginx.push(format!("ssl_crl {p};"));
    }
    let mut next_steps = vec!["nginx -t && nginx -s reload".to_string()];
    for c in &args.for_client {
        next_steps.push(format!(
            "curl --cert {} --key <its key> https://<server>/   (expect 200)",
            c.display()
        ));
    }
    let failed = clients.iter().any(|c| !c.chains);
    let report = Report {
        schema_version: 1,
        output: out_name.clone(),
        certificates: written,
        left_out,
        warnings,
        clients,
        crl_output,
        nginx,
        next_steps,
    };
    // Write the files.
    if to_stdout {
        std::io::stdout().lock().write_all(text.as_bytes())?;
    } else {
        super::io::emit(Some(&args.output), &text)?;
    }
    if let Some(p) = &args.crl_out {
        super::io::emit(Some(p), &crl_text)?;
    }
    let shown = super::io::render_doc(args.format, &report, human)?;
    // The report goes to stderr when the bundle itself is on stdout.
    if to_stdout {
        std::io::stderr().lock().write_all(shown.as_bytes())?;
    } else {
        std::io::stdout().lock().write_all(shown.as_bytes())?;
    }
    Ok(if failed { exit::FINDINGS } else { exit::CLEAN })
}

fn human(r: &Report) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "wrote {} CA certificate(s) to {}:",
        r.certificates.len(),
        r.output
    );
    for c in &r.certificates {
        let _ = writeln!(
            s,
            "  {} {} (expires {}; from {})",
            c.role, c.subject, c.not_after, c.from
        );
    }
    for l in &r.left_out {
        let _ = writeln!(
            s,
            "left out {}{}: {}",
            l.from,
            l.subject
                .as_ref()
                .map(|x| format!(" ({x})"))
                .unwrap_or_default(),
            l.reason
        );
    }
    for w in &r.warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    for c in &r.clients {
        match &c.problem {
            None => {
                let _ = writeln!(
                    s,
                    "client {} ({}): chains to a root of the bundle",
                    c.file, c.subject
                );
            }
            Some(p) => {
                let _ = writeln!(
                    s,
                    "client {} ({}): does NOT chain to the bundle: {p}",
                    c.file, c.subject
                );
            }
        }
    }
    if let Some(p) = &r.crl_output {
        let _ = writeln!(s, "wrote the CRLs to {p}");
    }
    s.push_str("set in nginx:\n");
    for l in &r.nginx {
        let _ = writeln!(s, "  {l}");
    }
    s.push_str("then:\n");
    for n in &r.next_steps {
        let _ = writeln!(s, "  {n}");
    }
    s
}
