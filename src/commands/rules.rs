//! `nginx-mtls-lint rules` and `nginx-mtls-lint rule CODE`.

use std::io::{IsTerminal, Write};

use crate::cli::RulesFormat;
use crate::error::{Error, exit};
use crate::report::rules::{rules_table, rules_text};
use crate::rules;

/// `rules`: the table of every rule, Markdown for a pipe, aligned text on a terminal.
pub fn list(format: Option<RulesFormat>) -> Result<u8, Error> {
    let mut out = std::io::stdout().lock();
    let format = format.unwrap_or(if out.is_terminal() {
        RulesFormat::Text
    } else {
        RulesFormat::Markdown
    });
    let text = match format {
        RulesFormat::Markdown => rules_table(),
        RulesFormat::Text => rules_text(),
    };
    out.write_all(text.as_bytes())?;
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
