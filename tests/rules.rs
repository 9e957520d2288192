//! Every rule on its `valid` and `invalid` fixtures.
//!
//! Fixtures live in `tests/rules/<rule file name>/{valid,invalid}.conf`, beside their
//! snapshots. Each is a main configuration whose certificate paths point into `pki/`: a
//! PKI generated here with dates relative to a fixed time ([`pki::AT`]), and the lint runs
//! `--at` that time, so nothing rots. `valid` must give no finding of the rule; `invalid`
//! at least one. The snapshot holds every finding, rendered without colour at 100 columns.

mod common;
#[path = "certs_pki.rs"]
mod pki;

use std::fs;
use std::path::Path;

use nginx_mtls_lint::config::{Input, LoadOptions, load};
use nginx_mtls_lint::model::Model;
use nginx_mtls_lint::report::human;
use nginx_mtls_lint::rules::{self, CertFiles, Context, Options};
use nginx_mtls_lint::verify::{ClientCert, PasswordSource, load_client_cert};
use pki::{AT, DAY, ca, crl, leaf};
use rcgen::ExtendedKeyUsagePurpose;

/// Writes the fixture PKI into `dir/pki`.
fn write_pki(dir: &Path) {
    let p = dir.join("pki");
    fs::create_dir_all(&p).unwrap();
    let w = |name: &str, body: &str| fs::write(p.join(name), body).unwrap();
    let root = ca("Client Root CA").self_signed();
    let int = ca("Client Intermediate CA").signed_by(&root);
    let int2 = ca("Client Sub-Intermediate CA").signed_by(&int);
    let other = ca("Other Root CA").self_signed();
    let client = leaf("client-1").signed_by(&int);
    let srv_root = ca("Server Root CA").self_signed();
    let srv_int = ca("Server Intermediate CA").signed_by(&srv_root);
    let mut server_spec = leaf("api.example.com");
    server_spec.eku = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server = server_spec.signed_by(&srv_int);
    let expired_ca = ca("Expired Client CA")
        .validity(AT - 800 * DAY, AT - 5 * DAY)
        .self_signed();
    let expiring_ca = ca("Expiring Client CA")
        .validity(AT - 800 * DAY, AT + 10 * DAY)
        .self_signed();
    let long = |c: &pki::Cert| crl(c, &[], AT - 7 * DAY, AT + 60 * DAY).1;

    w("root.pem", &root.pem);
    w("int.pem", &int.pem);
    w("root-int.pem", &format!("{}{}", root.pem, int.pem));
    w(
        "root-int-int2.pem",
        &format!("{}{}{}", root.pem, int.pem, int2.pem),
    );
    w("other-root.pem", &other.pem);
    w("client.pem", &client.pem);
    // A self-signed client certificate, trusted as itself (MTLS109 up to OpenSSL 3.5).
    w(
        "pinned-client.pem",
        &leaf("pinned-client").self_signed().pem,
    );
    w(
        "server-chain.pem",
        &format!("{}{}", server.pem, srv_int.pem),
    );
    w("server-only.pem", &server.pem);
    w(
        "server-wrong-order.pem",
        &format!("{}{}", srv_int.pem, server.pem),
    );
    w("server.key", &server.key.serialize_pem());
    // A server certificate issued directly by the client root (MTLS204's valid case).
    let mut by_root = leaf("root-issued.example.com");
    by_root.eku = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let by_root = by_root.signed_by(&root);
    w("server-by-root.pem", &by_root.pem);
    w("server-by-root.key", &by_root.key.serialize_pem());
    w("client.key", &client.key.serialize_pem());
    w("expired-ca.pem", &expired_ca.pem);
    w("expiring-ca.pem", &expiring_ca.pem);
    w(
        "root-with-key.pem",
        &format!("{}{}", root.pem, root.key.serialize_pem()),
    );
    w("empty.pem", "");
    w("garbage.pem", "this is not a certificate\n");
    w(
        "crl-root-int.pem",
        &format!("{}{}", long(&root), long(&int)),
    );
    w("crl-int.pem", &long(&int));
    w("crl-other.pem", &long(&other));
    w(
        "crl-expired.pem",
        &format!(
            "{}{}",
            crl(&root, &[], AT - 30 * DAY, AT - DAY).1,
            long(&int)
        ),
    );
    w(
        "crl-and-cert.pem",
        &format!("{}{}{}", long(&root), long(&int), other.pem),
    );
    // Client certificates for the MTLS3xx rules.
    let client_chain = format!("{}{}", client.pem, int.pem);
    w("client-chain.pem", &client_chain);
    w("client.key", &client.key.serialize_pem());
    w("other.key", &other.key.serialize_pem());
    let expiring = leaf("client-expiring")
        .validity(AT - 300 * DAY, AT + 10 * DAY)
        .signed_by(&int);
    w(
        "client-expiring.pem",
        &format!("{}{}", expiring.pem, int.pem),
    );
    w("client-expiring.key", &expiring.key.serialize_pem());
    let p12 =
        |with_key: bool, chain: &[&pki::Cert]| -> Vec<u8> {
            let certs: Vec<p12_keystore::Certificate> = std::iter::once(&client)
                .chain(chain.iter().copied())
                .map(|c| p12_keystore::Certificate::from_der(&c.der).unwrap())
                .collect();
            let mut ks = p12_keystore::KeyStore::new();
            if with_key {
                let key = p12_keystore::PrivateKey::from_der(&client.key.serialize_der()).unwrap();
                ks.add_entry(
                    "client",
                    p12_keystore::KeyStoreEntry::PrivateKeyChain(
                        p12_keystore::PrivateKeyChain::new(vec![1u8, 2, 3], key, certs),
                    ),
                );
            } else {
                for (i, c) in certs.into_iter().enumerate() {
                    ks.add_entry(
                        &format!("c{i}"),
                        p12_keystore::KeyStoreEntry::Certificate(c),
                    );
                }
            }
            ks.writer("").write().unwrap()
        };
    fs::write(p.join("client.p12"), p12(true, &[&int])).unwrap();
    fs::write(p.join("client-nochain.p12"), p12(true, &[])).unwrap();
    fs::write(p.join("client-nokey.p12"), p12(false, &[&int])).unwrap();
    let many: String = (0..120)
        .map(|i| ca(&format!("Bulk CA {i:03}")).self_signed().pem)
        .collect();
    w("many-cas.pem", &many);
}

/// Runs every rule on one fixture; returns the rendered findings and their codes.
fn lint(dir: &Path, conf: &Path) -> (String, Vec<&'static str>) {
    let config = load(&Input::File(conf.to_path_buf()), &LoadOptions::default());
    // `# client-cert: pki/FILE [pki/KEY]` lines name client certificates (MTLS3xx).
    let text = fs::read_to_string(conf).unwrap();
    let client_certs: Vec<ClientCert> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("# client-cert:"))
        .map(|rest| {
            let mut parts = rest.split_whitespace();
            let cert = dir.join(parts.next().unwrap());
            let key = parts.next().map(|k| dir.join(k));
            load_client_cert(&cert, key.as_deref(), &PasswordSource::None).unwrap()
        })
        .collect();
    let mut model = Model::build(&config);
    // `# openssl-version: X.Y` checks the fixture for that OpenSSL (default: the newest).
    if let Some(v) = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("# openssl-version:"))
    {
        model.openssl = nginx_mtls_lint::certs::profile::Openssl::parse(v).unwrap();
    }
    let files = CertFiles::read(&model);
    // `# nginx-version: X.Y.Z` checks the fixture as that release (rules for old nginx).
    let version = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("# nginx-version:"))
        .and_then(|v| nginx_mtls_lint::util::parse_version(v.trim()))
        .unwrap_or(rules::NEWEST_NGINX);
    let options = Options {
        now: AT,
        nginx_version: version,
        ..Options::default()
    };
    let mut findings = rules::check(&Context {
        config: &config,
        model: &model,
        files: &files,
        options: &options,
        client_certs: &client_certs,
    });
    // Temporary paths out of the text before it is wrapped.
    let d = dir.display().to_string();
    for f in &mut findings {
        f.message = f.message.replace(&d, "[DIR]");
        f.help = f.help.as_ref().map(|h| h.replace(&d, "[DIR]"));
        f.nginx_refuses = f.nginx_refuses.as_ref().map(|m| m.replace(&d, "[DIR]"));
    }
    let text = human::render(&config, &findings, false, Some(100));
    let text = text.replace(&d, "[DIR]");
    (text, findings.iter().map(|f| f.code).collect())
}

#[test]
fn every_rule_on_its_fixtures() {
    let tmp = tempfile::tempdir().unwrap();
    write_pki(tmp.path());
    let mut seen = Vec::new();
    let mut dirs: Vec<_> = fs::read_dir("tests/rules")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for rule_dir in dirs {
        let name = rule_dir.file_name().unwrap().to_string_lossy().into_owned();
        let code = name[..7].to_ascii_uppercase();
        seen.push(code.clone());
        for kind in ["valid", "invalid"] {
            let src = rule_dir.join(format!("{kind}.conf"));
            assert!(src.exists(), "{} is missing", src.display());
            let conf = tmp.path().join(format!("{name}-{kind}.conf"));
            fs::copy(&src, &conf).unwrap();
            let (text, codes) = lint(tmp.path(), &conf);
            let fired = codes.iter().any(|c| *c == code);
            if kind == "valid" {
                assert!(!fired, "{code} fired on its valid fixture:\n{text}");
            } else {
                assert!(fired, "{code} did not fire on its invalid fixture:\n{text}");
            }
            insta::with_settings!({
                snapshot_path => format!("../tests/rules/{name}"),
                prepend_module_to_snapshot => false,
                omit_expression => true,
            }, {
                insta::assert_snapshot!(kind, text);
            });
        }
    }
    // Every registered rule has fixtures.
    for r in rules::registry() {
        let code = r.info().code;
        if code.starts_with("MTLS0") {
            continue;
        }
        assert!(
            seen.iter().any(|c| c == code),
            "{code} has no fixture folder in tests/rules"
        );
    }
}

/// The failing findings of a fixture as the installed nginx version would have them:
/// (line, nginx message).
fn failing(conf: &Path, version: (u32, u32, u32)) -> Vec<(usize, String)> {
    let config = load(&Input::File(conf.to_path_buf()), &LoadOptions::default());
    let model = Model::build(&config);
    let files = CertFiles::read(&model);
    let options = Options {
        now: AT,
        nginx_version: version,
        ..Options::default()
    };
    rules::check(&Context {
        config: &config,
        model: &model,
        files: &files,
        options: &options,
        client_certs: &[],
    })
    .into_iter()
    .filter_map(|f| {
        let line = match f.location {
            nginx_mtls_lint::rules::Location::Span(s) => config.sources.line_col(s).0,
            nginx_mtls_lint::rules::Location::File(_) => 0,
        };
        f.nginx_refuses.map(|m| (line, m))
    })
    .collect()
}

/// Every fixture, valid and invalid, through real `nginx -t`: the tool says "nginx -t
/// fails" exactly when nginx fails, and where nginx names a line, a failing finding
/// stands on it with nginx's message.
#[test]
fn fixtures_get_nginx_t_verdict_of_real_nginx() {
    if !common::have_tools(&["nginx"]) {
        return;
    }
    let version = nginx_mtls_lint::util::parse_version(&common::nginx_version()).expect("nginx -v");
    let tmp = tempfile::tempdir().unwrap();
    write_pki(tmp.path());
    let mut dirs: Vec<_> = fs::read_dir("tests/rules")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut bad = Vec::new();
    for rule_dir in dirs {
        let name = rule_dir.file_name().unwrap().to_string_lossy().into_owned();
        for kind in ["valid", "invalid"] {
            // A template is not what nginx reads: its placeholders are deliberately not
            // judged (nginx -t fails on the raw file).
            if name.starts_with("mtls013") && kind == "invalid" {
                continue;
            }
            let conf = tmp.path().join(format!("{name}-{kind}.conf"));
            fs::copy(rule_dir.join(format!("{kind}.conf")), &conf).unwrap();
            // A fixture that loads a module needs it installed (libnginx-mod-*).
            let text = fs::read_to_string(&conf).unwrap();
            if let Some(module) = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("load_module "))
                .map(|m| m.trim_end_matches(';'))
                && !Path::new(module).exists()
            {
                assert!(
                    std::env::var("REQUIRE_NGINX").as_deref() != Ok("1"),
                    "REQUIRE_NGINX=1 but {module} is not installed"
                );
                eprintln!(
                    "SKIP: {name}/{kind}: {module} is not installed (apt-get install libnginx-mod-http-headers-more-filter)"
                );
                continue;
            }
            let out = common::nginx_t_in(tmp.path(), &conf, tmp.path());
            let (message, line) = common::emerg(&String::from_utf8_lossy(&out.stderr), &conf);
            let tool = failing(&conf, version);
            let nginx_ok = out.status.success();
            if nginx_ok != tool.is_empty() {
                bad.push(format!(
                    "{name}/{kind}: nginx -t {} ({message}); the tool: {tool:?}",
                    if nginx_ok { "passes" } else { "fails" }
                ));
            } else if let Some(l) = line
                && !tool.iter().any(|(tl, m)| *tl == l && *m == message)
            {
                bad.push(format!(
                    "{name}/{kind}: nginx -t fails at line {l} with {message:?}; the tool: {tool:?}"
                ));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// The same fixtures under each OpenSSL profile: the root's missing CRL is an error on
/// every version (what it issued is checked against it); a pinned self-signed client
/// certificate needs a CRL of its own up to 3.5 only (from 3.6 it is not CRL-checked).
#[test]
fn mtls109_follows_the_openssl_profile() {
    let tmp = tempfile::tempdir().unwrap();
    write_pki(tmp.path());
    let text = fs::read_to_string("tests/rules/mtls109_crl_missing_for_ca/invalid.conf").unwrap();
    let pinned = text
        .replace("pki/root-int.pem", "pki/pinned-client.pem")
        .replace("pki/crl-int.pem", "pki/crl-root-int.pem");
    for (version, case, expect) in [
        ("3.0", &text, 1),
        ("3.5", &text, 1),
        ("3.6", &text, 1),
        ("4.0", &text, 1),
        ("3.0", &pinned, 1),
        ("3.5", &pinned, 1),
        ("3.6", &pinned, 0),
        ("4.0", &pinned, 0),
    ] {
        let conf = tmp.path().join(format!("mtls109-{version}.conf"));
        fs::write(
            &conf,
            case.replace(
                "# openssl-version: 3.0",
                &format!("# openssl-version: {version}"),
            ),
        )
        .unwrap();
        let (out, codes) = lint(tmp.path(), &conf);
        let n = codes.iter().filter(|c| **c == "MTLS109").count();
        assert_eq!(n, expect, "OpenSSL {version}:\n{out}");
    }
}
