//! # MTLS011 unknown-variable
//!
//! ## What it does
//! Reports a `$ssl_*` variable that nginx does not have in the version checked
//! (`--nginx-version`, default the newest) and that nothing in the configuration
//! defines: an invention such as `$ssl_client_s_dn_cn` or `$ssl_client_cn`, a typo
//! (`$ssl_client_sdn`), a variable of a newer release (`$ssl_curve` before 1.21.5), or
//! a stream variable in `http` (`$ssl_preread_server_name`).
//!
//! A variable counts where nginx compiles it: in any argument with `$ssl_...` or
//! `${ssl_...}` (`if` conditions, `map` sources and values, `log_format`,
//! `proxy_set_header`, `add_header`, `return`, `set`...), not in regular expressions
//! (`location ~`, the pattern of `rewrite` and of `if (... ~ ...)`). A variable the
//! configuration defines is known: `map ... $ssl_client_cn`, `set`, `geo`,
//! `split_clients`, named regex captures `(?<ssl_x>...)`, `auth_request_set`,
//! `js_set`, `perl_set`, `set_by_lua*`.
//!
//! ## Why is this bad?
//! nginx refuses to start or reload: `nginx -t` fails with `unknown
//! "ssl_client_s_dn_cn" variable`, and names no file or line (the check runs after the
//! whole configuration is read), which is why this rule points at the use. nginx looks
//! variables up case-insensitively and reports the name in lower case. This happens
//! even when the directive is never used (an unused `map` or `log_format`).
//!
//! nginx has no variable for one attribute of the subject: `$ssl_client_s_dn` is the
//! whole DN (`CN=client,O=Org,C=US`, RFC 2253 order since 1.11.6); a `map` extracts
//! the CN. When the configuration is a site file whose `http {}` was not read, or an
//! include could not be read, the missing definition may be there: the finding then
//! does not say that nginx -t fails.
//!
//! The facts come from the variable arrays of `ngx_http_ssl_module`,
//! `ngx_stream_ssl_module` and `ngx_stream_ssl_preread_module` of every release since
//! 1.18.0 (`tools/gen-variables.py`).
//!
//! ## Example
//! ```nginx
//! proxy_set_header X-Client-CN $ssl_client_s_dn_cn;
//! ```
//!
//! ## Use instead
//! ```nginx
//! map $ssl_client_s_dn $ssl_client_s_dn_cn {    # in http {}
//!     default "";
//!     ~(?:^|,)CN=(?<dn_cn>[^,]+) $dn_cn;
//! }
//! proxy_set_header X-Client-CN $ssl_client_s_dn_cn;
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#variables>
//! - <https://nginx.org/en/docs/stream/ngx_stream_ssl_module.html#variables>
//! - <https://nginx.org/en/docs/stream/ngx_stream_ssl_preread_module.html#variables>
//! - <https://nginx.org/en/docs/http/ngx_http_map_module.html#map>

use std::collections::{BTreeMap, HashSet};

use super::rule::{Context, Finding, Location, Rule, RuleInfo};
use crate::config::directives::{Handler, Slot, Version, lookup_all};
use crate::config::variables::{
    Namespace, distance, references, ssl_names, ssl_variable, ssl_variable_runs, value_span,
};
use crate::config::{Config, Directive, LoadErrorKind, Quote, Word};

pub struct Rule011;

crate::rule_info!(
    "MTLS011",
    "unknown-variable",
    Error,
    "mtls011_unknown_variable.rs"
);

/// Where a variable is defined and used: the outermost block, `http` or `stream`.
fn namespace_of(outermost: Option<&str>) -> Option<Namespace> {
    match outermost {
        Some("http") => Some(Namespace::Http),
        Some("stream") => Some(Namespace::Stream),
        _ => None,
    }
}

/// The `if` condition's words without the parentheses, each with its word.
pub fn if_condition(d: &Directive) -> Vec<(String, &Word)> {
    let mut out: Vec<(String, &Word)> = d
        .args
        .iter()
        .map(|w| (w.as_str().into_owned(), w))
        .collect();
    if let Some(first) = out.first_mut()
        && first.1.quote == Quote::None
        && let Some(rest) = first.0.strip_prefix('(')
    {
        first.0 = rest.trim_start().to_string();
    }
    if let Some(last) = out.last_mut()
        && last.1.quote == Quote::None
        && let Some(rest) = last.0.strip_suffix(')')
    {
        last.0 = rest.trim_end().to_string();
    }
    out.retain(|(s, w)| !(s.is_empty() && w.quote == Quote::None));
    out
}

/// The regular-expression operators of `if`.
pub const REGEX_OPS: [&str; 4] = ["~", "~*", "!~", "!~*"];

/// Directives whose first argument names the variable they define.
fn defines_first(name: &str) -> bool {
    matches!(
        name,
        "set" | "auth_request_set" | "js_set" | "js_var" | "perl_set"
    ) || name.starts_with("set_")
}

/// Directives of string slots that nginx compiles as scripts when they hold a `$`.
const COMPILED_STRINGS: [&str; 9] = [
    "ssl_certificate",
    "ssl_certificate_key",
    "proxy_ssl_certificate",
    "proxy_ssl_certificate_key",
    "grpc_ssl_certificate",
    "grpc_ssl_certificate_key",
    "uwsgi_ssl_certificate",
    "uwsgi_ssl_certificate_key",
    "proxy_set_body",
];

/// Directives none of whose arguments nginx compiles as a script: names, addresses,
/// regular expressions, code, and every directive of a generic slot that stores a
/// literal (flag, number, size, time, enum, plain string...). A `${X}` there is a
/// template placeholder that nginx takes literally (and refuses for other reasons).
fn never_compiled(name: &str, version: Version) -> bool {
    if matches!(
        name,
        "location"
            | "listen"
            | "server_name"
            | "server"
            | "resolver"
            | "error_log"
            | "include"
            | "load_module"
            | "env"
            | "allow"
            | "deny"
            | "perl"
            | "perl_modules"
            | "perl_require"
            | "js_import"
            | "js_include"
            | "js_path"
    ) || name.ends_with("_by_lua")
        || name.ends_with("_by_lua_block")
        || name.starts_with("lua_")
    {
        return true;
    }
    if COMPILED_STRINGS.contains(&name) {
        return false;
    }
    let mut defs = lookup_all(name, version.clamp_to_table()).peekable();
    defs.peek().is_some()
        && defs.all(|d| match d.handler {
            Handler::Slot(s) | Handler::Wraps(s, _) => s != Slot::KeyVal,
            Handler::Custom(_) => false,
        })
}

/// Names captured by `(?<name>...)`, `(?P<name>...)` or `(?'name'...)` in a text.
fn named_captures(s: &str, out: &mut HashSet<String>) {
    // Most words have no group at all: one search for `(?` instead of three.
    let b = s.as_bytes();
    if !memchr::memchr_iter(b'(', b).any(|i| b.get(i + 1) == Some(&b'?')) {
        return;
    }
    for start in ["(?<", "(?P<", "(?'"] {
        let mut rest = s;
        while let Some(i) = rest.find(start) {
            rest = &rest[i + start.len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // `(?<=` and `(?<!` are look-behinds, not names.
            if !name.is_empty() {
                out.insert(name.to_ascii_lowercase());
            }
        }
    }
}

/// One use of a variable: the word, and the byte range of the reference in its value.
type Use<'a> = (&'a Word, usize, usize);

/// What the configuration defines and uses.
#[derive(Default)]
struct Scan<'a> {
    defined: BTreeMap<Namespace, HashSet<String>>,
    /// (namespace, name) -> uses: the word and the byte range of the reference in it.
    uses: BTreeMap<(Namespace, String), Vec<Use<'a>>>,
}

fn var_name(w: &Word) -> Option<String> {
    references(&w.value).first().map(|r| r.name.clone())
}

fn scan(config: &Config, version: Version) -> Scan<'_> {
    let mut s = Scan::default();
    config.walk(&mut |v| {
        // The outermost block (the namespace), without collecting every name above.
        let outermost = match v.context.first() {
            Some(c) => Some(c.as_str().into()),
            None => v.parents.first().map(|p| p.name.as_str()),
        };
        let Some(ns) = namespace_of(outermost.as_deref()) else {
            return;
        };
        let d = v.directive;
        let name = d.name.as_str().to_ascii_lowercase();
        let parent = v
            .parents
            .last()
            .map(|p| p.name.as_str().to_ascii_lowercase());
        let defined = s.defined.entry(ns).or_default();
        // Definitions.
        named_captures(&d.name.as_str(), defined);
        for a in d.args.iter() {
            named_captures(&a.as_str(), defined);
        }
        if d.name.value.first() == Some(&b'$')
            && let Some(n) = var_name(&d.name)
        {
            // geoip2 { $var ...; } and similar blocks of third-party modules.
            defined.insert(n);
        }
        let mut skip: Vec<usize> = Vec::new();
        if parent.as_deref() == Some("map") {
            // `key value;`: the key is no directive, the value is compiled.
        } else if d.block.is_some() && (name == "map" || name == "split_clients") {
            if let Some(n) = d.args.get(1).and_then(var_name) {
                defined.insert(n);
            }
            skip.push(1);
        } else if d.block.is_some() && name == "geo" {
            if let Some(last) = d.args.len().checked_sub(1) {
                if let Some(n) = var_name(&d.args[last]) {
                    defined.insert(n);
                }
                skip.push(last);
            }
        } else if defines_first(&name) {
            if let Some(n) = d.args.first().and_then(var_name) {
                defined.insert(n);
            }
            skip.push(0);
            if name == "perl_set" {
                skip.push(1);
            }
        }
        // Uses.
        let in_map = parent.as_deref() == Some("map");
        // A "directive" such as `<%=` or `{{` is a template's, not nginx's.
        let identifier = name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !d.args.iter().any(|a| {
                a.value
                    .windows(2)
                    .any(|w| matches!(w, b"<%" | b"%>" | b"{{" | b"}}" | b"{%" | b"%}"))
            });
        if (!in_map && (!identifier || never_compiled(&name, version)))
            || matches!(parent.as_deref(), Some("geo") | Some("split_clients"))
        {
            return;
        }
        if !in_map && (name == "rewrite" || name == "log_format") {
            skip.push(0);
        }
        let mut regex_next = false;
        let is_if = !in_map && name == "if";
        let cond = if is_if { if_condition(d) } else { Vec::new() };
        for (i, w) in d.args.iter().enumerate() {
            if is_if {
                let text = cond
                    .iter()
                    .find(|(_, cw)| std::ptr::eq(*cw, w))
                    .map(|(t, _)| t.as_str());
                let is_regex = regex_next;
                regex_next = text.is_some_and(|t| REGEX_OPS.contains(&t));
                if is_regex {
                    continue;
                }
            }
            if skip.contains(&i) || w.quote == Quote::Raw || w.value.first() == Some(&b'~') {
                continue;
            }
            for r in references(&w.value) {
                if r.name.starts_with("ssl_") {
                    s.uses
                        .entry((ns, r.name))
                        .or_default()
                        .push((w, r.start, r.end));
                }
            }
        }
    });
    s
}

/// The DN attribute an invented name asks for: `ssl_client_s_dn_cn` -> (`s_dn`, `CN`).
fn dn_attribute(name: &str) -> Option<(&'static str, String)> {
    let rest = name.strip_prefix("ssl_client_")?;
    let (source, attr) = if let Some(a) = rest
        .strip_prefix("s_dn_")
        .or_else(|| rest.strip_prefix("subject_"))
        .or_else(|| rest.strip_prefix("s_"))
    {
        ("ssl_client_s_dn", a)
    } else if let Some(a) = rest
        .strip_prefix("i_dn_")
        .or_else(|| rest.strip_prefix("issuer_"))
        .or_else(|| rest.strip_prefix("i_"))
    {
        ("ssl_client_i_dn", a)
    } else {
        ("ssl_client_s_dn", rest)
    };
    let attr = match attr {
        "cn" | "common_name" => "CN",
        "o" | "org" | "organization" => "O",
        "ou" | "organizational_unit" => "OU",
        "c" | "country" => "C",
        "l" | "locality" => "L",
        "st" | "state" => "ST",
        "dc" => "DC",
        "uid" => "UID",
        "email" | "emailaddress" | "email_address" => "emailAddress",
        _ => return None,
    };
    Some((source, attr.to_string()))
}

fn help(ns: Namespace, name: &str, v: Version) -> String {
    let runs: Vec<_> = ssl_variable_runs(ns, name).collect();
    if let Some(r) = runs.iter().find(|r| r.first > v) {
        return format!(
            "${name} exists from nginx {} on ({}); this configuration is checked as nginx {v} (--nginx-version): upgrade, or do without it",
            r.first, r.module
        );
    }
    if let Some(r) = runs.iter().rev().find(|r| r.last < v) {
        return format!(
            "${name} was removed after nginx {} ({}); this configuration is checked as nginx {v} (--nginx-version)",
            r.last, r.module
        );
    }
    let other = match ns {
        Namespace::Http => Namespace::Stream,
        Namespace::Stream => Namespace::Http,
    };
    if let Some(r) = ssl_variable(other, name, v) {
        return format!(
            "${name} is a variable of {} {{}} ({}), not of {} {{}}",
            other.block(),
            r.module,
            ns.block()
        );
    }
    if let Some((source, attr)) = dn_attribute(name) {
        let cap = format!("dn_{}", attr.to_ascii_lowercase());
        return format!(
            "nginx has no variable for one attribute of the DN: ${source} is the whole DN (`CN=client,O=Org,C=US`); extract {attr} with a map in {} {{}}: `map ${source} ${name} {{ default \"\"; ~(?:^|,){attr}=(?<{cap}>[^,]+) ${cap}; }}`",
            ns.block()
        );
    }
    // `$ssl_verify`, `$ssl_serial`: the client's is meant.
    let client = name
        .strip_prefix("ssl_")
        .map(|rest| format!("ssl_client_{rest}"))
        .filter(|c| ssl_variable(ns, c, v).is_some());
    let near = client.as_deref().map(|c| (0, c)).or_else(|| {
        ssl_names(ns, v)
            .map(|n| (distance(name, n), n))
            .filter(|(d, _)| *d <= 2)
            .min()
    });
    match near {
        Some((_, n)) => format!("did you mean ${n}?"),
        None => format!(
            "the $ssl_ variables of nginx {v} in {} {{}} are: {}",
            ns.block(),
            ssl_names(ns, v)
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

impl Rule for Rule011 {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let v = Version::from(cx.options.nginx_version);
        let s = scan(cx.config, v);
        // Definitions may be in what was not read: the http {} above a site file, or an
        // include that could not be read.
        let unseen = cx.config.roots.iter().any(|r| !r.context.is_empty())
            || cx
                .config
                .errors
                .iter()
                .any(|e| e.kind != LoadErrorKind::Cycle);
        for ((ns, name), uses) in &s.uses {
            if ssl_variable(*ns, name, v).is_some()
                || s.defined.get(ns).is_some_and(|d| d.contains(name))
            {
                continue;
            }
            let nginx = format!("unknown \"{name}\" variable");
            let (w, start, end) = uses[0];
            let message = if unseen {
                format!(
                    "${name} is not a variable of nginx {v}, and nothing in the files read defines it: unless the configuration this is included from does (map, set, geo), nginx -t fails with \"{nginx}\""
                )
            } else {
                format!(
                    "${name} is not a variable of nginx {v}, and nothing in the configuration defines it: nginx -t fails with \"{nginx}\" (naming no file or line)"
                )
            };
            let mut f = Finding::new(
                &INFO,
                Location::Span(value_span(cx.config, w, start, end)),
                message,
            )
            .label("unknown variable")
            .help({
                let mut h = help(*ns, name, v);
                // `${SSL_PORT}`: an envsubst placeholder nginx reads as a variable.
                let written = String::from_utf8_lossy(&w.value[start..end]).into_owned();
                if written.bytes().any(|b| b.is_ascii_uppercase())
                    && !written.bytes().any(|b| b.is_ascii_lowercase())
                {
                    h = format!(
                        "{written} looks like a template placeholder: nginx reads it as the variable ${name}; render the template before nginx reads it. Otherwise: {h}"
                    );
                }
                h
            });
            if !unseen {
                f = f.refused(nginx);
            }
            for (w, start, end) in uses.iter().skip(1).take(3) {
                f = f.related(
                    Location::Span(value_span(cx.config, w, *start, *end)),
                    "also used here",
                );
            }
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invented_dn_attributes() {
        assert_eq!(
            dn_attribute("ssl_client_s_dn_cn"),
            Some(("ssl_client_s_dn", "CN".into()))
        );
        assert_eq!(
            dn_attribute("ssl_client_i_dn_o"),
            Some(("ssl_client_i_dn", "O".into()))
        );
        assert_eq!(
            dn_attribute("ssl_client_cn"),
            Some(("ssl_client_s_dn", "CN".into()))
        );
        assert_eq!(dn_attribute("ssl_client_verfy"), None);
    }

    #[test]
    fn help_by_kind() {
        let v = Version(1, 22, 1);
        assert!(
            help(Namespace::Http, "ssl_curve", Version(1, 20, 0)).contains("from nginx 1.21.5")
        );
        assert!(help(Namespace::Http, "ssl_preread_server_name", v).contains("stream {}"));
        assert!(help(Namespace::Http, "ssl_client_verfy", v).contains("$ssl_client_verify?"));
        assert!(help(Namespace::Http, "ssl_client_s_dn_cn", v).contains("map $ssl_client_s_dn"));
    }

    #[test]
    fn captures_define_names() {
        let mut d = HashSet::new();
        named_captures("~^(?<ssl_a>x)(?P<B>y)(?'c'z)(?<=w)", &mut d);
        let mut v: Vec<_> = d.into_iter().collect();
        v.sort();
        assert_eq!(v, ["b", "c", "ssl_a"]);
    }
}
