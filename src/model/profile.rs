//! The versions a prediction is for, and where they came from: shown in `--verbose` and
//! in the JSON of `lint` and `verify`.

use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Profile {
    /// The nginx version assumed (`1.31.4`).
    pub nginx: String,
    /// The OpenSSL release line assumed (`3.0`).
    pub openssl: String,
    /// Where they came from: `default`, `--openssl-version`, `settings`, `nginx -V`.
    pub source: String,
    /// The binary whose `nginx -V` was read.
    pub nginx_binary: Option<String>,
    /// `built with ...` of that binary.
    pub openssl_built_with: Option<String>,
    /// `running with ...` of that binary (the one that verifies).
    pub openssl_running_with: Option<String>,
}
