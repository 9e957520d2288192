//! Secrets never leave the tool: private keys are read only to compare public keys, and
//! no output (lint human/json/sarif/github, verify human/json, parse, logs in every
//! format, error messages, `--verbose`) contains key material or a password.
//!
//! Every command runs on fixtures that hold keys: a CA bundle with a key pasted in,
//! `--client-cert` with `--client-key`, a PKCS#12 whose password comes from an
//! environment variable (right and wrong), a key file given where a certificate, a CA
//! file, a configuration or a log is expected, and a key pasted into a configuration and
//! into a log. All of stdout and stderr is searched for PEM key armour
//! (`PRIVATE KEY-----`), every base64 line of every key body, and the password.
//!
//! (The bare words `PRIVATE KEY` do appear, by design: findings name the kind of block
//! they found, e.g. `holds a private key (PRIVATE KEY, line 13)`, which is the block's
//! label, not its content.)

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use common::tool;

const PASSWORD: &str = "Sup3r-Secret-Pa55-4242";
const WRONG: &str = "Wr0ng-Guess-Pa55-9797";
const VAR: &str = "SECRETS_TEST_P12_PASSWORD";

struct Pki {
    /// Every private key written, PEM.
    keys: Vec<String>,
}

fn write_pki(d: &Path) -> Pki {
    let w = |n: &str, b: &[u8]| fs::write(d.join(n), b).unwrap();
    let root_key = rcgen::KeyPair::generate().unwrap();
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name
        .push(rcgen::DnType::CommonName, "Secrets Root CA");
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let root = p.self_signed(&root_key).unwrap();
    let issuer = rcgen::Issuer::new(p, &root_key);
    let leaf = |cn: &str| {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut p = rcgen::CertificateParams::new(vec![cn.to_string()]).unwrap();
        p.distinguished_name.push(rcgen::DnType::CommonName, cn);
        p.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        ];
        let cert = p.signed_by(&key, &issuer).unwrap();
        (cert, key)
    };
    let (client, client_key) = leaf("client.example");
    let (server, server_key) = leaf("server.example");
    let (p12_cert, p12_key) = leaf("p12.example");
    // A CA bundle with its key pasted in, and the bare root.
    w(
        "ca-with-key.pem",
        format!("{}{}", root.pem(), root_key.serialize_pem()).as_bytes(),
    );
    w("root.pem", root.pem().as_bytes());
    w("server.pem", server.pem().as_bytes());
    w("server.key", server_key.serialize_pem().as_bytes());
    w("client.pem", client.pem().as_bytes());
    w("client.key", client_key.serialize_pem().as_bytes());
    // curl's --cert takes a PEM with the key in it.
    w(
        "client-with-key.pem",
        format!("{}{}", client.pem(), client_key.serialize_pem()).as_bytes(),
    );
    let mut ks = p12_keystore::KeyStore::new();
    ks.add_entry(
        "client",
        p12_keystore::KeyStoreEntry::PrivateKeyChain(p12_keystore::PrivateKeyChain::new(
            vec![7u8; 4],
            p12_keystore::PrivateKey::from_der(&p12_key.serialize_der()).unwrap(),
            vec![
                p12_keystore::Certificate::from_der(p12_cert.der()).unwrap(),
                p12_keystore::Certificate::from_der(root.der()).unwrap(),
            ],
        )),
    );
    w("client.p12", &ks.writer(PASSWORD).write().unwrap());
    Pki {
        keys: vec![
            root_key.serialize_pem(),
            client_key.serialize_pem(),
            server_key.serialize_pem(),
            p12_key.serialize_pem(),
        ],
    }
}

const ACCESS: &str = "127.0.0.1 - [27/Nov/2026:05:49:06 +0000] \"GET / HTTP/1.1\" 200 \"SUCCESS\" \"CN=client.example\" \"1001\"\n";
const FORMAT: &str = "$remote_addr - [$time_local] \"$request\" $status \"$ssl_client_verify\" \"$ssl_client_s_dn\" \"$ssl_client_serial\"";

fn write_configs(d: &Path, pki: &Pki) {
    let server = |name: &str, ca: &str| {
        format!(
            "    server {{\n        listen 443 ssl;\n        server_name {name};\n        ssl_certificate server.pem;\n        ssl_certificate_key server.key;\n        ssl_client_certificate {ca};\n        ssl_trusted_certificate {ca};\n        ssl_verify_client on;\n        access_log logs/{name}.log mtls;\n    }}\n"
        )
    };
    let conf = format!(
        "events {{}}\nhttp {{\n    log_format mtls '{FORMAT}';\n{}{}}}\n",
        server("withkey.example", "ca-with-key.pem"),
        server("keyasca.example", "client.key"),
    );
    fs::write(d.join("nginx.conf"), conf).unwrap();
    // verify needs a configuration nginx would load: only the server with the key pasted
    // into its CA file.
    let conf = format!(
        "events {{}}\nhttp {{\n    log_format mtls '{FORMAT}';\n{}}}\n",
        server("withkey.example", "ca-with-key.pem"),
    );
    fs::write(d.join("verify.conf"), conf).unwrap();
    // A key pasted into a configuration (an unfinished copy and paste).
    fs::write(
        d.join("pasted.conf"),
        format!("events {{}}\nhttp {{\n{}}}\n", pki.keys[2]),
    )
    .unwrap();
    fs::create_dir_all(d.join("logs")).unwrap();
    // An access log with a key pasted among the lines; the other server's log is a key.
    fs::write(
        d.join("logs/withkey.example.log"),
        format!("{ACCESS}{}{ACCESS}", pki.keys[1]),
    )
    .unwrap();
    fs::write(d.join("logs/keyasca.example.log"), &pki.keys[0]).unwrap();
}

/// Everything a key could be recognised by: armour and each base64 line of its body.
fn needles(pki: &Pki) -> Vec<String> {
    let mut n = vec!["PRIVATE KEY-----".to_string(), PASSWORD.to_string()];
    for k in &pki.keys {
        n.extend(
            k.lines()
                .filter(|l| !l.starts_with("-----") && l.len() >= 16)
                .map(str::to_string),
        );
    }
    n
}

fn run(d: &Path, args: &[&str], password: Option<&str>) -> String {
    let mut cmd: Command = tool();
    cmd.current_dir(d)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove(VAR)
        .stdin(Stdio::null());
    if let Some(p) = password {
        cmd.env(VAR, p);
    }
    let out = cmd.output().unwrap();
    let code = out.status.code();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        matches!(code, Some(0..=2)),
        "{args:?}: exit {code:?}, output:\n{text}"
    );
    assert!(!text.is_empty(), "{args:?}: no output");
    text
}

#[test]
fn no_output_contains_key_material_or_a_password() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let pki = write_pki(d);
    write_configs(d, &pki);
    let needles = needles(&pki);
    assert!(needles.len() > 10, "{needles:?}");

    let mut runs: Vec<(Vec<String>, Option<&str>)> = Vec::new();
    let mut add = |args: &[&str], pw: Option<&'static str>| {
        runs.push((args.iter().map(|s| s.to_string()).collect(), pw));
    };
    for conf in ["nginx.conf", "pasted.conf", "client.key"] {
        for fmt in ["human", "json", "sarif", "github"] {
            add(&[conf, "--format", fmt, "--verbose"], None);
        }
    }
    for fmt in ["human", "json", "sarif", "github"] {
        add(
            &[
                "lint",
                "nginx.conf",
                "--format",
                fmt,
                "--client-cert",
                "client.pem",
                "--client-key",
                "client.key",
                "--client-cert",
                "client.p12",
                "--client-cert",
                "client.key",
                "--client-cert",
                "client-with-key.pem",
                "--password-env",
                VAR,
            ],
            Some(PASSWORD),
        );
        // The wrong password.
        add(
            &[
                "lint",
                "nginx.conf",
                "--format",
                fmt,
                "--client-cert",
                "client.p12",
                "--password-env",
                VAR,
            ],
            Some(WRONG),
        );
    }
    add(&["parse", "nginx.conf"], None);
    add(&["parse", "--indent", "2", "nginx.conf"], None);
    for fmt in ["human", "json"] {
        for (cert, key) in [
            ("client.pem", Some("client.key")),
            ("client.pem", Some("server.key")),
            ("client-with-key.pem", None),
            ("ca-with-key.pem", None),
            ("client.key", None),
            ("client.p12", None),
            ("client.pem", Some("client.p12")),
        ] {
            let mut a = vec![
                "verify",
                "--config",
                "verify.conf",
                "--format",
                fmt,
                "--cert",
                cert,
                "--password-env",
                VAR,
            ];
            if let Some(k) = key {
                a.extend(["--key", k]);
            }
            add(&a, Some(PASSWORD));
        }
        add(
            &[
                "verify",
                "--config",
                "verify.conf",
                "--format",
                fmt,
                "--cert",
                "client.p12",
                "--password-env",
                VAR,
            ],
            Some(WRONG),
        );
        // The variable not set: the error names the variable, not a value.
        add(
            &[
                "verify",
                "--config",
                "verify.conf",
                "--format",
                fmt,
                "--cert",
                "client.p12",
                "--password-env",
                VAR,
            ],
            None,
        );
    }
    for fmt in ["human", "json", "prometheus"] {
        add(&["logs", "--config", "nginx.conf", "--format", fmt], None);
        add(
            &[
                "logs",
                "--format",
                fmt,
                "client.key",
                "ca-with-key.pem",
                "logs/withkey.example.log",
            ],
            None,
        );
        add(
            &[
                "logs",
                "--format",
                fmt,
                "--kind",
                "error",
                "client.key",
                "client.p12",
            ],
            None,
        );
        add(
            &[
                "logs",
                "--format",
                fmt,
                "--log-format-string",
                FORMAT,
                "logs/withkey.example.log",
            ],
            None,
        );
    }

    let mut leaks = Vec::new();
    for (args, pw) in &runs {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let text = run(d, &a, *pw);
        for n in &needles {
            if text.contains(n.as_str()) {
                leaks.push(format!("{a:?} printed {n:?}:\n{text}"));
            }
        }
    }
    assert!(leaks.is_empty(), "{}", leaks.join("\n\n"));
}

/// The checks above would miss a leak if the commands never got to the keys: make sure
/// they did (the key-in-CA-file finding, the key comparison, the PKCS#12 errors, the
/// hidden log samples).
#[test]
fn the_commands_did_read_the_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let pki = write_pki(d);
    write_configs(d, &pki);
    let t = run(d, &["nginx.conf", "--format", "json"], None);
    assert!(t.contains("MTLS103"), "{t}");
    let t = run(
        d,
        &[
            "verify",
            "--config",
            "verify.conf",
            "--cert",
            "client.pem",
            "--key",
            "server.key",
        ],
        None,
    );
    assert!(
        t.contains("mismatch") || t.contains("does not match"),
        "{t}"
    );
    let t = run(
        d,
        &[
            "verify",
            "--config",
            "verify.conf",
            "--cert",
            "client.p12",
            "--password-env",
            VAR,
        ],
        Some(PASSWORD),
    );
    assert!(t.contains("p12.example") && t.contains("matches"), "{t}");
    let t = run(
        d,
        &[
            "verify",
            "--config",
            "verify.conf",
            "--cert",
            "client.p12",
            "--password-env",
            VAR,
        ],
        Some(WRONG),
    );
    assert!(t.contains("wrong password"), "{t}");
    let t = run(d, &["logs", "client.key"], None);
    assert!(t.contains("[not shown: PEM or base64 data"), "{t}");
    let t = run(d, &["pasted.conf"], None);
    assert!(t.contains("*****"), "the pasted key is masked: {t}");
}

/// `bundle` and `p12` (issue #18): no key material or password in what they print, in
/// the files they write (the bundle, the CRL file) or in their errors; a generated
/// password only in its own file, created with mode 0600.
#[test]
fn fix_builders_print_and_write_no_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let pki = write_pki(d);
    write_configs(d, &pki);
    let mut needles = needles(&pki);
    let mut outputs = Vec::new();
    for fmt in ["human", "json"] {
        // A directory that holds keys, a key pasted into a CA file and a PKCS#12.
        let bundle = format!("bundle-{fmt}.pem");
        outputs.push(run(
            d,
            &["bundle", "--format", fmt, "-o", &bundle, "."],
            None,
        ));
        outputs.push(fs::read_to_string(d.join(&bundle)).unwrap());
        // p12 from the environment's password; a key that is not the certificate's;
        // the password variable unset; a generated password without a terminal.
        let out = format!("client-{fmt}.p12");
        outputs.push(run(
            d,
            &[
                "p12",
                "--format",
                fmt,
                "--profile",
                "modern",
                "--cert",
                "client.pem",
                "--key",
                "client.key",
                "--password-env",
                VAR,
                "-o",
                &out,
            ],
            Some(PASSWORD),
        ));
        outputs.push(run(
            d,
            &[
                "p12",
                "--format",
                fmt,
                "--profile",
                "compatible",
                "--cert",
                "client.pem",
                "--key",
                "server.key",
                "--password-env",
                VAR,
                "-o",
                "mismatch.p12",
            ],
            Some(PASSWORD),
        ));
        outputs.push(run(
            d,
            &[
                "p12",
                "--format",
                fmt,
                "--profile",
                "modern",
                "--cert",
                "client.pem",
                "--key",
                "client.key",
                "--password-env",
                VAR,
                "-o",
                "unset.p12",
            ],
            None,
        ));
        outputs.push(run(
            d,
            &[
                "p12",
                "--format",
                fmt,
                "--profile",
                "modern",
                "--cert",
                "client.pem",
                "--key",
                "client.key",
                "--generate-password",
                "-o",
                &format!("noterm-{fmt}.p12"),
            ],
            None,
        ));
        // A generated password, written to its file.
        let pw_file = format!("pw-{fmt}.txt");
        outputs.push(run(
            d,
            &[
                "p12",
                "--format",
                fmt,
                "--profile",
                "compatible",
                "--cert",
                "client.pem",
                "--key",
                "client.key",
                "--generate-password",
                "--password-file",
                &pw_file,
                "-o",
                &format!("gen-{fmt}.p12"),
            ],
            None,
        ));
        let generated = fs::read_to_string(d.join(&pw_file))
            .unwrap()
            .trim()
            .to_string();
        assert!(
            generated.len() >= 20,
            "a strong password: {} characters",
            generated.len()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(d.join(&pw_file)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{pw_file}");
            let mode = fs::metadata(d.join(format!("gen-{fmt}.p12")))
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o600, "the archive holds the key");
        }
        needles.push(generated);
    }
    assert!(!d.join("mismatch.p12").exists() && !d.join("unset.p12").exists());
    let mut leaks = Vec::new();
    for text in &outputs {
        for n in &needles {
            if text.contains(n.as_str()) {
                leaks.push(format!("printed or wrote {n:?}:\n{text}"));
            }
        }
    }
    assert!(leaks.is_empty(), "{}", leaks.join("\n\n"));
}
