//! The error texts of each OpenSSL release line equal what that release's own
//! `X509_verify_cert_error_string()` returned (tools/openssl-harness/error-strings.json,
//! measured with the OpenSSL builds of the `cryptography` wheels; the table in
//! src/certs/error_strings.rs is generated from it by tools/gen-error-strings.py).

use nginx_mtls_lint::certs::profile::Openssl;
use nginx_mtls_lint::certs::verify::VerifyErrorCode;

#[test]
fn texts_follow_each_release() {
    let json = std::fs::read_to_string("tools/openssl-harness/error-strings.json").unwrap();
    let data: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut checked = 0;
    for (version, strings) in data.as_object().unwrap() {
        let line = Openssl::parse(version).unwrap();
        for code in VerifyErrorCode::ALL {
            let want = strings[code.code().to_string()].as_str().unwrap();
            assert_eq!(
                code.text(line),
                want,
                "code {} on OpenSSL {version}",
                code.code()
            );
            checked += 1;
        }
    }
    assert!(checked > 100);
    // The change users meet: error 9 on 4.0.
    assert_eq!(
        VerifyErrorCode::CertNotYetValid.text(Openssl::NEWEST),
        "certificate is not yet valid or the system clock is incorrect"
    );
}
