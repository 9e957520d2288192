//! Writes the lint benchmark's configuration tree:
//! `cargo bench --bench gen_lint_tree -- DIR [SERVERS] [FILES]` (default 1000 servers in
//! 100 include files). Every server has its own client CA file (a root and an
//! intermediate, ECDSA P-256), `ssl_verify_client on`, a CRL and a custom log format (one access log per include
//! file: nginx holds each open, and the hard limit on open files is often 20,000);
//! the server certificate is shared. Dates are relative to now.

use std::fs;
use std::path::PathBuf;

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DnType, IsCa, Issuer,
    KeyIdMethod, KeyPair, KeyUsagePurpose, SerialNumber,
};
use time::{Duration, OffsetDateTime};

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = OffsetDateTime::now_utc() - Duration::days(30);
    p.not_after = OffsetDateTime::now_utc() + Duration::days(3650);
    p.key_identifier_method = KeyIdMethod::Sha256;
    p
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let dir = PathBuf::from(
        args.first()
            .ok_or("usage: gen_lint_tree DIR [SERVERS] [FILES]")?,
    );
    let servers: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(1000);
    let files: usize = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(100);
    fs::create_dir_all(dir.join("sites"))?;
    fs::create_dir_all(dir.join("tls"))?;
    fs::create_dir_all(dir.join("logs"))?;

    let srv_key = KeyPair::generate()?;
    let mut sp = CertificateParams::new(vec!["localhost".to_string()])?;
    sp.not_before = OffsetDateTime::now_utc() - Duration::days(1);
    sp.not_after = OffsetDateTime::now_utc() + Duration::days(365);
    let srv = sp.self_signed(&srv_key)?;
    fs::write(dir.join("tls/server.pem"), srv.pem())?;
    fs::write(dir.join("tls/server.key"), srv_key.serialize_pem())?;
    // The client certificate nginx presents to its backends (upstream mTLS).
    let up_key = KeyPair::generate()?;
    let mut up = CertificateParams::new(vec!["nginx-client.example.com".to_string()])?;
    up.not_before = OffsetDateTime::now_utc() - Duration::days(1);
    up.not_after = OffsetDateTime::now_utc() + Duration::days(365);
    up.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let up = up.self_signed(&up_key)?;
    fs::write(dir.join("tls/upstream-client.pem"), up.pem())?;
    fs::write(dir.join("tls/upstream-client.key"), up_key.serialize_pem())?;

    let per_file = servers.div_ceil(files);
    let mut site = String::new();
    for i in 0..servers {
        let root_key = KeyPair::generate()?;
        let root_params = ca_params(&format!("Root CA {i}"));
        let root = root_params.self_signed(&root_key)?;
        let int_key = KeyPair::generate()?;
        let int_params = ca_params(&format!("Intermediate CA {i}"));
        let root_issuer = Issuer::from_params(&root_params, &root_key);
        let int = int_params.signed_by(&int_key, &root_issuer)?;
        let int_issuer = Issuer::from_params(&int_params, &int_key);
        let crl = |issuer: &Issuer<'_, &KeyPair>| -> Result<String, rcgen::Error> {
            CertificateRevocationListParams {
                this_update: OffsetDateTime::now_utc() - Duration::days(1),
                next_update: OffsetDateTime::now_utc() + Duration::days(90),
                crl_number: SerialNumber::from(1u64),
                issuing_distribution_point: None,
                revoked_certs: vec![],
                key_identifier_method: KeyIdMethod::Sha256,
            }
            .signed_by(issuer)?
            .pem()
        };
        fs::write(
            dir.join(format!("tls/ca-{i}.pem")),
            format!("{}{}", root.pem(), int.pem()),
        )?;
        fs::write(
            dir.join(format!("tls/crl-{i}.pem")),
            format!("{}{}", crl(&root_issuer)?, crl(&int_issuer)?),
        )?;
        site.push_str(&format!(
            "server {{\n    listen 127.0.0.1:8443 ssl;\n    server_name s{i}.example.com;\n    ssl_certificate tls/server.pem;\n    ssl_certificate_key tls/server.key;\n    ssl_client_certificate tls/ca-{i}.pem;\n    ssl_crl tls/crl-{i}.pem;\n    ssl_verify_client on;\n    ssl_verify_depth 2;\n    access_log logs/site{:03}.log mtls;\n    location / {{\n        proxy_set_header X-SSL-Client-Verify $ssl_client_verify;\n        proxy_pass http://127.0.0.1:9000;\n    }}\n    location /backend/ {{\n        proxy_set_header X-SSL-Client-Verify $ssl_client_verify;\n        proxy_pass https://127.0.0.1:{};\n        proxy_ssl_certificate tls/upstream-client.pem;\n        proxy_ssl_certificate_key tls/upstream-client.key;\n        proxy_ssl_verify on;\n        proxy_ssl_verify_depth 2;\n        proxy_ssl_trusted_certificate tls/ca-{i}.pem;\n        proxy_ssl_crl tls/crl-{i}.pem;\n        proxy_ssl_name backend{i}.example.com;\n        proxy_ssl_server_name on;\n    }}\n}}\n",
            i / per_file,
            10000 + i
        ));
        if (i + 1) % per_file == 0 || i + 1 == servers {
            fs::write(
                dir.join(format!("sites/site{:03}.conf", i / per_file)),
                &site,
            )?;
            site.clear();
        }
    }
    fs::write(
        dir.join("nginx.conf"),
        "worker_processes 1;\nerror_log logs/error.log info;\nevents {}\nhttp {\n    log_format mtls '$remote_addr [$time_local] \"$request\" $status $ssl_client_verify \"$ssl_client_s_dn\"';\n    include sites/*.conf;\n}\n",
    )?;
    println!(
        "wrote {servers} servers in {files} files to {}",
        dir.display()
    );
    Ok(())
}
