//! Upstream mTLS end to end (issue #16): a real nginx as the proxy, in front of real
//! TLS backends on 127.0.0.1 (a second nginx that requires client certificates, and
//! `openssl s_server -Verify`), one location (or stream server) per scenario. For each
//! scenario the tool's `verify --upstream` prediction must equal what happened: the
//! status curl got through the proxy (or the closed connection of a stream server),
//! the `[error]` line the proxy wrote, and the `$ssl_client_verify` the backend
//! logged; and the upstream findings `lint` reports inside the scenario's block must be
//! the ones listed for it.

mod common;
#[path = "certs_pki.rs"]
mod pki;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Nginx, free_port, have_tools, http_temp_paths, now, preamble, tool};
use pki::{Cert, DAY, ca, leaf};
use rcgen::{ExtendedKeyUsagePurpose, KeyUsagePurpose};

fn crl_pem(issuer: &Cert, revoked: &[&Cert]) -> String {
    pki::crl(issuer, revoked, now() - DAY, now() + 30 * DAY).1
}

fn backend_leaf(cn: &str) -> pki::Spec {
    leaf(cn)
        .validity(now() - DAY, now() + 365 * DAY)
        .eku(vec![ExtendedKeyUsagePurpose::ServerAuth])
        .ku(vec![KeyUsagePurpose::DigitalSignature])
}

fn client_leaf(cn: &str) -> pki::Spec {
    leaf(cn).validity(now() - DAY, now() + 365 * DAY)
}

fn valid_ca(cn: &str) -> pki::Spec {
    ca(cn).validity(now() - DAY, now() + 3650 * DAY)
}

/// Writes the PKI: backend server certificates `be_*.crt` (with chain) and `.key`,
/// nginx's client certificates `nc_*.crt` and `.key`, CA and CRL files.
fn write_pki(dir: &Path) {
    let w = |name: &str, body: &str| fs::write(dir.join(name), body).unwrap();
    let n = now();
    let broot = valid_ca("backend-root").self_signed();
    let bint = valid_ca("backend-int").signed_by(&broot);
    let bint2 = valid_ca("backend-int2").signed_by(&bint);
    let uroot = valid_ca("unknown-root").self_signed();
    let croot = valid_ca("client-root").self_signed();
    let cint = valid_ca("client-int").signed_by(&croot);
    let names = |s: pki::Spec| {
        s.san("DNS:backend.test")
            .san("DNS:mtls.backend.test")
            .san("DNS:default.backend.test")
    };
    let rev = names(backend_leaf("backend-revoked")).signed_by(&bint);
    let backends: Vec<(&str, Cert, Vec<&Cert>)> = vec![
        (
            "be_good",
            names(backend_leaf("backend")).signed_by(&bint),
            vec![&bint],
        ),
        (
            "be_ip",
            backend_leaf("ip-backend")
                .san("IP:127.0.0.1")
                .signed_by(&bint),
            vec![&bint],
        ),
        (
            "be_other",
            names(backend_leaf("other")).signed_by(&uroot),
            vec![],
        ),
        (
            "be_expired",
            names(backend_leaf("expired"))
                .validity(n - 400 * DAY, n - 30 * DAY)
                .signed_by(&bint),
            vec![&bint],
        ),
        ("be_self", names(backend_leaf("self")).self_signed(), vec![]),
        (
            "be_deep",
            names(backend_leaf("deep")).signed_by(&bint2),
            vec![&bint2, &bint],
        ),
        ("be_rev", rev.clone_cert(), vec![&bint]),
    ];
    for (name, cert, chain) in &backends {
        let mut pem = cert.pem.clone();
        for c in chain {
            pem.push_str(&c.pem);
        }
        w(&format!("{name}.crt"), &pem);
        w(&format!("{name}.key"), &cert.key.serialize_pem());
    }
    let clients: Vec<(&str, Cert, Vec<&Cert>)> = vec![
        (
            "nc_good",
            client_leaf("nginx-client").signed_by(&cint),
            vec![&cint],
        ),
        (
            "nc_leafonly",
            client_leaf("nginx-leafonly").signed_by(&cint),
            vec![],
        ),
        (
            "nc_expired",
            leaf("nginx-expired")
                .validity(n - 400 * DAY, n - 30 * DAY)
                .signed_by(&cint),
            vec![&cint],
        ),
        (
            "nc_srv",
            client_leaf("nginx-server-eku")
                .eku(vec![ExtendedKeyUsagePurpose::ServerAuth])
                .signed_by(&cint),
            vec![&cint],
        ),
        (
            "nc_wrong",
            client_leaf("nginx-wrong-ca").signed_by(&uroot),
            vec![],
        ),
    ];
    for (name, cert, chain) in &clients {
        let mut pem = cert.pem.clone();
        for c in chain {
            pem.push_str(&c.pem);
        }
        w(&format!("{name}.crt"), &pem);
        w(&format!("{name}.key"), &cert.key.serialize_pem());
    }
    w("broot.pem", &broot.pem);
    w("bint.pem", &bint.pem);
    w(
        "broot_bint_bint2.pem",
        &format!("{}{}{}", broot.pem, bint.pem, bint2.pem),
    );
    w("uroot.pem", &uroot.pem);
    w("croot.pem", &croot.pem);
    w("cint.pem", &cint.pem);
    w(
        "crl_b_all.pem",
        &format!("{}{}", crl_pem(&broot, &[]), crl_pem(&bint, &[&rev])),
    );
    w("crl_b_int_only.pem", &crl_pem(&bint, &[&rev]));
}

/// Where a scenario's traffic goes.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Http,
    Grpc,
    Stream,
}

/// One scenario: the block the proxy gets, the backend, and what the tool is told.
struct Case {
    id: &'static str,
    kind: Kind,
    /// The backend (a key of the backend ports).
    backend: &'static str,
    /// The pass's URL with `{port}` for the backend's port (None: the default).
    pass: Option<&'static str>,
    settings: &'static [&'static str],
    /// `--peer-cert`: the backend's certificate file.
    peer_cert: &'static str,
    /// `--peer-ca`: the backend's CA file for nginx's certificate.
    peer_ca: &'static str,
    /// `--peer-verify`.
    peer_verify: &'static str,
    /// The upstream findings lint must report in this block.
    lint: &'static [&'static str],
    /// The scenario resumes the TLS session this earlier scenario made (same backend,
    /// session reuse on): what the backend sees is that scenario's.
    resumes: Option<&'static str>,
}

const GOOD: &[&str] = &[
    "proxy_ssl_certificate nc_good.crt;",
    "proxy_ssl_certificate_key nc_good.key;",
    "proxy_ssl_verify on;",
    "proxy_ssl_trusted_certificate broot.pem;",
    "proxy_ssl_name backend.test;",
    "proxy_ssl_server_name on;",
];

fn cases() -> Vec<Case> {
    let c = |id, backend, settings, peer_cert, lint| Case {
        id,
        kind: Kind::Http,
        backend,
        pass: None,
        settings,
        peer_cert,
        peer_ca: "croot.pem",
        peer_verify: "on",
        lint,
        resumes: None,
    };
    let mut v = vec![
        c("good", "good", GOOD, "be_good.crt", &[]),
        c(
            "no_cert",
            "good",
            &[
                "proxy_ssl_verify on;",
                "proxy_ssl_trusted_certificate broot.pem;",
                "proxy_ssl_name backend.test;",
                "proxy_ssl_server_name on;",
            ],
            "be_good.crt",
            &[],
        ),
        c(
            "expired_cert",
            "good",
            &[
                "proxy_ssl_certificate nc_expired.crt;",
                "proxy_ssl_certificate_key nc_expired.key;",
                "proxy_ssl_verify on;",
                "proxy_ssl_trusted_certificate broot.pem;",
                "proxy_ssl_name backend.test;",
                "proxy_ssl_server_name on;",
            ],
            "be_good.crt",
            &["MTLS404"],
        ),
        c(
            "wrong_ca_cert",
            "good",
            &[
                "proxy_ssl_certificate nc_wrong.crt;",
                "proxy_ssl_certificate_key nc_wrong.key;",
                "proxy_ssl_server_name on;",
                "proxy_ssl_name backend.test;",
            ],
            "be_good.crt",
            &[],
        ),
        c(
            "leafonly_cert",
            "good",
            &[
                "proxy_ssl_certificate nc_leafonly.crt;",
                "proxy_ssl_certificate_key nc_leafonly.key;",
                "proxy_ssl_server_name on;",
                "proxy_ssl_name backend.test;",
            ],
            "be_good.crt",
            &["MTLS406"],
        ),
        c(
            "server_eku_cert",
            "good",
            &[
                "proxy_ssl_certificate nc_srv.crt;",
                "proxy_ssl_certificate_key nc_srv.key;",
                "proxy_ssl_server_name on;",
                "proxy_ssl_name backend.test;",
            ],
            "be_good.crt",
            &["MTLS405"],
        ),
        c(
            "not_verified",
            "other",
            &[
                "proxy_ssl_certificate nc_good.crt;",
                "proxy_ssl_certificate_key nc_good.key;",
                "proxy_ssl_trusted_certificate broot.pem;",
                "proxy_ssl_server_name on;",
                "proxy_ssl_name backend.test;",
            ],
            "be_other.crt",
            &["MTLS407"],
        ),
        c("untrusted_backend", "other", GOOD, "be_other.crt", &[]),
        c("expired_backend", "expired", GOOD, "be_expired.crt", &[]),
        c("selfsigned_backend", "self", GOOD, "be_self.crt", &[]),
        c(
            "name_mismatch",
            "good",
            &[
                "proxy_ssl_certificate nc_good.crt;",
                "proxy_ssl_certificate_key nc_good.key;",
                "proxy_ssl_verify on;",
                "proxy_ssl_trusted_certificate broot.pem;",
                "proxy_ssl_name wrong.test;",
                "proxy_ssl_server_name on;",
            ],
            "be_good.crt",
            &[],
        ),
        c(
            "name_is_address",
            "good",
            &[
                "proxy_ssl_certificate nc_good.crt;",
                "proxy_ssl_certificate_key nc_good.key;",
                "proxy_ssl_verify on;",
                "proxy_ssl_trusted_certificate broot.pem;",
            ],
            "be_good.crt",
            &["MTLS410"],
        ),
        c(
            "ip_san_only",
            "ip",
            &[
                "proxy_ssl_certificate nc_good.crt;",
                "proxy_ssl_certificate_key nc_good.key;",
                "proxy_ssl_verify on;",
                "proxy_ssl_trusted_certificate broot.pem;",
            ],
            "be_ip.crt",
            &["MTLS410"],
        ),
        c(
            "depth_too_small",
            "deep",
            &[
                "proxy_ssl_certificate nc_good.crt;",
                "proxy_ssl_certificate_key nc_good.key;",
                "proxy_ssl_verify on;",
                "proxy_ssl_trusted_certificate broot_bint_bint2.pem;",
                "proxy_ssl_name backend.test;",
                "proxy_ssl_server_name on;",
            ],
            "be_deep.crt",
            &["MTLS408"],
        ),
        c(
            "depth_enough",
            "deep",
            &[
                "proxy_ssl_certificate nc_good.crt;",
                "proxy_ssl_certificate_key nc_good.key;",
                "proxy_ssl_verify on;",
                "proxy_ssl_trusted_certificate broot_bint_bint2.pem;",
                "proxy_ssl_verify_depth 2;",
                "proxy_ssl_name backend.test;",
                "proxy_ssl_server_name on;",
            ],
            "be_deep.crt",
            &[],
        ),
        c(
            "crl_good",
            "good",
            &[
                "proxy_ssl_certificate nc_good.crt;",
                "proxy_ssl_certificate_key nc_good.key;",
                "proxy_ssl_verify on;",
                "proxy_ssl_trusted_certificate broot.pem;",
                "proxy_ssl_crl crl_b_all.pem;",
                "proxy_ssl_name backend.test;",
                "proxy_ssl_server_name on;",
            ],
            "be_good.crt",
            &[],
        ),
        c(
            "crl_missing_root",
            "good",
            &[
                "proxy_ssl_certificate nc_good.crt;",
                "proxy_ssl_certificate_key nc_good.key;",
                "proxy_ssl_verify on;",
                "proxy_ssl_trusted_certificate broot.pem;",
                "proxy_ssl_crl crl_b_int_only.pem;",
                "proxy_ssl_name backend.test;",
                "proxy_ssl_server_name on;",
            ],
            "be_good.crt",
            &["MTLS412"],
        ),
        c(
            "crl_revoked_backend",
            "rev",
            &[
                "proxy_ssl_certificate nc_good.crt;",
                "proxy_ssl_certificate_key nc_good.key;",
                "proxy_ssl_verify on;",
                "proxy_ssl_trusted_certificate broot.pem;",
                "proxy_ssl_crl crl_b_all.pem;",
                "proxy_ssl_name backend.test;",
                "proxy_ssl_server_name on;",
            ],
            "be_rev.crt",
            &[],
        ),
    ];
    // The backend that chooses its client-certificate server by SNI: its default
    // server trusts another CA.
    v.push(Case {
        peer_ca: "uroot.pem",
        ..c(
            "sni_off",
            "sni",
            &[
                "proxy_ssl_certificate nc_good.crt;",
                "proxy_ssl_certificate_key nc_good.key;",
                "proxy_ssl_name mtls.backend.test;",
            ],
            "be_good.crt",
            &["MTLS410"],
        )
    });
    v.push(c(
        "sni_on",
        "sni",
        // The Host header must choose the same server as SNI: a backend nginx answers
        // 421 when the Host ("127.0.0.1:port" by default) chooses another one.
        &[
            "proxy_ssl_certificate nc_good.crt;",
            "proxy_ssl_certificate_key nc_good.key;",
            "proxy_ssl_name mtls.backend.test;",
            "proxy_ssl_server_name on;",
            "proxy_set_header Host mtls.backend.test;",
        ],
        "be_good.crt",
        &[],
    ));
    // An upstream group: its name is the name checked.
    v.push(Case {
        pass: Some("https://backend_grp"),
        ..c(
            "group_name",
            "good",
            &[
                "proxy_ssl_certificate nc_good.crt;",
                "proxy_ssl_certificate_key nc_good.key;",
                "proxy_ssl_verify on;",
                "proxy_ssl_trusted_certificate broot.pem;",
                "proxy_ssl_server_name on;",
            ],
            "be_good.crt",
            &["MTLS409"],
        )
    });
    v.push(Case {
        pass: Some("https://backend_grp"),
        ..c("group_with_name", "good", GOOD, "be_good.crt", &[])
    });
    // A plain pass: the certificate settings are ignored.
    v.push(Case {
        pass: Some("http://127.0.0.1:{port}"),
        ..c(
            "plain_pass",
            "plain",
            &[
                "proxy_ssl_certificate nc_good.crt;",
                "proxy_ssl_certificate_key nc_good.key;",
            ],
            "be_good.crt",
            &["MTLS411"],
        )
    });
    // openssl s_server -Verify: ends the handshake instead of answering 400.
    v.push(Case {
        peer_verify: "require",
        ..c("s_server_good", "s_server", GOOD, "be_good.crt", &[])
    });
    v.push(Case {
        peer_verify: "require",
        ..c(
            "s_server_expired_cert",
            "s_server",
            &[
                "proxy_ssl_certificate nc_expired.crt;",
                "proxy_ssl_certificate_key nc_expired.key;",
                "proxy_ssl_name backend.test;",
                "proxy_ssl_server_name on;",
            ],
            "be_good.crt",
            &["MTLS404"],
        )
    });
    v.push(Case {
        peer_verify: "require",
        ..c(
            "s_server_no_cert",
            "s_server",
            &["proxy_ssl_name backend.test;", "proxy_ssl_server_name on;"],
            "be_good.crt",
            &[],
        )
    });
    // gRPC: grpc_ssl_*; proxy_ssl_* beside grpc_pass are ignored.
    let grpc = |id, settings, peer_cert, lint| Case {
        kind: Kind::Grpc,
        pass: Some("grpcs://127.0.0.1:{port}"),
        ..c(id, "grpc", settings, peer_cert, lint)
    };
    v.push(grpc(
        "grpc_untrusted",
        &[
            "grpc_ssl_certificate nc_good.crt;",
            "grpc_ssl_certificate_key nc_good.key;",
            "grpc_ssl_verify on;",
            "grpc_ssl_trusted_certificate uroot.pem;",
            "grpc_ssl_name backend.test;",
            "grpc_ssl_server_name on;",
        ],
        "be_good.crt",
        &[],
    ));
    v.push(grpc(
        "grpc_proxy_directives",
        &[
            "grpc_ssl_certificate nc_good.crt;",
            "grpc_ssl_certificate_key nc_good.key;",
            "grpc_ssl_name backend.test;",
            "grpc_ssl_server_name on;",
            "proxy_ssl_verify on;",
            "proxy_ssl_trusted_certificate uroot.pem;",
        ],
        "be_good.crt",
        &["MTLS411"],
    ));
    // Two locations to one backend with session reuse on: the second, without a
    // certificate, resumes the first one's session.
    v.push(c(
        "shared_first",
        "shared",
        &[
            "proxy_ssl_certificate nc_good.crt;",
            "proxy_ssl_certificate_key nc_good.key;",
            "proxy_ssl_name backend.test;",
            "proxy_ssl_server_name on;",
            "proxy_ssl_session_reuse on;",
        ],
        "be_good.crt",
        &[],
    ));
    v.push(Case {
        resumes: Some("shared_first"),
        ..c(
            "shared_second",
            "shared",
            &["proxy_ssl_session_reuse on;"],
            "be_good.crt",
            &["MTLS413"],
        )
    });
    // Stream: proxy_ssl on.
    let stream = |id, backend, settings, peer_cert, lint| Case {
        kind: Kind::Stream,
        ..c(id, backend, settings, peer_cert, lint)
    };
    let on = |rest: &'static [&'static str]| -> &'static [&'static str] {
        Box::leak(
            std::iter::once("proxy_ssl on;")
                .chain(rest.iter().copied())
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        )
    };
    v.push(stream("stream_good", "good", on(GOOD), "be_good.crt", &[]));
    v.push(stream(
        "stream_no_cert",
        "good",
        on(&["proxy_ssl_name backend.test;", "proxy_ssl_server_name on;"]),
        "be_good.crt",
        &[],
    ));
    v.push(stream(
        "stream_untrusted",
        "other",
        on(GOOD),
        "be_other.crt",
        &[],
    ));
    v
}

/// The backend nginx: one server per backend certificate, an SNI-selected pair, a
/// plain listener and an HTTP/2 one. Returns the configuration and the ports.
fn backend_conf(dir: &Path, pki: &Path, ports: &BTreeMap<&str, u16>) -> String {
    let d = pki.display();
    let mtls = |port: u16, cert: &str, name: &str, ca: &str, extra: &str| {
        format!(
            "server {{ listen 127.0.0.1:{port} ssl{extra}; server_name {name}; ssl_certificate {d}/{cert}.crt; ssl_certificate_key {d}/{cert}.key; ssl_verify_client on; ssl_client_certificate {d}/{ca}; ssl_verify_depth 2; location / {{ return 200 \"backend {name}\\n\"; }} }}\n"
        )
    };
    let mut servers = String::new();
    for (key, cert) in [
        ("good", "be_good"),
        ("ip", "be_ip"),
        ("other", "be_other"),
        ("expired", "be_expired"),
        ("self", "be_self"),
        ("deep", "be_deep"),
        ("rev", "be_rev"),
        ("shared", "be_good"),
    ] {
        servers.push_str(&mtls(ports[key], cert, "backend.test", "croot.pem", ""));
    }
    servers.push_str(&mtls(
        ports["sni"],
        "be_good",
        "default.backend.test",
        "uroot.pem",
        " default_server",
    ));
    servers.push_str(&mtls(
        ports["sni"],
        "be_good",
        "mtls.backend.test",
        "croot.pem",
        "",
    ));
    servers.push_str(&mtls(
        ports["grpc"],
        "be_good",
        "backend.test",
        "croot.pem",
        " http2",
    ));
    servers.push_str(&format!(
        "server {{ listen 127.0.0.1:{}; location / {{ return 200 \"plain\\n\"; }} }}\n",
        ports["plain"]
    ));
    format!(
        "{}http {{\n{}log_format be 'port=$server_port uri=$request_uri verify=\"$ssl_client_verify\"';\naccess_log {}/access.log be;\n{servers}}}\n",
        preamble(dir),
        http_temp_paths(dir),
        dir.display()
    )
}

/// The proxy: one location per HTTP scenario on one port, one stream server per
/// stream scenario. Returns the configuration, the HTTP port, each stream
/// scenario's port and each scenario's line range.
fn proxy_conf(
    dir: &Path,
    pki: &Path,
    ports: &BTreeMap<&str, u16>,
) -> (String, u16, ById<u16>, ById<(usize, usize)>) {
    let http_port = free_port();
    let mut lines: Vec<String> = Vec::new();
    let stream_module = Path::new("/usr/lib/nginx/modules/ngx_stream_module.so");
    if stream_module.exists() {
        lines.push(format!("load_module {};", stream_module.display()));
    }
    lines.extend(preamble(dir).lines().map(str::to_string));
    lines.push("http {".into());
    lines.push(http_temp_paths(dir).trim().to_string());
    lines.push(format!(
        "upstream backend_grp {{ server 127.0.0.1:{}; }}",
        ports["good"]
    ));
    // Each scenario its own handshake: locations that reach the same backend share
    // its TLS sessions, and a resumed session keeps the verification result and the
    // client certificate of the handshake that made it (measured: a location without
    // proxy_ssl_certificate got the backend's SUCCESS for another location's
    // certificate).
    lines.push("proxy_ssl_session_reuse off; grpc_ssl_session_reuse off;".into());
    lines.push(format!("server {{ listen 127.0.0.1:{http_port};"));
    let mut ranges = BTreeMap::new();
    let mut stream_ports = BTreeMap::new();
    let mut stream_blocks: Vec<(&'static str, Vec<String>)> = Vec::new();
    let path_of = |f: &str| {
        // File names of the PKI, as absolute paths.
        let mut out = f.to_string();
        for word in f.split_whitespace() {
            let w = word.trim_end_matches(';');
            if w.ends_with(".crt") || w.ends_with(".key") || w.ends_with(".pem") {
                out = out.replace(w, &format!("{}/{w}", pki.display()));
            }
        }
        out
    };
    for case in cases() {
        let port = ports[case.backend];
        let url = case
            .pass
            .unwrap_or("https://127.0.0.1:{port}")
            .replace("{port}", &port.to_string());
        let settings: Vec<String> = case.settings.iter().map(|s| path_of(s)).collect();
        match case.kind {
            Kind::Stream => {
                let p = free_port();
                stream_ports.insert(case.id, p);
                let mut block = vec![
                    format!("server {{ # {}", case.id),
                    format!("listen 127.0.0.1:{p};"),
                    format!("proxy_pass 127.0.0.1:{port};"),
                ];
                block.extend(settings);
                block.push("}".into());
                stream_blocks.push((case.id, block));
            }
            kind => {
                let start = lines.len() + 1;
                lines.push(format!("location /{}/ {{", case.id));
                lines.push(format!(
                    "{} {url};",
                    if kind == Kind::Grpc {
                        "grpc_pass"
                    } else {
                        "proxy_pass"
                    }
                ));
                lines.extend(settings);
                lines.push("}".into());
                ranges.insert(case.id, (start, lines.len()));
            }
        }
    }
    lines.push("}".into());
    lines.push(format!(
        "log_format px 'uri=$request_uri status=$status'; access_log {}/access.log px;",
        dir.display()
    ));
    lines.push("}".into());
    if !stream_blocks.is_empty() {
        lines.push("stream {".into());
        lines.push("proxy_ssl_session_reuse off;".into());
        for (id, block) in stream_blocks {
            let start = lines.len() + 1;
            lines.extend(block);
            ranges.insert(id, (start, lines.len()));
        }
        lines.push("}".into());
    }
    (lines.join("\n") + "\n", http_port, stream_ports, ranges)
}

/// A value per scenario id.
type ById<T> = BTreeMap<&'static str, T>;

/// `openssl s_server` with `-Verify 2` (ends the handshake without a valid client
/// certificate) and `-www`; killed by its PID when dropped.
struct SServer(Child);

impl SServer {
    fn start(dir: &Path, port: u16) -> SServer {
        let child = Command::new("openssl")
            .current_dir(dir)
            .args([
                "s_server",
                "-quiet",
                "-www",
                "-Verify",
                "2",
                "-verify_return_error",
            ])
            .args(["-accept", &format!("127.0.0.1:{port}")])
            .args([
                "-cert",
                "be_good.crt",
                "-key",
                "be_good.key",
                "-cert_chain",
                "bint.pem",
            ])
            .args(["-CAfile", "croot.pem"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "openssl s_server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        SServer(child)
    }
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// curl's status (0 when the connection closed without an answer).
fn curl(url: &str) -> u16 {
    let out = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "10",
        ])
        .arg(url)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

#[test]
fn verify_upstream_matches_real_nginx() {
    if !have_tools(&["nginx", "curl", "openssl"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let pki_dir = tmp.path().join("pki");
    let be_dir = tmp.path().join("backend");
    let px_dir = tmp.path().join("proxy");
    for d in [&pki_dir, &be_dir, &px_dir] {
        fs::create_dir_all(d).unwrap();
    }
    write_pki(&pki_dir);
    let mut ports: BTreeMap<&str, u16> = BTreeMap::new();
    for key in [
        "good", "ip", "other", "expired", "self", "deep", "rev", "sni", "grpc", "plain",
        "s_server", "shared",
    ] {
        ports.insert(key, free_port());
    }
    let be_conf = be_dir.join("nginx.conf");
    fs::write(&be_conf, backend_conf(&be_dir, &pki_dir, &ports)).unwrap();
    let (px_text, http_port, stream_ports, ranges) = proxy_conf(&px_dir, &pki_dir, &ports);
    let px_conf = px_dir.join("nginx.conf");
    fs::write(&px_conf, &px_text).unwrap();

    let mut backend = Nginx::start(&be_dir, &be_conf, ports["good"]).expect("backend nginx");
    let _s_server = SServer::start(&pki_dir, ports["s_server"]);
    let mut proxy = Nginx::start(&px_dir, &px_conf, http_port).expect("proxy nginx");

    let mut seen: BTreeMap<&str, u16> = BTreeMap::new();
    for case in cases() {
        let url = match case.kind {
            Kind::Stream => format!("http://127.0.0.1:{}/{}/", stream_ports[case.id], case.id),
            _ => format!("http://127.0.0.1:{http_port}/{}/", case.id),
        };
        seen.insert(case.id, curl(&url));
    }
    proxy.stop();
    backend.stop();
    let px_errors = fs::read_to_string(px_dir.join("error.log")).unwrap_or_default();
    let be_access = fs::read_to_string(be_dir.join("access.log")).unwrap_or_default();

    // Lint once: the upstream findings by line.
    let out = tool()
        .args(["lint", "--format", "json", "--nginx-binary"])
        .arg(common::nginx_bin())
        .arg(&px_conf)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings: Vec<(String, u64)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"].as_str().unwrap_or("").starts_with("MTLS4"))
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();

    let mut bad = Vec::new();
    for case in cases() {
        let curl_status = seen[case.id];
        let mut cmd = tool();
        cmd.args(["verify", "--upstream", "--format", "json", "--nginx-binary"])
            .arg(common::nginx_bin())
            .arg("--config")
            .arg(&px_conf)
            .arg("--peer-cert")
            .arg(pki_dir.join(case.peer_cert))
            .arg("--peer-ca")
            .arg(pki_dir.join(case.peer_ca))
            .args(["--peer-depth", "2", "--peer-verify", case.peer_verify]);
        match case.kind {
            Kind::Stream => {
                cmd.args(["--listen", &format!("127.0.0.1:{}", stream_ports[case.id])]);
            }
            _ => {
                cmd.args(["--path", &format!("/{}/", case.id)]);
            }
        }
        let out = cmd.output().unwrap();
        let doc: serde_json::Value = match serde_json::from_slice(&out.stdout) {
            Ok(d) => d,
            Err(_) => {
                bad.push(format!(
                    "{}: the tool failed: {}",
                    case.id,
                    String::from_utf8_lossy(&out.stderr)
                ));
                continue;
            }
        };
        let ups = doc["upstreams"].as_array().unwrap();
        if ups.len() != 1 {
            bad.push(format!("{}: {} upstream results", case.id, ups.len()));
            continue;
        }
        let u = &ups[0];
        // What the client got.
        let predicted = if u["connection_closed"].as_bool().unwrap_or(false) {
            0
        } else {
            u["status"].as_u64().map_or(200, |s| s as u16)
        };
        let mut diffs = Vec::new();
        if let Some(first) = case.resumes {
            // Measured: the backend answers as for the first scenario's certificate,
            // and the tool says so in a note.
            let backend_verify = be_access
                .lines()
                .find(|l| l.contains(&format!("uri=/{}/ ", case.id)))
                .and_then(|l| l.split("verify=\"").nth(1))
                .map(|v| v.trim_end_matches('"').to_string());
            if curl_status != seen[first] || backend_verify.as_deref() != Some("SUCCESS") {
                diffs.push(format!(
                    "expected the resumed session of {first}: curl {curl_status}, backend {backend_verify:?}"
                ));
            }
            let noted = u["notes"].as_array().is_some_and(|n| {
                n.iter()
                    .any(|n| n.as_str().unwrap_or("").contains("resume"))
            });
            if !noted {
                diffs.push("the tool does not note the shared session".into());
            }
        } else if predicted != curl_status {
            diffs.push(format!("status: tool {predicted}, curl {curl_status}"));
        }
        // The proxy's [error] line for this scenario.
        let marker = match case.kind {
            Kind::Stream => format!("server: 127.0.0.1:{}", stream_ports[case.id]),
            _ => format!("\"GET /{}/ HTTP/1.1\"", case.id),
        };
        let nginx_line = px_errors
            .lines()
            .find(|l| l.contains("[error]") && l.contains(&marker) && l.contains("upstream"))
            .and_then(|l| l.split_once(": *").map(|(_, m)| m.to_string()))
            .and_then(|m| m.split_once(' ').map(|(_, m)| m.to_string()))
            .map(|m| m.split(", client:").next().unwrap_or("").to_string());
        let tool_line = u["error_log"].as_str().map(str::to_string);
        let same_line = match (&nginx_line, &tool_line) {
            (None, None) => true,
            // The handshake failure's SSL error text is OpenSSL's: the start and end.
            (Some(n), Some(t)) if t.starts_with("SSL_do_handshake() failed") => {
                n.starts_with("SSL_do_handshake() failed")
                    && n.ends_with("while SSL handshaking to upstream")
            }
            (Some(n), Some(t)) => n == t,
            _ => false,
        };
        if !same_line {
            diffs.push(format!(
                "error.log: tool {tool_line:?}, nginx {nginx_line:?}"
            ));
        }
        // The backend's $ssl_client_verify (nginx backends only).
        if case.peer_verify != "require" && case.backend != "plain" && case.resumes.is_none() {
            let backend_verify = be_access
                .lines()
                .find(|l| l.contains(&format!("uri=/{}/ ", case.id)))
                .and_then(|l| l.split("verify=\"").nth(1))
                .map(|v| v.trim_end_matches('"').to_string());
            let tool_verify = u["backend_ssl_client_verify"].as_str().map(str::to_string);
            if backend_verify != tool_verify {
                diffs.push(format!(
                    "backend $ssl_client_verify: tool {tool_verify:?}, backend {backend_verify:?}"
                ));
            }
        }
        // Lint: the upstream findings inside the block.
        let (from, to) = ranges[case.id];
        let got: BTreeSet<&str> = findings
            .iter()
            .filter(|(_, l)| (from as u64..=to as u64).contains(l))
            .map(|(c, _)| c.as_str())
            .collect();
        let want: BTreeSet<&str> = case.lint.iter().copied().collect();
        if got != want {
            diffs.push(format!("lint: tool {got:?}, expected {want:?}"));
        }
        eprintln!(
            "{:<24} curl {:>3} tool {:>3} {}",
            case.id,
            curl_status,
            predicted,
            nginx_line.as_deref().unwrap_or("")
        );
        if !diffs.is_empty() {
            bad.push(format!("{}: {}", case.id, diffs.join("; ")));
        }
    }
    let n = cases().len();
    assert!(n >= 25, "{n} scenarios");
    assert!(
        bad.is_empty(),
        "{} of {n} scenarios differ:\n{}\n\nproxy configuration:\n{px_text}",
        bad.len(),
        bad.join("\n")
    );
}
