//! Test PKI for the certificate tests: certificates and CRLs made with rcgen at dates
//! relative to a fixed verification time [`AT`], so the tests never rot, and the
//! scenario matrix shared by `certs_verify.rs` (expected OpenSSL errors) and
//! `certs_openssl.rs` (the same scenarios checked against the real `openssl verify`).
#![allow(dead_code)]

use nginx_mtls_lint::certs::load::{Certificate, Crl, Origin, parse_bundle};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CustomExtension,
    DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair,
    KeyUsagePurpose, RevokedCertParams, SerialNumber,
};
use time::OffsetDateTime;

/// The fixed "now" of every test (2027-01-15T08:00:00Z).
pub const AT: i64 = 1_800_000_000;
pub const DAY: i64 = 86_400;

fn t(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap()
}

/// A certificate with its key and parameters (so it can issue others).
pub struct Cert {
    pub params: CertificateParams,
    pub key: KeyPair,
    pub der: Vec<u8>,
    pub pem: String,
}

impl Cert {
    pub fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &self.key)
    }

    /// As the library's type, read from its PEM as a file would be.
    pub fn cert(&self) -> Certificate {
        parse_bundle(self.pem.as_bytes(), std::path::Path::new("test.pem"))
            .unwrap()
            .certificates
            .remove(0)
    }

    /// Turns the PEM into a `TRUSTED CERTIFICATE` with OpenSSL trust settings, as
    /// `openssl x509 -addtrust/-addreject -trustout` writes it.
    pub fn with_aux(mut self, trust: &[&str], reject: &[&str]) -> Cert {
        fn oid(dotted: &str) -> Vec<u8> {
            let parts: Vec<u64> = dotted.split('.').map(|p| p.parse().unwrap()).collect();
            let mut body = vec![(parts[0] * 40 + parts[1]) as u8];
            for &p in &parts[2..] {
                let mut chunk = vec![(p & 0x7f) as u8];
                let mut v = p >> 7;
                while v > 0 {
                    chunk.push(0x80 | (v & 0x7f) as u8);
                    v >>= 7;
                }
                chunk.reverse();
                body.extend(chunk);
            }
            let mut out = vec![0x06, body.len() as u8];
            out.extend(body);
            out
        }
        fn wrap(tag: u8, content: Vec<u8>) -> Vec<u8> {
            assert!(content.len() < 128);
            let mut v = vec![tag, content.len() as u8];
            v.extend(content);
            v
        }
        let mut aux = Vec::new();
        if !trust.is_empty() {
            aux.extend(wrap(0x30, trust.iter().flat_map(|o| oid(o)).collect()));
        }
        if !reject.is_empty() {
            aux.extend(wrap(0xa0, reject.iter().flat_map(|o| oid(o)).collect()));
        }
        let mut der = self.der.clone();
        der.extend(wrap(0x30, aux));
        let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &der);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        self.pem = format!(
            "-----BEGIN TRUSTED CERTIFICATE-----\n{}\n-----END TRUSTED CERTIFICATE-----\n",
            lines.join("\n")
        );
        self
    }

    /// A second handle on the same certificate and key.
    pub fn clone_cert(&self) -> Cert {
        Cert {
            params: self.params.clone(),
            key: KeyPair::from_pem(&self.key.serialize_pem()).unwrap(),
            der: self.der.clone(),
            pem: self.pem.clone(),
        }
    }

    pub fn serial(&self) -> SerialNumber {
        self.params.serial_number.clone().unwrap()
    }
}

static SERIAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0x1000);

/// What to put in a certificate.
#[derive(Clone)]
pub struct Spec {
    pub cn: String,
    pub ca: Option<Option<u8>>,
    pub explicit_no_ca: bool,
    pub ku: Vec<KeyUsagePurpose>,
    pub eku: Vec<ExtendedKeyUsagePurpose>,
    pub not_before: i64,
    pub not_after: i64,
    pub aki: bool,
    pub critical_unknown: bool,
    /// Use this key instead of a new one.
    pub ed25519: bool,
    /// Pretend to have this key identifier (for look-alike issuers).
    pub key_id: Option<Vec<u8>>,
    /// cRLDistributionPoints URIs.
    pub crldp: Vec<String>,
    /// subjectAltName entries: `DNS:name` or `IP:address`.
    pub sans: Vec<String>,
}

/// A client certificate: clientAuth, digitalSignature, valid 30 days before to 1 year
/// after [`AT`].
pub fn leaf(cn: &str) -> Spec {
    Spec {
        cn: cn.into(),
        ca: None,
        explicit_no_ca: true,
        ku: vec![KeyUsagePurpose::DigitalSignature],
        eku: vec![ExtendedKeyUsagePurpose::ClientAuth],
        not_before: AT - 30 * DAY,
        not_after: AT + 365 * DAY,
        aki: true,
        critical_unknown: false,
        ed25519: false,
        key_id: None,
        crldp: Vec::new(),
        sans: Vec::new(),
    }
}

/// A CA: CA:TRUE, keyCertSign + cRLSign, no EKU, valid 1 year before to 10 years after.
pub fn ca(cn: &str) -> Spec {
    Spec {
        cn: cn.into(),
        ca: Some(None),
        explicit_no_ca: false,
        ku: vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign],
        eku: vec![],
        not_before: AT - 365 * DAY,
        not_after: AT + 3650 * DAY,
        aki: true,
        critical_unknown: false,
        ed25519: false,
        key_id: None,
        crldp: Vec::new(),
        sans: Vec::new(),
    }
}

impl Spec {
    pub fn validity(mut self, from: i64, to: i64) -> Spec {
        self.not_before = from;
        self.not_after = to;
        self
    }
    pub fn eku(mut self, eku: Vec<ExtendedKeyUsagePurpose>) -> Spec {
        self.eku = eku;
        self
    }
    pub fn ku(mut self, ku: Vec<KeyUsagePurpose>) -> Spec {
        self.ku = ku;
        self
    }
    pub fn pathlen(mut self, n: u8) -> Spec {
        self.ca = Some(Some(n));
        self
    }
    pub fn not_ca(mut self) -> Spec {
        self.ca = None;
        self.explicit_no_ca = true;
        self
    }
    /// No basicConstraints extension at all.
    pub fn no_bc(mut self) -> Spec {
        self.ca = None;
        self.explicit_no_ca = false;
        self
    }
    pub fn no_aki(mut self) -> Spec {
        self.aki = false;
        self
    }
    pub fn critical_unknown(mut self) -> Spec {
        self.critical_unknown = true;
        self
    }
    pub fn ed25519(mut self) -> Spec {
        self.ed25519 = true;
        self
    }
    pub fn san(mut self, entry: &str) -> Spec {
        self.sans.push(entry.to_string());
        self
    }

    pub fn crldp(mut self, uri: &str) -> Spec {
        self.crldp.push(uri.into());
        self
    }
    pub fn key_id(mut self, id: Vec<u8>) -> Spec {
        self.key_id = Some(id);
        self
    }

    fn params(&self) -> CertificateParams {
        let mut p = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, "Example");
        dn.push(DnType::CommonName, self.cn.clone());
        p.distinguished_name = dn;
        p.is_ca = match self.ca {
            Some(None) => IsCa::Ca(BasicConstraints::Unconstrained),
            Some(Some(n)) => IsCa::Ca(BasicConstraints::Constrained(n)),
            None if self.explicit_no_ca => IsCa::ExplicitNoCa,
            None => IsCa::NoCa,
        };
        p.key_usages = self.ku.clone();
        p.extended_key_usages = self.eku.clone();
        p.not_before = t(self.not_before);
        p.not_after = t(self.not_after);
        p.serial_number = Some(SerialNumber::from(
            SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        ));
        p.use_authority_key_identifier_extension = self.aki;
        if let Some(id) = &self.key_id {
            p.key_identifier_method = KeyIdMethod::PreSpecified(id.clone());
        }
        if !self.crldp.is_empty() {
            p.crl_distribution_points = vec![rcgen::CrlDistributionPoint {
                uris: self.crldp.clone(),
            }];
        }
        for e in &self.sans {
            p.subject_alt_names.push(match e.split_once(':') {
                Some(("IP", a)) => rcgen::SanType::IpAddress(a.parse().unwrap()),
                Some(("DNS", n)) => rcgen::SanType::DnsName(n.try_into().unwrap()),
                _ => panic!("subjectAltName {e}: DNS:name or IP:address"),
            });
        }
        if self.critical_unknown {
            let mut ext =
                CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 55555, 1], vec![5, 0]);
            ext.set_criticality(true);
            p.custom_extensions.push(ext);
        }
        p
    }

    fn key(&self) -> KeyPair {
        if self.ed25519 {
            KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap()
        } else {
            KeyPair::generate().unwrap()
        }
    }

    pub fn self_signed(self) -> Cert {
        let params = self.params();
        let key = self.key();
        let c = params.self_signed(&key).unwrap();
        Cert {
            der: c.der().to_vec(),
            pem: c.pem(),
            params,
            key,
        }
    }

    /// Self-signed with the key of `other` (a renewed or re-issued CA).
    pub fn self_signed_same_key(self, other: &Cert) -> Cert {
        let params = self.params();
        let key = KeyPair::from_pem(&other.key.serialize_pem()).unwrap();
        let c = params.self_signed(&key).unwrap();
        Cert {
            der: c.der().to_vec(),
            pem: c.pem(),
            params,
            key,
        }
    }

    /// Signed by `issuer` with the key of `other` (a renewed certificate).
    pub fn signed_by_same_key(self, other: &Cert, issuer: &Cert) -> Cert {
        let params = self.params();
        let key = KeyPair::from_pem(&other.key.serialize_pem()).unwrap();
        let c = params.signed_by(&key, &issuer.issuer()).unwrap();
        Cert {
            der: c.der().to_vec(),
            pem: c.pem(),
            params,
            key,
        }
    }

    pub fn signed_by(self, issuer: &Cert) -> Cert {
        let params = self.params();
        let key = self.key();
        let c = params.signed_by(&key, &issuer.issuer()).unwrap();
        Cert {
            der: c.der().to_vec(),
            pem: c.pem(),
            params,
            key,
        }
    }
}

/// A current CRL with an issuingDistributionPoint (URI and optional scope).
pub fn idp_crl(issuer: &Cert, uri: &str, scope: Option<rcgen::CrlScope>) -> (Vec<u8>, String) {
    crl_full(
        issuer,
        &[],
        AT - 7 * DAY,
        AT + 7 * DAY,
        Some(rcgen::CrlIssuingDistributionPoint {
            distribution_point: rcgen::CrlDistributionPoint {
                uris: vec![uri.into()],
            },
            scope,
        }),
    )
}

/// A CRL signed by `issuer`, valid from `this_update` to `next_update`.
pub fn crl(
    issuer: &Cert,
    revoked: &[&Cert],
    this_update: i64,
    next_update: i64,
) -> (Vec<u8>, String) {
    crl_full(issuer, revoked, this_update, next_update, None)
}

fn crl_full(
    issuer: &Cert,
    revoked: &[&Cert],
    this_update: i64,
    next_update: i64,
    idp: Option<rcgen::CrlIssuingDistributionPoint>,
) -> (Vec<u8>, String) {
    let params = CertificateRevocationListParams {
        this_update: t(this_update),
        next_update: t(next_update),
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: idp,
        revoked_certs: revoked
            .iter()
            .map(|c| RevokedCertParams {
                serial_number: c.serial(),
                revocation_time: t(AT - DAY),
                reason_code: None,
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: issuer.params.key_identifier_method.clone(),
    };
    let c = params.signed_by(&issuer.issuer()).unwrap();
    (c.der().to_vec(), c.pem().unwrap())
}

/// A current CRL (one week before to one week after [`AT`]).
pub fn fresh_crl(issuer: &Cert, revoked: &[&Cert]) -> (Vec<u8>, String) {
    crl(issuer, revoked, AT - 7 * DAY, AT + 7 * DAY)
}

pub fn lib_crl(der: &[u8]) -> Crl {
    Crl::from_der(
        der.to_vec(),
        Origin {
            path: "crl.pem".into(),
            index: 1,
            line: Some(1),
        },
    )
    .unwrap()
}

/// The subject key identifier rcgen gives a certificate.
pub fn ski(c: &Cert) -> Vec<u8> {
    c.params.key_identifier(&c.key)
}

/// One verification case.
pub struct Scenario {
    pub name: &'static str,
    pub leaf: Cert,
    /// What the client sends after its certificate (PEM order).
    pub sent: Vec<Cert>,
    /// The trust store.
    pub store: Vec<Cert>,
    /// CRLs as (DER, PEM); CRL checking is on when `crl_check` is set.
    pub crls: Vec<(Vec<u8>, String)>,
    pub crl_check: bool,
    pub depth: u32,
    /// Expected (code, depth) list, in OpenSSL's order.
    pub expect: Vec<(u32, usize)>,
}

fn sc(
    name: &'static str,
    leaf: Cert,
    sent: Vec<Cert>,
    store: Vec<Cert>,
    expect: Vec<(u32, usize)>,
) -> Scenario {
    Scenario {
        name,
        leaf,
        sent,
        store,
        crls: Vec::new(),
        crl_check: false,
        depth: 1,
        expect,
    }
}

/// The matrix: one scenario per error the model knows, plus the good paths.
pub fn scenarios() -> Vec<Scenario> {
    let mut v = Vec::new();
    let root = || ca("Root CA").self_signed();

    {
        let r = root();
        let l = leaf("client").signed_by(&r);
        v.push(sc(
            "ok, leaf issued by the root",
            l,
            vec![],
            vec![r],
            vec![],
        ));
    }
    {
        let r = root();
        let i = ca("Intermediate").signed_by(&r);
        let l = leaf("client").signed_by(&i);
        v.push(sc(
            "ok, one intermediate sent, depth 1",
            l,
            vec![i],
            vec![r],
            vec![],
        ));
    }
    {
        let r = ca("Ed Root").ed25519().self_signed();
        let i = ca("Ed Intermediate").ed25519().signed_by(&r);
        let l = leaf("ed-client").ed25519().signed_by(&i);
        v.push(sc("ok, Ed25519 chain", l, vec![i], vec![r], vec![]));
    }
    {
        let r = root();
        let i = ca("Intermediate").signed_by(&r);
        let l = leaf("client").signed_by(&i);
        v.push(sc(
            "intermediate not sent and not in the store",
            l,
            vec![],
            vec![r],
            vec![(20, 0), (21, 0)],
        ));
    }
    {
        let r = root();
        let other = ca("Other CA").self_signed();
        let i = ca("Intermediate").signed_by(&r);
        let l = leaf("client").signed_by(&i);
        v.push(sc(
            "store holds an unrelated CA",
            l,
            vec![i],
            vec![other],
            vec![(20, 1)],
        ));
    }
    {
        let r = root();
        let other = ca("Other CA").self_signed();
        let i = ca("Intermediate").signed_by(&r);
        let l = leaf("client").signed_by(&i);
        v.push(sc(
            "client sends its own root, not trusted",
            l,
            vec![i, r],
            vec![other],
            vec![(22, 2), (19, 2)],
        ));
    }
    {
        let r = root();
        let other = ca("Other CA").self_signed();
        let i = ca("Intermediate").signed_by(&r);
        let l = leaf("client").signed_by(&i);
        let mut s = sc(
            "client sends its own root, not trusted, depth 2",
            l,
            vec![i, r],
            vec![other],
            vec![(19, 2)],
        );
        s.depth = 2;
        v.push(s);
    }
    {
        let r = root();
        let l = leaf("self").self_signed();
        v.push(sc(
            "self-signed client certificate",
            l,
            vec![],
            vec![r],
            vec![(18, 0)],
        ));
    }
    {
        let l = leaf("self").self_signed();
        let copy = Cert {
            params: l.params.clone(),
            key: KeyPair::from_pem(&l.key.serialize_pem()).unwrap(),
            der: l.der.clone(),
            pem: l.pem.clone(),
        };
        v.push(sc(
            "self-signed client certificate that is in the store",
            l,
            vec![],
            vec![copy],
            vec![],
        ));
    }
    {
        let r = root();
        let i = ca("Intermediate").signed_by(&r);
        let l = leaf("client").signed_by(&i);
        v.push(sc(
            "only the intermediate is in the store (no partial chains)",
            l,
            vec![],
            vec![i],
            vec![(2, 1)],
        ));
    }
    {
        let r = root();
        let i = ca("Intermediate").signed_by(&r);
        let l = leaf("client").signed_by(&i);
        let mut s = sc(
            "depth 0 with one intermediate",
            l,
            vec![i],
            vec![r],
            vec![(22, 1), (20, 1)],
        );
        s.depth = 0;
        v.push(s);
    }
    {
        let r = root();
        let i1 = ca("Intermediate 1").signed_by(&r);
        let i2 = ca("Intermediate 2").signed_by(&i1);
        let l = leaf("client").signed_by(&i2);
        v.push(sc(
            "depth 1 with two intermediates",
            l,
            vec![i2, i1],
            vec![r],
            vec![(22, 2), (20, 2)],
        ));
    }
    {
        let r = root();
        let i1 = ca("Intermediate 1").signed_by(&r);
        let i2 = ca("Intermediate 2").signed_by(&i1);
        let l = leaf("client").signed_by(&i2);
        let mut s = sc(
            "depth 2 with two intermediates",
            l,
            vec![i2, i1],
            vec![r],
            vec![],
        );
        s.depth = 2;
        v.push(s);
    }
    {
        let r = root();
        let l = leaf("client")
            .validity(AT - 400 * DAY, AT - DAY)
            .signed_by(&r);
        v.push(sc(
            "expired client certificate",
            l,
            vec![],
            vec![r],
            vec![(10, 0)],
        ));
    }
    {
        let r = root();
        let l = leaf("client")
            .validity(AT + DAY, AT + 400 * DAY)
            .signed_by(&r);
        v.push(sc(
            "client certificate not yet valid",
            l,
            vec![],
            vec![r],
            vec![(9, 0)],
        ));
    }
    {
        let r = root();
        let i = ca("Intermediate")
            .validity(AT - 400 * DAY, AT - 2 * DAY)
            .signed_by(&r);
        let l = leaf("client")
            .validity(AT - 30 * DAY, AT - DAY)
            .signed_by(&i);
        v.push(sc(
            "expired intermediate and leaf: top-down order",
            l,
            vec![i],
            vec![r],
            vec![(10, 1), (10, 0)],
        ));
    }
    {
        let r = ca("Root CA")
            .validity(AT - 4000 * DAY, AT - DAY)
            .self_signed();
        let l = leaf("client").signed_by(&r);
        v.push(sc("expired root", l, vec![], vec![r], vec![(10, 1)]));
    }
    {
        let r = root();
        let l = leaf("client")
            .eku(vec![ExtendedKeyUsagePurpose::ServerAuth])
            .signed_by(&r);
        v.push(sc(
            "client certificate with serverAuth only",
            l,
            vec![],
            vec![r],
            vec![(26, 0)],
        ));
    }
    {
        let r = root();
        let l = leaf("client")
            .ku(vec![KeyUsagePurpose::KeyEncipherment])
            .signed_by(&r);
        v.push(sc(
            "client certificate without digitalSignature",
            l,
            vec![],
            vec![r],
            vec![(26, 0)],
        ));
    }
    {
        let r = root();
        let i = ca("Intermediate")
            .not_ca()
            .ku(vec![KeyUsagePurpose::KeyCertSign])
            .signed_by(&r);
        let l = leaf("client").signed_by(&i);
        v.push(sc(
            "intermediate with CA:FALSE",
            l,
            vec![i],
            vec![r],
            vec![(79, 1), (26, 1)],
        ));
    }
    {
        let r = root();
        let i = ca("Intermediate")
            .eku(vec![ExtendedKeyUsagePurpose::ServerAuth])
            .signed_by(&r);
        let l = leaf("client").signed_by(&i);
        v.push(sc(
            "intermediate restricted to serverAuth",
            l,
            vec![i],
            vec![r],
            vec![(26, 1)],
        ));
    }
    {
        let r = ca("Root CA")
            .eku(vec![ExtendedKeyUsagePurpose::ServerAuth])
            .self_signed();
        let l = leaf("client").signed_by(&r);
        v.push(sc(
            "root restricted to serverAuth",
            l,
            vec![],
            vec![r],
            vec![(26, 1)],
        ));
    }
    {
        let r = root();
        let i = ca("Intermediate")
            .ku(vec![KeyUsagePurpose::DigitalSignature])
            .signed_by(&r);
        let l = leaf("client").signed_by(&i);
        v.push(sc(
            "intermediate without keyCertSign",
            l,
            vec![i],
            vec![r],
            vec![(79, 1), (26, 1), (32, 1)],
        ));
    }
    {
        let r = root();
        let i1 = ca("Intermediate 1").pathlen(0).signed_by(&r);
        let i2 = ca("Intermediate 2").signed_by(&i1);
        let l = leaf("client").signed_by(&i2);
        let mut s = sc(
            "pathlen 0 exceeded",
            l,
            vec![i2, i1],
            vec![r],
            vec![(25, 2)],
        );
        s.depth = 2;
        v.push(s);
    }
    {
        let r = root();
        let i = ca("Intermediate").signed_by(&r);
        let fake = ca("Intermediate").signed_by(&r);
        let l = leaf("client").no_aki().signed_by(&fake);
        v.push(sc(
            "issuer found by name, wrong key",
            l,
            vec![i],
            vec![r],
            vec![(7, 0)],
        ));
    }
    {
        let r = root();
        let l = leaf("client").critical_unknown().signed_by(&r);
        v.push(sc(
            "unknown critical extension",
            l,
            vec![],
            vec![r],
            vec![(34, 0)],
        ));
    }
    // Several errors at once: the last one is what nginx reports (docs/nginx-behaviour.md).
    {
        let r = root();
        let unk = ca("Unknown CA").self_signed();
        let l = leaf("client")
            .validity(AT - 30 * DAY, AT - DAY)
            .signed_by(&unk);
        v.push(sc(
            "unknown issuer and expired",
            l,
            vec![],
            vec![r],
            vec![(20, 0), (21, 0), (10, 0)],
        ));
    }
    {
        let r = root();
        let l = leaf("self").validity(AT - 30 * DAY, AT - DAY).self_signed();
        v.push(sc(
            "self-signed and expired",
            l,
            vec![],
            vec![r],
            vec![(18, 0), (10, 0)],
        ));
    }
    {
        let r = root();
        let l = leaf("client")
            .validity(AT - 30 * DAY, AT - DAY)
            .eku(vec![ExtendedKeyUsagePurpose::ServerAuth])
            .signed_by(&r);
        v.push(sc(
            "expired with serverAuth only",
            l,
            vec![],
            vec![r],
            vec![(26, 0), (10, 0)],
        ));
    }
    {
        let r = root();
        let i = ca("Intermediate")
            .validity(AT - 400 * DAY, AT - DAY)
            .signed_by(&r);
        let l = leaf("client")
            .validity(AT + DAY, AT + 30 * DAY)
            .signed_by(&i);
        v.push(sc(
            "expired intermediate, leaf not yet valid",
            l,
            vec![i],
            vec![r],
            vec![(10, 1), (9, 0)],
        ));
    }
    {
        let r = root();
        let l = leaf("client").eku(vec![]).signed_by(&r);
        v.push(sc(
            "client certificate without EKU",
            l,
            vec![],
            vec![r],
            vec![],
        ));
    }
    {
        let r = root();
        let i = ca("Intermediate")
            .eku(vec![ExtendedKeyUsagePurpose::ClientAuth])
            .signed_by(&r);
        let l = leaf("client").signed_by(&i);
        v.push(sc(
            "intermediate restricted to clientAuth",
            l,
            vec![i],
            vec![r],
            vec![],
        ));
    }
    {
        let r = root();
        let i = ca("Intermediate")
            .no_bc()
            .ku(vec![KeyUsagePurpose::KeyCertSign])
            .signed_by(&r);
        let l = leaf("client").signed_by(&i);
        v.push(sc(
            "intermediate without basicConstraints",
            l,
            vec![i],
            vec![r],
            vec![(79, 1)],
        ));
    }
    {
        let r = root();
        let i = ca("Intermediate").signed_by(&r);
        let l = leaf("client").signed_by(&i);
        v.push(sc(
            "client sends leaf, intermediate and root",
            l,
            vec![i, r.clone_cert()],
            vec![r],
            vec![],
        ));
    }
    // OpenSSL trust settings (TRUSTED CERTIFICATE) in the store.
    const SERVER_AUTH: &str = "1.3.6.1.5.5.7.3.1";
    const CLIENT_AUTH: &str = "1.3.6.1.5.5.7.3.2";
    {
        let r = root();
        let l = leaf("client").signed_by(&r);
        let anchor = r.with_aux(&[SERVER_AUTH], &[]);
        v.push(sc(
            "root trusted for serverAuth only",
            l,
            vec![],
            vec![anchor],
            vec![(28, 1), (28, 1), (26, 1)],
        ));
    }
    {
        let r = root();
        let l = leaf("client").signed_by(&r);
        let anchor = r.with_aux(&[], &[CLIENT_AUTH]);
        v.push(sc(
            "root rejected for clientAuth",
            l,
            vec![],
            vec![anchor],
            vec![(28, 1), (28, 1), (26, 1)],
        ));
    }
    {
        let r = root();
        let i = ca("Intermediate").signed_by(&r);
        let l = leaf("client").signed_by(&i);
        let anchor = i.with_aux(&[CLIENT_AUTH], &[]);
        v.push(sc(
            "intermediate explicitly trusted for clientAuth anchors",
            l,
            vec![],
            vec![anchor],
            vec![],
        ));
    }
    // CA rollover: several store certificates with the same name.
    {
        let old = ca("Root CA")
            .validity(AT - 4000 * DAY, AT - DAY)
            .self_signed();
        let renewed = ca("Root CA").self_signed_same_key(&old);
        let l = leaf("client").signed_by(&renewed);
        v.push(sc(
            "expired root and its renewal with the same key",
            l,
            vec![],
            vec![old, renewed],
            vec![],
        ));
    }
    {
        let old = ca("Root CA").self_signed();
        let new = ca("Root CA").self_signed();
        let l = leaf("client").signed_by(&new);
        v.push(sc(
            "two roots with one name, leaf has an AKID",
            l,
            vec![],
            vec![old, new],
            vec![],
        ));
    }
    {
        let old = ca("Root CA").self_signed();
        let new = ca("Root CA").self_signed();
        let l = leaf("client").no_aki().signed_by(&new);
        v.push(sc(
            "two roots with one name, leaf without AKID: the first wins",
            l,
            vec![],
            vec![old, new],
            vec![(7, 0)],
        ));
    }
    {
        let old = ca("Root CA").self_signed();
        let new = ca("Root CA").self_signed();
        let l = leaf("client").no_aki().signed_by(&new);
        v.push(sc(
            "two roots with one name, leaf without AKID, right one first",
            l,
            vec![],
            vec![new, old],
            vec![],
        ));
    }
    // CRLs (nginx's ssl_crl: CRL_CHECK | CRL_CHECK_ALL).
    {
        let r = root();
        let i = ca("Intermediate").signed_by(&r);
        let l = leaf("client").signed_by(&i);
        let crls = vec![fresh_crl(&r, &[]), fresh_crl(&i, &[])];
        let mut s = sc(
            "CRLs for every CA, nothing revoked",
            l,
            vec![i],
            vec![r],
            vec![],
        );
        s.crls = crls;
        s.crl_check = true;
        v.push(s);
    }
    {
        let r = root();
        let i = ca("Intermediate").signed_by(&r);
        let l = leaf("client").signed_by(&i);
        let crls = vec![fresh_crl(&r, &[]), fresh_crl(&i, &[&l])];
        let mut s = sc(
            "revoked client certificate",
            l,
            vec![i],
            vec![r],
            vec![(23, 0)],
        );
        s.crls = crls;
        s.crl_check = true;
        v.push(s);
    }
    {
        let r = root();
        let i = ca("Intermediate").signed_by(&r);
        let l = leaf("client").signed_by(&i);
        let crls = vec![fresh_crl(&r, &[&i]), fresh_crl(&i, &[])];
        let mut s = sc("revoked intermediate", l, vec![i], vec![r], vec![(23, 1)]);
        s.crls = crls;
        s.crl_check = true;
        v.push(s);
    }
    {
        let r = root();
        let i = ca("Intermediate").signed_by(&r);
        let l = leaf("client").signed_by(&i);
        let crls = vec![fresh_crl(&i, &[])];
        let mut s = sc(
            "no CRL from the root (CRL_CHECK_ALL)",
            l,
            vec![i],
            vec![r],
            vec![(3, 1), (3, 2)],
        );
        s.crls = crls;
        s.crl_check = true;
        v.push(s);
    }
    {
        let r = root();
        let i = ca("Intermediate").signed_by(&r);
        let l = leaf("client").signed_by(&i);
        let crls = vec![fresh_crl(&r, &[]), crl(&i, &[], AT - 30 * DAY, AT - DAY)];
        let mut s = sc("expired CRL", l, vec![i], vec![r], vec![(12, 0)]);
        s.crls = crls;
        s.crl_check = true;
        v.push(s);
    }
    {
        let r = root();
        let i = ca("Intermediate").signed_by(&r);
        let l = leaf("client").signed_by(&i);
        let crls = vec![fresh_crl(&r, &[]), crl(&i, &[], AT + DAY, AT + 30 * DAY)];
        let mut s = sc("CRL not yet valid", l, vec![i], vec![r], vec![(11, 0)]);
        s.crls = crls;
        s.crl_check = true;
        v.push(s);
    }
    {
        let r = root();
        let i = ca("Intermediate").signed_by(&r);
        let l = leaf("client").signed_by(&i);
        let fake = ca("Intermediate").key_id(ski(&i)).signed_by(&r);
        let crls = vec![fresh_crl(&r, &[]), fresh_crl(&fake, &[])];
        let mut s = sc(
            "CRL signed by a look-alike CA",
            l,
            vec![i],
            vec![r],
            vec![(8, 0)],
        );
        s.crls = crls;
        s.crl_check = true;
        v.push(s);
    }
    {
        let r = root();
        let i = ca("Intermediate").signed_by(&r);
        let l = leaf("client").signed_by(&i);
        let other = ca("Other CA").self_signed();
        let crls = vec![fresh_crl(&r, &[]), fresh_crl(&other, &[])];
        let mut s = sc(
            "CRL from another CA only",
            l,
            vec![i],
            vec![r],
            vec![(3, 0)],
        );
        s.crls = crls;
        s.crl_check = true;
        v.push(s);
    }
    {
        let r = root();
        let i = ca("Intermediate").signed_by(&r);
        let l = leaf("client").signed_by(&i);
        let crls = vec![
            fresh_crl(&r, &[]),
            idp_crl(&i, "http://crl.example/int.crl", None),
        ];
        let mut s = sc(
            "CRL with a distribution point the certificate does not name",
            l,
            vec![i],
            vec![r],
            vec![(44, 0), (3, 0)],
        );
        s.crls = crls;
        s.crl_check = true;
        v.push(s);
    }
    {
        let r = root();
        let i = ca("Intermediate").signed_by(&r);
        let l = leaf("client")
            .crldp("http://crl.example/int.crl")
            .signed_by(&i);
        let crls = vec![
            fresh_crl(&r, &[]),
            idp_crl(&i, "http://crl.example/int.crl", None),
        ];
        let mut s = sc(
            "CRL distribution point matches the certificate's",
            l,
            vec![i],
            vec![r],
            vec![],
        );
        s.crls = crls;
        s.crl_check = true;
        v.push(s);
    }
    {
        let r = root();
        let i = ca("Intermediate").signed_by(&r);
        let l = leaf("client")
            .crldp("http://crl.example/int.crl")
            .signed_by(&i);
        let crls = vec![
            fresh_crl(&r, &[]),
            idp_crl(
                &i,
                "http://crl.example/int.crl",
                Some(rcgen::CrlScope::CaCertsOnly),
            ),
        ];
        let mut s = sc(
            "CRL for CA certificates only, used for a client certificate",
            l,
            vec![i],
            vec![r],
            vec![(44, 0), (3, 0)],
        );
        s.crls = crls;
        s.crl_check = true;
        v.push(s);
    }
    {
        let r = root();
        let i = ca("Intermediate").signed_by(&r);
        let l = leaf("client").signed_by(&i);
        let crls = vec![fresh_crl(&r, &[]), crl(&i, &[], AT - 7 * DAY, AT)];
        let mut s = sc(
            "CRL nextUpdate exactly at the verification time",
            l,
            vec![i],
            vec![r],
            vec![(12, 0)],
        );
        s.crls = crls;
        s.crl_check = true;
        v.push(s);
    }
    {
        let r = root();
        let l = leaf("client").validity(AT - DAY, AT).signed_by(&r);
        v.push(sc(
            "notAfter exactly at the verification time",
            l,
            vec![],
            vec![r],
            vec![(10, 0)],
        ));
    }
    {
        let r = root();
        let i = ca("Intermediate").signed_by(&r);
        let l = leaf("client")
            .validity(AT - 30 * DAY, AT - DAY)
            .signed_by(&i);
        let crls = vec![fresh_crl(&r, &[]), fresh_crl(&i, &[&l])];
        let mut s = sc(
            "revoked and expired: revocation first, expiry last",
            l,
            vec![i],
            vec![r],
            vec![(23, 0), (10, 0)],
        );
        s.crls = crls;
        s.crl_check = true;
        v.push(s);
    }
    v
}

/// The key as PEM OpenSSL 3.0 reads: ring writes Ed25519 keys as PKCS#8 v2 (with the
/// public key), which OpenSSL 3.0 rejects, so those are rewritten as PKCS#8 v1.
pub fn openssl_key_pem(key: &KeyPair) -> String {
    let der = key.serialize_der();
    let v2_prefix = [0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70];
    if der.len() >= 48 && der[0] == 0x30 && der[2..12] == v2_prefix {
        let mut v1 = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        v1.extend_from_slice(&der[16..48]);
        let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &v1);
        return format!("-----BEGIN PRIVATE KEY-----\n{b64}\n-----END PRIVATE KEY-----\n");
    }
    key.serialize_pem()
}

/// Runs the library's OpenSSL model on a scenario, at [`AT`].
pub fn run_model(s: &Scenario) -> nginx_mtls_lint::certs::verify::VerifyResult {
    use nginx_mtls_lint::certs::verify::{VerifyInput, VerifyParams, verify};
    let leaf = s.leaf.cert();
    let sent: Vec<Certificate> = s.sent.iter().map(Cert::cert).collect();
    let store: Vec<Certificate> = s.store.iter().map(Cert::cert).collect();
    let crls: Vec<Crl> = s.crls.iter().map(|(d, _)| lib_crl(d)).collect();
    verify(
        VerifyInput {
            leaf: &leaf,
            untrusted: &sent,
            trusted: &store,
            crls: &crls,
        },
        VerifyParams {
            depth: s.depth,
            time: AT,
            crl_check: s.crl_check,
            // The scenarios' expectations were measured on OpenSSL 3.0 (Debian 12).
            openssl: nginx_mtls_lint::certs::profile::Openssl::DEBIAN_12,
            purpose: nginx_mtls_lint::certs::verify::Purpose::SslClient,
        },
    )
}
