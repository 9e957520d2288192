//! # MTLS119 dn-regex-unanchored
//!
//! ## What it does
//! Reports a regular expression on `$ssl_client_s_dn` or `$ssl_client_i_dn` (in an
//! `if (... ~ ...)` or a regex key of a `map`) that is not anchored to the DN's
//! attribute boundaries, and one written for the old DN format:
//!
//! - `CN=admin` with nothing after the value also matches `CN=admin-evil`;
//! - `CN=` with no `^` or `,` before it also matches inside another attribute's value
//!   (`OU=xCN=admin`), and `[/,]?CN=` makes the boundary optional;
//! - `/CN=` never matches `$ssl_client_s_dn`, and `[^/]+` takes the rest of the DN
//!   (`client,O=Org,C=US`), because since nginx 1.11.6 the variable is in RFC 2253
//!   format: `CN=client,O=Org,C=US`, comma-separated, most specific attribute first.
//!   `$ssl_client_s_dn_legacy` (http only) keeps the old `/C=US/O=Org/CN=client`.
//!
//! Exact comparisons (`=`, `!=`, a map's exact keys) are fine and not reported.
//!
//! ## Why is this bad?
//! A check such as `if ($ssl_client_s_dn !~ "CN=admin") { return 403; }` also lets in
//! every certificate of the same CA whose subject merely contains that text:
//! `CN=admin-evil`, `CN=administrator`, `CN=mallory,OU=CN=admin`. A map that extracts
//! the CN with an unanchored key can take a `CN=` out of another attribute. A regex in
//! the old format silently never matches: the map always gives its default, and an
//! `if` always takes the same branch.
//!
//! ## Example
//! ```nginx
//! if ($ssl_client_s_dn !~ "CN=admin") { return 403; }
//! map $ssl_client_s_dn $ssl_client_s_dn_cn {
//!     default "";
//!     ~/CN=(?<CN>[^/]+) $CN;      # never matches since 1.11.6
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! if ($ssl_client_s_dn !~ "^CN=admin(,|$)") { return 403; }
//! map $ssl_client_s_dn $ssl_client_s_dn_cn {
//!     default "";
//!     ~^CN=(?<CN>[^,]+) $CN;
//! }
//! ```
//! Better still, allow certificates, not names: `map $ssl_client_fingerprint $allowed {
//! default 0; "<sha1 of the certificate>" 1; }` (or `$ssl_client_serial` with the issuer).
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#var_ssl_client_s_dn>
//! - <https://nginx.org/en/docs/http/ngx_http_map_module.html#map>
//! - <https://www.rfc-editor.org/rfc/rfc2253#section-2>

use super::mtls011_unknown_variable::{REGEX_OPS, if_condition};
use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use crate::config::Span;

pub struct Rule119;

crate::rule_info!(
    "MTLS119",
    "dn-regex-unanchored",
    Warning,
    "mtls119_dn_regex_unanchored.rs"
);

/// The DN variables: name, and whether it is in the legacy `/C=../CN=..` format.
const DN_VARS: [(&str, bool); 4] = [
    ("ssl_client_s_dn", false),
    ("ssl_client_i_dn", false),
    ("ssl_client_s_dn_legacy", true),
    ("ssl_client_i_dn_legacy", true),
];

/// Attribute names as OpenSSL prints them.
const ATTRS: [&str; 16] = [
    "CN",
    "O",
    "OU",
    "C",
    "L",
    "ST",
    "DC",
    "UID",
    "emailAddress",
    "serialNumber",
    "title",
    "SN",
    "GN",
    "street",
    "postalCode",
    "name",
];

fn dn_var(word: &str) -> Option<(&'static str, bool)> {
    let w = word.trim();
    let name = w
        .strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
        .or_else(|| w.strip_prefix('$'))?
        .to_ascii_lowercase();
    DN_VARS.iter().copied().find(|(n, _)| *n == name)
}

/// What is wrong with a DN regex.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Problem {
    /// `/CN=` on an RFC 2253 variable (or `,CN=` on a legacy one): never matches.
    OldFormat { attr: String },
    /// `CN=` not preceded by `^` or the separator.
    Start { attr: String, value: String },
    /// A literal value not followed by the separator or `$`.
    End { attr: String, value: String },
    /// `[^/]+` or `.*` on an RFC 2253 variable: takes the following attributes too.
    Rest { attr: String },
}

/// One attribute test in a regex: where `ATTR=` starts, the attribute, and the value
/// part after `=`.
struct AttrAt {
    start: usize,
    attr: String,
}

fn attrs_in(re: &[char], icase: bool) -> Vec<AttrAt> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < re.len() {
        if re[i] == '\\' {
            i += 2;
            continue;
        }
        let boundary = i == 0 || !(re[i - 1].is_ascii_alphanumeric() || re[i - 1] == '\\');
        if boundary && re[i].is_ascii_alphabetic() {
            let mut j = i;
            while j < re.len() && re[j].is_ascii_alphanumeric() {
                j += 1;
            }
            if re.get(j) == Some(&'=') {
                let word: String = re[i..j].iter().collect();
                let known = ATTRS.iter().find(|a| {
                    if icase {
                        a.eq_ignore_ascii_case(&word)
                    } else {
                        **a == word
                    }
                });
                // `(?P=name)` is a back-reference, not an attribute.
                let backref = i >= 2 && re[i - 2] == '?' && re[i - 1] == 'P';
                if let Some(a) = known
                    && !backref
                {
                    out.push(AttrAt {
                        start: i,
                        attr: (*a).to_string(),
                    });
                }
            }
            i = j.max(i + 1);
            continue;
        }
        i += 1;
    }
    out
}

/// How the text before an attribute bounds it.
#[derive(Debug, PartialEq, Eq)]
enum Before {
    /// `^`, the separator, or a group/class of only those.
    Anchored,
    /// The other format's separator, mandatory.
    OtherFormat,
    Unanchored,
}

/// The index of the `(` that opens the group closing at `close`.
fn group_open(re: &[char], close: usize) -> Option<usize> {
    let mut depth = 0;
    let mut i = close;
    loop {
        let escaped = i > 0 && re[i - 1] == '\\';
        if !escaped {
            if re[i] == ')' {
                depth += 1;
            } else if re[i] == '(' {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
        }
        if i == 0 {
            return None;
        }
        i -= 1;
    }
}

fn before(re: &[char], at: usize, sep: char, other: char) -> Before {
    // Optional white space between the boundary and the attribute changes nothing
    // (`(?:^|,)\s*CN=`): nginx prints none.
    let mut at = at;
    loop {
        let text: String = re[..at].iter().collect();
        match ["\\s*", "\\s?", "\\s+", " *", " ?", " +"]
            .iter()
            .find(|w| text.ends_with(*w))
        {
            Some(w) => at -= w.chars().count(),
            None => break,
        }
    }
    if at == 0 {
        return Before::Unanchored;
    }
    let of = |c: char| -> Before {
        if c == sep {
            Before::Anchored
        } else if c == other {
            Before::OtherFormat
        } else {
            Before::Unanchored
        }
    };
    let last = re[at - 1];
    if at >= 2 && re[at - 2] == '\\' {
        return of(last);
    }
    let class = |s: &str| -> Before {
        if s.starts_with('^') {
            Before::Unanchored
        } else if s.contains(sep) {
            Before::Anchored
        } else if s.contains(other) {
            Before::OtherFormat
        } else {
            Before::Unanchored
        }
    };
    match last {
        '^' => Before::Anchored,
        ')' => {
            let Some(open) = group_open(re, at - 1) else {
                return Before::Unanchored;
            };
            let inner: String = re[open + 1..at - 1].iter().collect();
            let inner = inner.strip_prefix("?:").unwrap_or(&inner).to_string();
            let kinds: Vec<Before> = inner
                .split('|')
                .map(|a| {
                    let a = a.replace('\\', "");
                    let mut chars = a.chars();
                    match (chars.next(), chars.next()) {
                        (Some('^'), None) => Before::Anchored,
                        (Some(c), None) => of(c),
                        (Some('['), Some(_)) if a.ends_with(']') => class(&a[1..a.len() - 1]),
                        _ => Before::Unanchored,
                    }
                })
                .collect();
            if kinds.iter().all(|k| *k == Before::Anchored) {
                Before::Anchored
            } else if kinds.iter().all(|k| *k == Before::OtherFormat) {
                Before::OtherFormat
            } else {
                Before::Unanchored
            }
        }
        ']' => match (0..at - 1).rev().find(|&k| re[k] == '[') {
            Some(open) => class(&re[open + 1..at - 1].iter().collect::<String>()),
            None => Before::Unanchored,
        },
        c => of(c),
    }
}

/// What follows `ATTR=`: a literal value (returned) and what comes after it, or a
/// pattern (a class, `.*`).
fn check_value(
    re: &[char],
    from: usize,
    attr: &str,
    legacy: bool,
    out: &mut Vec<Problem>,
) -> Option<String> {
    let sep = if legacy { '/' } else { ',' };
    let mut i = from;
    let grouped = re.get(i) == Some(&'(');
    // Step into a group: `(?<name>`, `(?P<name>`, `(?'name'`, `(?:`, `(`.
    if grouped {
        i += 1;
        let rest: String = re[i..].iter().take(3).collect();
        let close = if rest.starts_with("?<") || rest.starts_with("?P<") {
            Some('>')
        } else if rest.starts_with("?'") {
            i += 2;
            Some('\'')
        } else {
            if rest.starts_with("?:") {
                i += 2;
            }
            None
        };
        if let Some(c) = close {
            while i < re.len() && re[i] != c {
                i += 1;
            }
            i += 1;
        }
    }
    let tail: String = re[i.min(re.len())..].iter().collect();
    if let Some(class) = tail.strip_prefix("[^") {
        let class = &class[..class.find(']').unwrap_or(class.len())];
        if !legacy && !class.contains(',') && class.contains('/') {
            out.push(Problem::Rest {
                attr: attr.to_string(),
            });
        }
        return None;
    }
    if !legacy && (tail.starts_with(".*") || tail.starts_with(".+")) {
        let after = tail[2..].trim_start_matches(')');
        if after.is_empty() || after == "$" {
            out.push(Problem::Rest {
                attr: attr.to_string(),
            });
        }
        return None;
    }
    // A literal value.
    let mut value = String::new();
    let mut k = i;
    while k < re.len() {
        let c = re[k];
        if c == '\\' {
            match re.get(k + 1) {
                Some(n) if !n.is_ascii_alphanumeric() && *n != sep => {
                    value.push(*n);
                    k += 2;
                    continue;
                }
                _ => break,
            }
        }
        if c.is_alphanumeric() || matches!(c, '-' | '_' | ' ' | '.' | '@' | ':') {
            value.push(c);
            k += 1;
            continue;
        }
        break;
    }
    if value.is_empty() {
        return None;
    }
    let mut after: String = re[k..].iter().collect::<String>().replace('\\', "");
    if grouped && let Some(a) = after.strip_prefix(')') {
        after = a.to_string();
    }
    let bounded = after.starts_with('$')
        || after.starts_with(sep)
        || [
            format!("({sep}|$)"),
            format!("(?:{sep}|$)"),
            format!("($|{sep})"),
            format!("(?:$|{sep})"),
        ]
        .iter()
        .any(|b| after.starts_with(b.as_str()));
    let open_end = matches!(after.as_str(), "" | ".*" | ".+" | ".*$" | ".+$");
    if !bounded && open_end {
        out.push(Problem::End {
            attr: attr.to_string(),
            value: value.clone(),
        });
    }
    Some(value)
}

/// The problems of one regex on a DN variable.
fn problems(regex: &str, legacy: bool, icase: bool) -> Vec<Problem> {
    let re: Vec<char> = regex.chars().collect();
    let (sep, other) = if legacy { ('/', ',') } else { (',', '/') };
    let mut out = Vec::new();
    for a in attrs_in(&re, icase) {
        let b = before(&re, a.start, sep, other);
        let eq = a.start + a.attr.len() + 1;
        if b == Before::OtherFormat {
            out.push(Problem::OldFormat {
                attr: a.attr.clone(),
            });
            continue;
        }
        let mut found = Vec::new();
        let value = check_value(&re, eq, &a.attr, legacy, &mut found);
        if b == Before::Unanchored {
            out.push(Problem::Start {
                attr: a.attr.clone(),
                value: value.clone().unwrap_or_default(),
            });
        }
        out.extend(found);
    }
    out.dedup();
    out
}

/// The regex rewritten with the problems fixed, when that is simple.
fn anchored(regex: &str, legacy: bool, problems: &[Problem]) -> Option<String> {
    let re: Vec<char> = regex.chars().collect();
    let (sep, other) = if legacy { ('/', ',') } else { (',', '/') };
    let attrs = attrs_in(&re, true);
    if attrs.len() != 1 {
        return None;
    }
    let a = &attrs[0];
    let mut prefix: String = re[..a.start].iter().collect();
    // Drop the boundary atom before the attribute and anchor at the start: nginx prints
    // the most specific attribute (CN) first.
    for atom in [
        "[/,]?", "[,/]?", ",?", "/?", "\\/", "/", ",", "[/,]", "[,/]",
    ] {
        if let Some(p) = prefix.strip_suffix(atom) {
            prefix = p.to_string();
            break;
        }
    }
    if !(prefix.is_empty() || prefix == "^") {
        return None;
    }
    let head = if legacy {
        format!("^(?:.*{sep})?")
    } else {
        "^".to_string()
    };
    let mut rest: String = re[a.start..].iter().collect();
    rest = rest.replacen(&format!("[^{other}]"), &format!("[^{sep}]"), 1);
    if problems.iter().any(|p| matches!(p, Problem::Rest { .. })) {
        rest =
            rest.replacen(".+", &format!("[^{sep}]+"), 1)
                .replacen(".*", &format!("[^{sep}]*"), 1);
    }
    if let Some(Problem::End { value, .. }) =
        problems.iter().find(|p| matches!(p, Problem::End { .. }))
    {
        let attr_eq = format!("{}=", &rest[..a.attr.len()]);
        let body = rest[attr_eq.len()..]
            .trim_end_matches(".*")
            .trim_end_matches(".+");
        if body.replace('\\', "") != *value && !body.starts_with('(') {
            return None;
        }
        rest = format!("{attr_eq}{body}({sep}|$)");
    }
    Some(format!("{head}{rest}"))
}

fn describe(p: &Problem, var: &str) -> String {
    match p {
        Problem::OldFormat { attr } => format!(
            "this regex is written for the old DN format (/{attr}=...): since nginx 1.11.6 ${var} is CN=client,O=Org,C=US (RFC 2253), so it never matches"
        ),
        Problem::Start { attr, value } if value.is_empty() => format!(
            "{attr}= is not anchored: it also finds \"{attr}=\" inside another attribute's value (O=Org,OU=x{attr}=admin gives admin)"
        ),
        Problem::Start { attr, value } => format!(
            "{attr}={value} is not anchored at the start: it also matches CN=mallory,OU=x{attr}={value}"
        ),
        Problem::End { attr, value } => format!(
            "{attr}={value} is not anchored at the end: it also matches {attr}={value}-evil"
        ),
        Problem::Rest { attr } => format!(
            "the {attr} value is taken up to a \"/\" or the end, but ${var} separates attributes with \",\": it takes the rest of the DN (client,O=Org,C=US)"
        ),
    }
}

impl Rule for Rule119 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        // (regex, its span, the variable, legacy, operator, in a map)
        let mut regexes: Vec<(String, Span, &str, bool, String, bool)> = Vec::new();
        for d in &cx.model.all {
            if d.is("if") {
                let cond = if_condition(d);
                if let [(var, _), (op, _), (re, w)] = cond.as_slice()
                    && REGEX_OPS.contains(&op.as_str())
                    && let Some((name, legacy)) = dn_var(var)
                {
                    regexes.push((re.clone(), w.span, name, legacy, op.clone(), false));
                }
            } else if d.is("map")
                && let Some(src) = d.arg(0)
                && let Some((name, legacy)) = dn_var(&src)
            {
                for e in cx.config.expanded(d.children()) {
                    let key = e.name.as_str();
                    let (re, icase) = if let Some(r) = key.strip_prefix("~*") {
                        (r.to_string(), true)
                    } else if let Some(r) = key.strip_prefix('~') {
                        (r.to_string(), false)
                    } else {
                        continue;
                    };
                    let op = if icase { "~*" } else { "~" };
                    regexes.push((re, e.name.span, name, legacy, op.to_string(), true));
                }
            }
        }
        for (re, span, var, legacy, op, in_map) in regexes {
            let icase = op.ends_with('*');
            let ps = problems(&re, legacy, icase);
            if ps.is_empty() {
                continue;
            }
            let old = ps.iter().find(|p| matches!(p, Problem::OldFormat { .. }));
            let shown: Vec<&Problem> = match old {
                Some(o) => vec![o],
                None => ps.iter().collect(),
            };
            let what: Vec<String> = shown.iter().map(|p| describe(p, var)).collect();
            let tilde = if icase { "~*" } else { "~" };
            let fixed = anchored(&re, legacy, &ps);
            let written = |f: &str| {
                if in_map {
                    format!("`{tilde}{f}`")
                } else {
                    format!("`if (${var} {op} \"{f}\")`")
                }
            };
            let mut help = String::new();
            if old.is_some() {
                let rewritten = fixed
                    .as_deref()
                    .map(|f| format!(": {}", written(f)))
                    .unwrap_or_default();
                help.push_str(&format!(
                    "rewrite it for the format nginx uses, most specific attribute first (CN=client,O=Org,C=US){rewritten}"
                ));
                if !legacy {
                    help.push_str(&format!(
                        ", or match ${var}_legacy (http only, /C=US/O=Org/CN=client) with the regex as it is"
                    ));
                }
                out.push(
                    Finding::new(
                        &INFO,
                        Location::Span(span),
                        format!("regex on ${var}: {}", what.join("; ")),
                    )
                    .label("never matches")
                    .help(help),
                );
                continue;
            } else if let Some(f) = &fixed {
                help.push_str(&format!("anchor it: {}; ", written(f)));
            } else {
                help.push_str(
                    "anchor every attribute: `^CN=admin(,|$)`, or `(?:^|,)CN=admin(,|$)` when your DNs do not start with CN; ",
                );
            }
            if in_map {
                help.push_str("nginx prints the subject as CN=client,O=Org,C=US (RFC 2253, most specific first); where your DNs do not start with CN, anchor with `(?:^|,)CN=`");
            } else {
                help.push_str("or compare exactly (`=`), or allow certificates rather than names: `map $ssl_client_fingerprint $allowed { default 0; \"<sha1>\" 1; }` (or $ssl_client_serial)");
            }
            out.push(
                Finding::new(
                    &INFO,
                    Location::Span(span),
                    format!("regex on ${var}: {}", what.join("; ")),
                )
                .label("not anchored")
                .help(help),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(re: &str) -> Vec<&'static str> {
        problems(re, false, false)
            .iter()
            .map(|p| match p {
                Problem::OldFormat { .. } => "old",
                Problem::Start { .. } => "start",
                Problem::End { .. } => "end",
                Problem::Rest { .. } => "rest",
            })
            .collect()
    }

    #[test]
    fn anchored_forms_pass() {
        for re in [
            "^CN=admin$",
            "^CN=admin(,|$)",
            "^CN=admin(?:,|$)",
            "^CN=admin,",
            "(?:^|,)CN=(?<CN>[^,]+)",
            "(^|,)CN=([^,]+)",
            "(?:^|,)\\s*CN=(?<cn>[^,]+)",
            "^CN=(?<cn>[^,]+)",
            ",O=Org(,|$)",
            "^CN=[a-z]+,O=Org,C=US$",
        ] {
            assert_eq!(kinds(re), Vec::<&str>::new(), "{re}");
        }
    }

    #[test]
    fn unanchored_forms_fail() {
        assert_eq!(kinds("CN=admin"), ["start", "end"]);
        assert_eq!(kinds("^CN=admin"), ["end"]);
        assert_eq!(kinds("CN=admin$"), ["start"]);
        assert_eq!(kinds("CN=(?<CN>[^,]+)"), ["start"]);
        assert_eq!(kinds("[/,]?CN=(?<CN>[^/,]+)"), ["start"]);
        assert_eq!(kinds("CN=(?<CN>[^/]+)"), ["start", "rest"]);
        assert_eq!(kinds("/CN=(?<CN>[^/]+)"), ["old"]);
        assert_eq!(kinds("^CN=(.*)$"), ["rest"]);
        // The legacy variable is bounded by "/".
        assert!(problems("/CN=(?<CN>[^/]+)", true, false).is_empty());
    }

    #[test]
    fn fixes() {
        let f = |re: &str| anchored(re, false, &problems(re, false, false));
        assert_eq!(f("CN=admin").as_deref(), Some("^CN=admin(,|$)"));
        assert_eq!(f("CN=(?<CN>[^/]+)").as_deref(), Some("^CN=(?<CN>[^,]+)"));
        assert_eq!(
            f("[/,]?CN=(?<CN>[^/,]+)").as_deref(),
            Some("^CN=(?<CN>[^/,]+)")
        );
    }
}
