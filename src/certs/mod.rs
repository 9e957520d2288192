//! The certificate layer: reading trust material and client certificates as nginx and
//! OpenSSL read them ([`load`], [`pkcs12`]), what a certificate or CRL says ([`info`]),
//! a model of OpenSSL 3.0's `X509_verify_cert()` as nginx runs it on client
//! certificates ([`verify`]), and whether a private key belongs to a certificate
//! ([`keys`]); finding the issuer or key file a fix needs next to the others ([`discover`]).
//!
//! Facts the model rests on (OpenSSL 3.0.22, nginx 1.22.1; see `docs/nginx-behaviour.md`
//! and the tests in `tests/certs_openssl.rs`, which compare the model with the real
//! `openssl verify` and with a TLS handshake whose verify callback, like nginx's, never
//! stops):
//! - nginx's verify callback always returns 1, so every error is raised and the LAST
//!   one is what `$ssl_client_verify` (`FAILED:<text>`) and the error log report.
//! - Order: chain building, extension/purpose checks (bottom-up), CRL checks
//!   (bottom-up, root included), then signatures and validity periods top-down.
//! - `ssl_verify_depth N` allows N intermediate CAs (leaf and anchor not counted);
//!   a longer chain raises 22 then 20 (or 2), so nginx never reports 22.
//! - No partial chains; expiry at `t >= notAfter`, validity from `t >= notBefore`.
//! - Each of `ssl_client_certificate`, `ssl_trusted_certificate` and `ssl_crl` is read
//!   with `X509_load_cert_crl_file()`: certificates in the `ssl_crl` file are trust
//!   anchors, CRLs in CA files are used once `ssl_crl` turns CRL checking on.

pub mod build;
mod der;
pub mod discover;
pub mod error_strings;
pub mod info;
pub mod keys;
pub mod load;
pub mod name;
pub mod pem;
pub mod pkcs12;
pub mod profile;
pub mod verify;
