//! What commands share: reading the configuration named on the command line, and
//! writing a report to stdout or atomically to a file.

use std::io::Write;
use std::path::Path;

use crate::cli::InputArgs;
use crate::config::{self, Config, Input, LoadOptions};
use crate::error::Error;
use crate::util::read::{os_error, read_at_most};

/// Reads the configuration named on the command line.
pub fn load_input(args: &InputArgs, single_file: bool) -> Result<Config, Error> {
    let path = args.path.clone().unwrap_or_default();
    let opts = LoadOptions {
        prefix: args.prefix.clone(),
        single_file,
    };
    let input = if path.as_os_str() == "-" {
        let bytes = read_at_most(std::io::stdin().lock(), config::load::MAX_FILE_SIZE)
            .map_err(|e| Error::Input {
                path: "<stdin>".into(),
                message: os_error(&e),
            })?
            .ok_or_else(|| Error::Input {
                path: "<stdin>".into(),
                message: format!("more than {} bytes", config::load::MAX_FILE_SIZE),
            })?;
        Input::Stdin(bytes)
    } else if path.is_dir() {
        Input::Dir(path.clone())
    } else {
        Input::File(path.clone())
    };
    let config = config::load(&input, &opts);
    if let Some(e) = config
        .errors
        .iter()
        .find(|e| e.kind == config::LoadErrorKind::Input)
        && config.roots.is_empty()
    {
        return Err(Error::Input {
            path: e.path.display().to_string(),
            message: e.message.clone(),
        });
    }
    Ok(config)
}

/// A command's document in the chosen format: pretty JSON with a final newline, or the
/// text `human` makes of it.
pub fn render_doc<T: serde::Serialize>(
    format: crate::cli::VerifyFormat,
    doc: &T,
    human: impl FnOnce(&T) -> String,
) -> Result<String, Error> {
    Ok(match format {
        crate::cli::VerifyFormat::Json => {
            serde_json::to_string_pretty(doc).map_err(std::io::Error::other)? + "\n"
        }
        crate::cli::VerifyFormat::Human => human(doc),
    })
}

/// Writes `text` to `output` atomically (temp file in the same directory, then
/// rename), or to stdout.
pub fn emit(output: Option<&Path>, text: &str) -> Result<(), Error> {
    match output {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
            Ok(())
        }
        Some(p) => write_atomic(p, text.as_bytes()).map_err(|e| Error::Input {
            path: p.display().to_string(),
            message: format!("cannot write {}", os_error(&e)),
        }),
    }
}

fn write_atomic(p: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = p
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let res = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::rename(&tmp, p)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

/// Refuses certificate material or binary data given where a configuration is
/// expected (`lint`, `verify`; `parse` reports it as crossplane does).
pub fn refuse_non_configuration(args: &InputArgs) -> Result<(), Error> {
    let Some(path) = args.path.as_deref().filter(|p| p.as_os_str() != "-") else {
        return Ok(());
    };
    match not_a_configuration(path) {
        Some(what) => Err(Error::Input {
            path: path.display().to_string(),
            message: format!(
                "this is {what}, not an nginx configuration: give the nginx.conf or site file that names it (ssl_certificate, ssl_client_certificate, ...)"
            ),
        }),
        None => Ok(()),
    }
}

/// What a file given as the configuration is, when it is certificate material or
/// binary data rather than nginx configuration text (from its first 4 KiB).
fn not_a_configuration(path: &Path) -> Option<String> {
    use std::io::Read;
    // Devices and pipes go to the loader, which bounds what it reads.
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let mut head = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(4096)
        .read_to_end(&mut head)
        .ok()?;
    let text = String::from_utf8_lossy(&head);
    // A PEM block at the start of a line, before any directive.
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))?;
    if let Some(label) = first
        .strip_prefix("-----BEGIN ")
        .and_then(|l| l.strip_suffix("-----"))
    {
        let kind = match label {
            "CERTIFICATE" | "TRUSTED CERTIFICATE" | "X509 CERTIFICATE" => "a PEM certificate",
            "X509 CRL" => "a PEM certificate revocation list (CRL)",
            "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => "a PEM certificate request",
            l if l.ends_with("PRIVATE KEY") => "a PEM private key",
            l if l.ends_with("PUBLIC KEY") => "a PEM public key",
            _ => "a PEM file",
        };
        return Some(format!("{kind} (BEGIN {label})"));
    }
    let binary = head.contains(&0)
        || head
            .iter()
            .filter(|&&b| b < 0x09 || (0x0e..0x20).contains(&b))
            .count()
            * 10
            > head.len();
    if !binary {
        return None;
    }
    Some(
        if crate::certs::pkcs12::looks_like_pkcs12(&head)
            || path.extension().is_some_and(|e| e == "p12" || e == "pfx")
        {
            "a PKCS#12 file (binary)".to_string()
        } else if head.first() == Some(&0x30) {
            "DER data (a binary certificate, key or CRL)".to_string()
        } else {
            "binary data".to_string()
        },
    )
}

/// The OpenSSL and nginx versions resolved, and how (for the reports).
pub type Resolved = (
    crate::certs::profile::Openssl,
    (u32, u32, u32),
    crate::model::profile::Profile,
);

/// The nginx and OpenSSL versions to predict for: `--openssl-version` first, then the
/// `nginx -V` of `--nginx-binary` (the OpenSSL it runs with, and its version unless
/// `--nginx-version` is given), then the settings file, then the newest modelled.
pub fn resolve_profile(
    openssl_arg: Option<&str>,
    nginx_binary: Option<&std::path::Path>,
    settings_openssl: Option<&str>,
    nginx_version: Option<(u32, u32, u32)>,
) -> Result<Resolved, Error> {
    use crate::certs::profile::Openssl;
    let bad = |what: &str, message: String| Error::Input {
        path: what.to_string(),
        message,
    };
    let mut profile = crate::model::profile::Profile::default();
    let mut openssl = None;
    let mut nginx = nginx_version;
    let mut source = Vec::new();
    if let Some(s) = openssl_arg {
        openssl = Some(Openssl::parse(s).map_err(|e| bad("--openssl-version", e))?);
        source.push("--openssl-version");
    }
    if let Some(bin) = nginx_binary {
        let out = std::process::Command::new(bin)
            .arg("-V")
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| {
                bad(
                    &bin.display().to_string(),
                    format!("cannot run `{} -V`: {e}", bin.display()),
                )
            })?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        let b = crate::util::parse_nginx_v(&text);
        let Some(running) = b.running_with.clone() else {
            return Err(bad(
                &bin.display().to_string(),
                format!("`{} -V` names no OpenSSL (is it nginx?)", bin.display()),
            ));
        };
        if openssl.is_none() {
            openssl =
                Some(Openssl::parse(&running).map_err(|e| bad(&bin.display().to_string(), e))?);
        }
        if nginx.is_none() {
            nginx = b.version;
        }
        profile.nginx_binary = Some(bin.display().to_string());
        profile.openssl_built_with = b.built_with;
        profile.openssl_running_with = Some(running);
        source.push("nginx -V");
    }
    if openssl.is_none()
        && let Some(s) = settings_openssl
    {
        openssl = Some(Openssl::parse(s).map_err(|e| bad("settings: openssl-version", e))?);
        source.push("settings");
    }
    if source.is_empty() {
        source.push("default");
    }
    let openssl = openssl.unwrap_or(Openssl::NEWEST);
    let nginx = nginx.unwrap_or(crate::rules::NEWEST_NGINX);
    profile.nginx = format!("{}.{}.{}", nginx.0, nginx.1, nginx.2);
    profile.openssl = openssl.to_string();
    profile.source = source.join(", ");
    Ok((openssl, nginx, profile))
}
