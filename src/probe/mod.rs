//! `probe`: ask a running server. A TLS handshake (TLS 1.2 and 1.3) that records what
//! the server sends (its chain, whether it asks for a client certificate, the CA names
//! and signature algorithms of the CertificateRequest), then an HTTP request without a
//! client certificate and, when given, with one; nginx's error pages are recognised.
//!
//! The TLS client is rustls (with the ring provider, which the tool already links):
//! its client-certificate resolver is handed the CertificateRequest's CA names, which
//! is exactly what the probe reports, and it needs no OpenSSL. The server's chain is
//! recorded by a certificate verifier that accepts it so the probe runs without trust;
//! the chain is reported and judged (expiry, completeness, and against the
//! configuration with `--config`), never silently trusted. Signatures of the handshake
//! are still checked.

pub mod drift;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde::Serialize;

/// The client certificate the probe may present.
pub struct ClientMaterial {
    /// Leaf first, then intermediates (DER).
    pub chain: Vec<Vec<u8>>,
    /// The key as PKCS#8 DER (the secret; zeroed when dropped).
    pub key: Vec<u8>,
}

impl Drop for ClientMaterial {
    fn drop(&mut self) {
        self.key.iter_mut().for_each(|b| *b = 0);
    }
}

/// Where and how to connect.
pub struct Target {
    /// The address connected to.
    pub addr: SocketAddr,
    /// The name sent as SNI (None: no SNI).
    pub sni: Option<String>,
    /// The HTTP Host header.
    pub host: String,
    pub path: String,
    pub timeout: Duration,
}

/// A certificate the server sent.
#[derive(Debug, Clone, Serialize)]
pub struct ServedCert {
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    pub sha256: String,
    /// Expired or not yet valid now.
    pub out_of_date: bool,
}

/// What one handshake showed.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Handshake {
    pub protocol: String,
    pub cipher: Option<String>,
    pub server_chain: Vec<ServedCert>,
    /// The server's certificates as sent (DER), for comparison.
    #[serde(skip)]
    pub server_chain_der: Vec<Vec<u8>>,
    /// The server sent a CertificateRequest.
    pub certificate_requested: bool,
    /// The acceptable CA names, as the DNs read (`CN=..., O=...`, in certificate order).
    pub ca_names: Vec<String>,
    /// The CA names' DER, for comparison (hex).
    #[serde(skip)]
    pub ca_names_der: Vec<Vec<u8>>,
    /// Bytes of the CA names (their DER).
    pub ca_names_bytes: usize,
    pub signature_algorithms: Vec<String>,
    /// The probe presented its client certificate.
    pub client_certificate_sent: bool,
    /// The handshake failed: why.
    pub error: Option<String>,
}

/// What the HTTP request got.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub status: Option<u16>,
    /// nginx's error page recognised: `no required SSL certificate was sent`,
    /// `the SSL certificate error`, `misdirected request`.
    pub nginx_page: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Default)]
struct Recorded {
    chain: Vec<Vec<u8>>,
    requested: bool,
    hints: Vec<Vec<u8>>,
    sigschemes: Vec<String>,
    sent: bool,
}

#[derive(Debug)]
struct Recorder {
    seen: Arc<Mutex<Recorded>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
    client: Option<Arc<rustls::sign::CertifiedKey>>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.as_ref().to_vec())
            .collect();
        // Recorded for the report; judged there (the probe needs no trust to run).
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

impl rustls::client::ResolvesClientCert for Recorder {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.requested = true;
        seen.hints = root_hint_subjects.iter().map(|h| h.to_vec()).collect();
        seen.sigschemes = sigschemes.iter().map(|s| format!("{s:?}")).collect();
        seen.sent = self.client.is_some();
        self.client.clone()
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// A DER Name as text, in certificate order (`C=US, O=Example, CN=Root`).
pub fn dn_text(der: &[u8]) -> String {
    use x509_parser::prelude::FromDer;
    match x509_parser::x509::X509Name::from_der(der) {
        Ok((_, name)) => name.to_string(),
        Err(_) => format!("(unreadable name, {} bytes)", der.len()),
    }
}

pub(crate) fn served(der: &[u8], now: i64) -> ServedCert {
    use sha2_like::sha256_hex;
    match crate::certs::info::CertInfo::from_der(der) {
        Ok(info) => ServedCert {
            out_of_date: info.not_before > now || info.not_after <= now,
            subject: info.subject,
            issuer: info.issuer,
            not_before: info.not_before_rfc3339,
            not_after: info.not_after_rfc3339,
            sha256: sha256_hex(der),
        },
        Err(_) => ServedCert {
            subject: "(unreadable certificate)".into(),
            issuer: String::new(),
            not_before: String::new(),
            not_after: String::new(),
            sha256: sha256_hex(der),
            out_of_date: false,
        },
    }
}

/// SHA-256 through ring (already a dependency).
mod sha2_like {
    pub fn sha256_hex(data: &[u8]) -> String {
        let d = ring::digest::digest(&ring::digest::SHA256, data);
        d.as_ref()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    }
}

/// One TLS connection with one protocol version, then (optionally) an HTTP request.
/// Returns the handshake and the answer (None when no request was made).
pub fn connect(
    target: &Target,
    version: &'static rustls::SupportedProtocolVersion,
    client: Option<&ClientMaterial>,
    request: bool,
    now: i64,
) -> (Handshake, Option<Answer>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let protocol = if version == &rustls::version::TLS13 {
        "TLSv1.3"
    } else {
        "TLSv1.2"
    };
    let mut hs = Handshake {
        protocol: protocol.into(),
        ..Handshake::default()
    };
    let certified = match client {
        Some(m) => {
            let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(m.key.clone()));
            match provider.key_provider.load_private_key(key) {
                Ok(signing) => Some(Arc::new(rustls::sign::CertifiedKey::new(
                    m.chain
                        .iter()
                        .map(|c| CertificateDer::from(c.clone()))
                        .collect(),
                    signing,
                ))),
                Err(e) => {
                    hs.error = Some(format!("the client key cannot sign: {e}"));
                    return (hs, None);
                }
            }
        }
        None => None,
    };
    let seen = Arc::new(Mutex::new(Recorded::default()));
    let recorder = Arc::new(Recorder {
        seen: seen.clone(),
        provider: provider.clone(),
        client: certified,
    });
    let config = match rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[version])
    {
        Ok(b) => {
            let mut c = b
                .dangerous()
                .with_custom_certificate_verifier(recorder.clone())
                .with_client_cert_resolver(recorder.clone());
            c.enable_sni = target.sni.is_some();
            c
        }
        Err(e) => {
            hs.error = Some(e.to_string());
            return (hs, None);
        }
    };
    // Without SNI the name only satisfies the API: an address sends none.
    let name = match &target.sni {
        Some(n) => ServerName::try_from(n.clone()).map_err(|e| e.to_string()),
        None => Ok(ServerName::IpAddress(target.addr.ip().into())),
    };
    let name = match name {
        Ok(n) => n,
        Err(e) => {
            hs.error = Some(format!("not a server name: {e}"));
            return (hs, None);
        }
    };
    let finish = |hs: &mut Handshake| {
        let s = seen.lock().unwrap_or_else(|e| e.into_inner());
        hs.server_chain = s.chain.iter().map(|c| served(c, now)).collect();
        hs.server_chain_der = s.chain.clone();
        hs.certificate_requested = s.requested;
        hs.ca_names = s.hints.iter().map(|h| dn_text(h)).collect();
        hs.ca_names_bytes = s.hints.iter().map(Vec::len).sum();
        hs.ca_names_der = s.hints.clone();
        hs.signature_algorithms = s.sigschemes.clone();
        hs.client_certificate_sent = s.sent;
    };
    let mut conn = match rustls::ClientConnection::new(Arc::new(config), name) {
        Ok(c) => c,
        Err(e) => {
            hs.error = Some(e.to_string());
            return (hs, None);
        }
    };
    let mut sock = match TcpStream::connect_timeout(&target.addr, target.timeout) {
        Ok(s) => s,
        Err(e) => {
            hs.error = Some(format!("cannot connect to {}: {e}", target.addr));
            return (hs, None);
        }
    };
    let _ = sock.set_read_timeout(Some(target.timeout));
    let _ = sock.set_write_timeout(Some(target.timeout));
    while conn.is_handshaking() {
        if let Err(e) = conn.complete_io(&mut sock) {
            finish(&mut hs);
            hs.error = Some(format!("handshake failed: {e}"));
            return (hs, None);
        }
    }
    hs.protocol = match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".into(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".into(),
        Some(v) => format!("{v:?}"),
        None => protocol.into(),
    };
    hs.cipher = conn
        .negotiated_cipher_suite()
        .map(|s| format!("{:?}", s.suite()));
    finish(&mut hs);
    if !request {
        conn.send_close_notify();
        let _ = conn.complete_io(&mut sock);
        return (hs, None);
    }
    let mut tls = rustls::Stream::new(&mut conn, &mut sock);
    let req = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: nginx-mtls-lint-probe\r\nConnection: close\r\n\r\n",
        target.path, target.host
    );
    let answer = match tls.write_all(req.as_bytes()) {
        Err(e) => Answer {
            status: None,
            nginx_page: None,
            error: Some(format!("cannot send the request: {e}")),
        },
        Ok(()) => {
            let mut body = Vec::new();
            let mut buf = [0u8; 8192];
            let mut error = None;
            loop {
                match tls.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        body.extend_from_slice(&buf[..n]);
                        if body.len() > 64 * 1024 {
                            break;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                    Err(e) => {
                        error = Some(e.to_string());
                        break;
                    }
                }
            }
            parse_answer(&body, error)
        }
    };
    (hs, Some(answer))
}

/// The status line and nginx's error page of an HTTP/1.1 response.
pub fn parse_answer(body: &[u8], error: Option<String>) -> Answer {
    let text = String::from_utf8_lossy(body);
    let status = text
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok());
    let lower = text.to_ascii_lowercase();
    let page = [
        "no required ssl certificate was sent",
        "the ssl certificate error",
        "misdirected request",
    ]
    .into_iter()
    .find(|p| {
        lower.contains(&format!("<center>{p}</center>")) || lower.contains(&format!("<title>{p}"))
    })
    .or_else(|| (status == Some(421)).then_some("misdirected request"))
    .map(str::to_string);
    Answer {
        status,
        nginx_page: page,
        error: if status.is_none() {
            error.or_else(|| Some("no HTTP answer".into()))
        } else {
            None
        },
    }
}

/// `required`, `optional` (served without a certificate), `not requested`, or
/// `misdirected` / `unknown`.
pub fn verdict(hs: &Handshake, without: Option<&Answer>) -> &'static str {
    if !hs.certificate_requested {
        return "not requested";
    }
    match without {
        Some(a) if a.nginx_page.as_deref() == Some("no required ssl certificate was sent") => {
            "required"
        }
        Some(a) if a.status == Some(421) => "misdirected",
        Some(a) if a.status.is_some_and(|s| s != 400 && s != 495 && s != 496) => "optional",
        _ => "unknown",
    }
}
