//! The rules' documentation as `nginx-mtls-lint rules` and the README show it.

use crate::rules;

/// The rules table, as `nginx-mtls-lint rules` prints it.
pub fn rules_table() -> String {
    let mut out =
        String::from("| code | name | default severity | what it finds |\n|---|---|---|---|\n");
    for r in rules::registry() {
        let i = r.info();
        out.push_str(&format!(
            "| [{}](#{}) | `{}` | {} | {} |\n",
            i.code,
            format!("{}-{}", i.code, i.name).to_ascii_lowercase(),
            i.name,
            i.severity.as_str(),
            i.summary()
        ));
    }
    out
}

/// The rules as aligned text for a terminal: code, default severity, name, and what
/// it finds.
pub fn rules_text() -> String {
    let mut out = String::new();
    for r in rules::registry() {
        let i = r.info();
        out.push_str(&format!(
            "{}  {:<7}  {}\n         {}\n",
            i.code,
            i.severity.as_str(),
            i.name,
            i.summary()
        ));
    }
    out.push_str("\n`nginx-mtls-lint rule CODE` prints a rule's documentation.\n");
    out
}

/// The README's rules section: the table, then every rule's documentation.
pub fn rules_markdown() -> String {
    let mut out = rules_table();
    for r in rules::registry() {
        out.push('\n');
        // Rule docs start at "# CODE name"; in the README they sit two levels lower.
        for line in r.info().doc().lines() {
            if line.starts_with('#') && !line.starts_with("#!") {
                out.push_str("##");
            }
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
