//! The certificate layer: reading trust material and client certificates as nginx and
//! OpenSSL read them ([`load`]), what a certificate or CRL says ([`info`]), a model of
//! OpenSSL 3's `X509_verify_cert()` as nginx runs it on client certificates
//! ([`verify`]), and whether a private key belongs to a certificate ([`keys`]).

mod der;
pub mod info;
pub mod keys;
pub mod load;
pub mod name;
pub mod pem;
pub mod pkcs12;
pub mod verify;
