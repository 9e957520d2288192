//! `nginx-mtls-lint rules` and `nginx-mtls-lint rule CODE`.

use std::io::Write;

use crate::error::{Error, exit};
use crate::report::rules::rules_table;
use crate::rules;

/// `rules`: the table of every rule.
pub fn list() -> Result<u8, Error> {
    let mut out = std::io::stdout().lock();
    out.write_all(rules_table().as_bytes())?;
    Ok(exit::CLEAN)
}

/// `rule CODE`: one rule's documentation, by code or name.
pub fn show(code: &str) -> Result<u8, Error> {
    let wanted = code.to_ascii_uppercase();
    let found = rules::registry()
        .into_iter()
        .find(|r| r.info().code == wanted || r.info().name == code);
    match found {
        Some(r) => {
            std::io::stdout()
                .lock()
                .write_all(r.info().doc().as_bytes())?;
            Ok(exit::CLEAN)
        }
        None => Err(Error::Input {
            path: code.to_string(),
            message: "no such rule (see `nginx-mtls-lint rules`)".into(),
        }),
    }
}
