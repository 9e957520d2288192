//! The request after the handshake: which location nginx chooses for the URI (exact
//! `=`, longest prefix, `^~`, regular expressions in order, nested locations), then
//! what decides the status: `if` on the `$ssl_client_*` variables (and `map`s of them)
//! with `return`, `return`, `deny`/`allow`, `auth_request`, `error_page`, and what the
//! backend receives. Anything that decides through something not modelled here is said
//! so (`unmodelled`), not guessed.

use std::collections::HashMap;

use serde::Serialize;

use crate::config::{Config, Directive};
use crate::model::{Model, Server};

/// What the client asks for after the handshake.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub path: String,
    pub method: String,
    /// The client's address, for `allow`/`deny`.
    pub client_addr: String,
}

impl Default for HttpRequest {
    fn default() -> HttpRequest {
        HttpRequest {
            path: "/".into(),
            method: "GET".into(),
            client_addr: "127.0.0.1".into(),
        }
    }
}

/// The `$ssl_client_*` values of the connection.
#[derive(Debug, Clone, Default)]
pub struct ClientVars {
    pub verify: String,
    pub s_dn: String,
    pub i_dn: String,
    pub serial: String,
    pub fingerprint: String,
}

impl ClientVars {
    /// The variables nginx sets for a client certificate, with `$ssl_client_verify`.
    pub fn of(chain: Option<&crate::certs::load::ClientChain>, verify: String) -> ClientVars {
        let leaf = chain.map(|c| &c.leaf);
        ClientVars {
            verify,
            s_dn: leaf.map(|l| l.info.subject.clone()).unwrap_or_default(),
            i_dn: leaf.map(|l| l.info.issuer.clone()).unwrap_or_default(),
            serial: leaf.map(|l| l.info.serial.clone()).unwrap_or_default(),
            fingerprint: leaf.map(|l| fingerprint(&l.der)).unwrap_or_default(),
        }
    }
}

/// `$ssl_client_fingerprint`: SHA-1 of the DER, lowercase hex.
pub fn fingerprint(der: &[u8]) -> String {
    use sha1::{Digest, Sha1};
    hex::encode(Sha1::digest(der))
}

/// One header (or FastCGI/uwsgi parameter) the backend receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackendHeader {
    /// `proxy_set_header`, `fastcgi_param`, ...
    pub directive: String,
    pub name: String,
    /// The value for this client (`None` when it uses a variable not modelled).
    pub value: Option<String>,
    pub at: String,
}

/// What nginx does with the request once the handshake let it through.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RequestOutcome {
    pub method: String,
    pub path: String,
    /// The location chosen (`location ^~ /api at nginx.conf:12`); `None` = none matched.
    pub location: Option<String>,
    /// The status nginx answers; `None` when a backend (or something not modelled)
    /// decides.
    pub status: Option<u16>,
    /// The directive that decided, with file:line.
    pub decided_by: Option<String>,
    /// `proxy_pass ...`, `auth_request ...`: who decides when nginx does not.
    pub backend: Option<String>,
    pub backend_headers: Vec<BackendHeader>,
    /// What the configuration does that this model does not follow.
    pub unmodelled: Vec<String>,
    /// The `map`s the decision read, with the entry that gave each value.
    pub maps: Vec<MapUse>,
}

/// One `map` lookup: `map $source $variable` gave `value` for `input`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MapUse {
    pub variable: String,
    pub source: String,
    pub input: String,
    pub value: String,
    /// The entry that matched (`default` when none did).
    pub entry: String,
    /// The other values the map can give.
    pub other_values: Vec<String>,
    /// Where the `map` block is (file:line).
    pub at: String,
}

struct Ev<'a> {
    config: &'a Config,
    model: &'a Model<'a>,
    server: &'a Server<'a>,
    req: &'a HttpRequest,
    vars: &'a ClientVars,
    host: String,
    set: HashMap<String, String>,
    out: RequestOutcome,
    maps: std::cell::RefCell<Vec<MapUse>>,
}

fn at(config: &Config, d: &Directive) -> String {
    let (line, _) = config.sources.line_col(d.span);
    format!("{}:{line}", config.sources.path(d.span.file).display())
}

fn args(d: &Directive) -> Vec<String> {
    d.args.iter().map(|a| a.as_str().into_owned()).collect()
}

/// The arguments as they would be written: quoted when they hold blanks, escapes shown.
fn shown_args(d: &Directive) -> Vec<String> {
    d.args
        .iter()
        .map(|w| {
            let a = w.as_str().into_owned();
            let quoted = w.quote != crate::config::Quote::None;
            if quoted || a.is_empty() || a.contains([' ', '\n', '\t', ';', '"']) {
                format!("{a:?}")
            } else {
                a
            }
        })
        .collect()
}

/// `if` arguments as written: `($a != "x")`.
fn shown_condition(d: &Directive) -> String {
    shown_args(d)
        .join(" ")
        .replace("( ", "(")
        .replace(" )", ")")
}

fn show(d: &Directive) -> String {
    let a = shown_args(d);
    if a.is_empty() {
        d.name.as_str().into_owned()
    } else {
        format!("{} {}", d.name.as_str(), a.join(" "))
    }
}

/// A `location` block's kind.
#[derive(Debug, Clone)]
enum Loc {
    Exact(String),
    Prefix(String, bool),
    Regex(regex::Regex),
    Named(String),
}

fn loc_kind(d: &Directive) -> Option<Loc> {
    let a = args(d);
    Some(match a.as_slice() {
        [m, p] if m == "=" => Loc::Exact(p.clone()),
        [m, p] if m == "^~" => Loc::Prefix(p.clone(), true),
        [m, p] if m == "~" => Loc::Regex(regex::Regex::new(p).ok()?),
        [m, p] if m == "~*" => Loc::Regex(regex::Regex::new(&format!("(?i){p}")).ok()?),
        [p] if p.starts_with('@') => Loc::Named(p.clone()),
        [p] if p.starts_with('=') && p.len() > 1 => Loc::Exact(p[1..].to_string()),
        [p] if p.starts_with("^~") && p.len() > 2 => Loc::Prefix(p[2..].to_string(), true),
        [p] if p.starts_with("~*") && p.len() > 2 => {
            Loc::Regex(regex::Regex::new(&format!("(?i){}", &p[2..])).ok()?)
        }
        [p] if p.starts_with('~') && p.len() > 1 => Loc::Regex(regex::Regex::new(&p[1..]).ok()?),
        [p] => Loc::Prefix(p.clone(), false),
        _ => return None,
    })
}

/// nginx's `ngx_http_core_find_location()`: exact, then the longest prefix (and its
/// nested locations), then, unless `^~`, the regular expressions in order. Returns the
/// chain of locations from the outermost.
pub fn find_location<'a>(
    config: &'a Config,
    list: &'a [Directive],
    path: &str,
) -> Vec<&'a Directive> {
    let locs: Vec<&Directive> = config
        .expanded(list)
        .into_iter()
        .filter(|d| d.is("location"))
        .collect();
    let mut best: Option<(&Directive, usize, bool)> = None;
    for d in &locs {
        match loc_kind(d) {
            Some(Loc::Exact(p)) if p == path => return vec![*d],
            Some(Loc::Prefix(p, noregex))
                if path.starts_with(&p) && best.is_none_or(|(_, l, _)| p.len() > l) =>
            {
                best = Some((*d, p.len(), noregex));
            }
            _ => {}
        }
    }
    let mut chain: Vec<&Directive> = Vec::new();
    if let Some((d, _, noregex)) = best {
        chain.push(d);
        let nested = find_location(config, d.children(), path);
        let nested_regex = nested
            .last()
            .is_some_and(|n| matches!(loc_kind(n), Some(Loc::Regex(_))));
        chain.extend(nested);
        if noregex || nested_regex {
            return chain;
        }
    }
    for d in &locs {
        if let Some(Loc::Regex(re)) = loc_kind(d)
            && re.is_match(path)
        {
            let mut v = vec![*d];
            v.extend(find_location(config, d.children(), path));
            return v;
        }
    }
    chain
}

/// The named location `@name` of a server.
fn named_location<'a>(
    config: &'a Config,
    server: &'a Directive,
    name: &str,
) -> Option<&'a Directive> {
    config
        .expanded(server.children())
        .into_iter()
        .find(|d| d.is("location") && matches!(loc_kind(d), Some(Loc::Named(n)) if n == name))
}

/// An IPv4 address or CIDR (`127.0.0.0/8`) against the client address.
fn addr_matches(spec: &str, client: &str) -> Option<bool> {
    if spec == "all" {
        return Some(true);
    }
    let parse = |s: &str| s.parse::<std::net::Ipv4Addr>().ok().map(u32::from);
    let c = parse(client)?;
    let (a, bits) = match spec.split_once('/') {
        Some((a, b)) => (parse(a)?, b.parse::<u32>().ok()?),
        None => (parse(spec)?, 32),
    };
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits.min(32))
    };
    Some(a & mask == c & mask)
}

/// Special response codes whose `return CODE` without text goes through `error_page`.
fn is_error(code: u16) -> bool {
    code >= 300 && !matches!(code, 301 | 302 | 303 | 307 | 308) || code == 444
}

enum Step {
    /// The request got a status here (code, directive, whether error_page may change it).
    Done(u16, String, bool),
    /// Go on.
    Next,
    /// Something not modelled decides.
    Unknown,
}

impl<'a> Ev<'a> {
    fn var(&self, name: &str) -> Option<String> {
        let v = self.vars;
        if let Some(s) = self.set.get(name) {
            return Some(s.clone());
        }
        Some(match name {
            "ssl_client_verify" => v.verify.clone(),
            "ssl_client_s_dn" => v.s_dn.clone(),
            "ssl_client_i_dn" => v.i_dn.clone(),
            "ssl_client_serial" => v.serial.clone(),
            "ssl_client_fingerprint" => v.fingerprint.clone(),
            "uri" | "document_uri" => self.req.path.clone(),
            "request_uri" => self.req.path.clone(),
            "request_method" => self.req.method.clone(),
            "host" | "http_host" => self.host.clone(),
            "remote_addr" => self.req.client_addr.clone(),
            "https" => "on".into(),
            "scheme" => "https".into(),
            _ => return self.map_value(name),
        })
    }

    /// A `map` whose result is `$name`.
    fn map_value(&self, name: &str) -> Option<String> {
        let target = format!("${name}");
        let m = self
            .model
            .maps
            .iter()
            .find(|m| m.arg(1).is_some_and(|a| a == target))?;
        let source_var = m.arg(0)?.into_owned();
        let source = self.expand(&source_var)?;
        let mut default = String::new();
        let mut regexes = Vec::new();
        let mut values = Vec::new();
        let mut hit: Option<(String, String)> = None;
        for e in self.config.expanded(m.children()) {
            let key = e.name.as_str().into_owned();
            let val = e.arg(0).map(|a| a.into_owned()).unwrap_or_default();
            if !matches!(key.as_str(), "hostnames" | "volatile") && !values.contains(&val) {
                values.push(val.clone());
            }
            match key.as_str() {
                "default" => default = val,
                "hostnames" | "volatile" => {}
                k if k.starts_with("~*") => {
                    regexes.push((format!("(?i){}", &k[2..]), val, key.clone()))
                }
                k if k.starts_with('~') => regexes.push((k[1..].to_string(), val, key.clone())),
                k => {
                    let k = k.strip_prefix('\\').unwrap_or(k);
                    if hit.is_none() && k == source {
                        hit = Some((val, key.clone()));
                    }
                }
            }
        }
        if hit.is_none() {
            for (re, val, key) in regexes {
                if regex::Regex::new(&re).ok()?.is_match(&source) {
                    hit = Some((val, key));
                    break;
                }
            }
        }
        let (raw, entry) = hit.unwrap_or((default, "default".into()));
        let value = self.expand(&raw)?;
        if self.maps.borrow().iter().any(|u| u.variable == target) {
            return Some(value);
        }
        self.maps.borrow_mut().push(MapUse {
            variable: target,
            source: source_var,
            input: source,
            other_values: values.into_iter().filter(|v| *v != raw).collect(),
            value: value.clone(),
            entry,
            at: at(self.config, m),
        });
        Some(value)
    }

    /// A string with `$var` / `${var}` replaced; `None` when one is not modelled.
    fn expand(&self, s: &str) -> Option<String> {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            let (name, tail) = if let Some(b) = after.strip_prefix('{') {
                let end = b.find('}')?;
                (&b[..end], &b[end + 1..])
            } else {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..end], &after[end..])
            };
            if name.is_empty() {
                out.push('$');
            } else {
                out.push_str(&self.var(name)?);
            }
            rest = tail;
        }
        out.push_str(rest);
        Some(out)
    }

    /// An `if (...)` condition; `None` when it uses something not modelled.
    fn condition(&self, d: &Directive) -> Option<bool> {
        let mut a = args(d);
        if let Some(f) = a.first_mut() {
            *f = f.trim_start_matches('(').to_string();
        }
        if let Some(l) = a.last_mut() {
            *l = l.trim_end_matches(')').to_string();
        }
        a.retain(|x| !x.is_empty());
        match a.as_slice() {
            [v] => {
                let x = self.expand(v)?;
                Some(!x.is_empty() && x != "0")
            }
            [v, op, rhs] => {
                let x = self.expand(v)?;
                match op.as_str() {
                    "=" => Some(x == self.expand(rhs)?),
                    "!=" => Some(x != self.expand(rhs)?),
                    "~" | "!~" | "~*" | "!~*" => {
                        let re = if op.contains('*') {
                            format!("(?i){rhs}")
                        } else {
                            rhs.clone()
                        };
                        let m = regex::Regex::new(&re).ok()?.is_match(&x);
                        Some(if op.starts_with('!') { !m } else { m })
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The rewrite phase of one block: `if`, `return`, `set`, `break`.
    fn rewrite(&mut self, list: &'a [Directive]) -> Step {
        for d in self.config.expanded(list) {
            if d.is("return") {
                let a = args(d);
                let (code, text) = match a.as_slice() {
                    [c, rest @ ..] if c.parse::<u16>().is_ok() => {
                        (c.parse::<u16>().unwrap_or(0), !rest.is_empty())
                    }
                    [_url] => (302, true),
                    _ => return Step::Unknown,
                };
                return Step::Done(
                    code,
                    format!("`{}` at {}", show(d), at(self.config, d)),
                    !text,
                );
            } else if d.is("if") {
                match self.condition(d) {
                    Some(true) => {
                        let where_ =
                            format!("`if {}` at {}", shown_condition(d), at(self.config, d));
                        match self.rewrite(d.children()) {
                            Step::Done(c, by, ep) => {
                                return Step::Done(c, format!("{by}, inside {where_}"), ep);
                            }
                            Step::Unknown => return Step::Unknown,
                            Step::Next => {}
                        }
                    }
                    Some(false) => {}
                    None => {
                        self.out.unmodelled.push(format!(
                            "`if {}` at {} tests something this model does not know; what it decides is not predicted",
                            args(d).join(" "),
                            at(self.config, d)
                        ));
                        if d.children().iter().any(|c| c.is("return")) {
                            return Step::Unknown;
                        }
                    }
                }
            } else if d.is("set") {
                if let (Some(n), Some(v)) = (d.arg(0), d.arg(1)) {
                    let n = n.trim_start_matches('$').to_string();
                    match self.expand(&v) {
                        Some(x) => {
                            self.set.insert(n, x);
                        }
                        None => {
                            self.set.remove(&n);
                        }
                    }
                }
            } else if d.is("break") {
                return Step::Next;
            } else if d.is("rewrite") {
                self.out.unmodelled.push(format!(
                    "`{}` at {} may change the URI; the location is chosen for the original one",
                    show(d),
                    at(self.config, d)
                ));
            }
        }
        Step::Next
    }

    /// A directive in effect in the location chain (innermost first), else the server,
    /// else http (array directives are inherited only by a level that has none).
    fn inherited(&self, chain: &[&'a Directive], names: &[&str]) -> Vec<&'a Directive> {
        for l in chain.iter().rev() {
            let own: Vec<&Directive> = self
                .config
                .expanded(l.children())
                .into_iter()
                .filter(|d| names.iter().any(|n| d.is(n)))
                .collect();
            if !own.is_empty() {
                return own;
            }
        }
        let own: Vec<&Directive> = self
            .config
            .expanded(self.server.block.children())
            .into_iter()
            .filter(|d| names.iter().any(|n| d.is(n)))
            .collect();
        if !own.is_empty() {
            return own;
        }
        self.model
            .http_level
            .iter()
            .copied()
            .filter(|d| names.iter().any(|n| d.is(n)))
            .collect()
    }

    /// `error_page` for `code` in effect at the location chain.
    fn error_page(
        &mut self,
        chain: &[&'a Directive],
        code: u16,
        depth: u8,
    ) -> Option<(u16, String)> {
        let pages = self.inherited(chain, &["error_page"]);
        for d in pages {
            let a = args(d);
            if !a.iter().any(|x| x == &code.to_string()) {
                continue;
            }
            let target = a.last()?.clone();
            let overwrite = a
                .iter()
                .find(|x| x.starts_with('='))
                .map(|o| o[1..].to_string());
            let by = format!("`{}` at {}", show(d), at(self.config, d));
            if target.starts_with("http://") || target.starts_with("https://") {
                let s = overwrite.and_then(|o| o.parse().ok()).unwrap_or(302);
                return Some((s, format!("{by} (redirect)")));
            }
            // The target's own outcome.
            let target_status = if depth > 0 {
                None
            } else if let Some(name) = target.strip_prefix('@') {
                let _ = name;
                named_location(self.config, self.server.block, &target)
                    .and_then(|l| self.location_status(&[l], depth + 1).map(|x| x.0))
            } else {
                let path = target.split('?').next().unwrap_or("").to_string();
                let c = find_location(self.config, self.server.block.children(), &path);
                self.location_status(&c, depth + 1).map(|x| x.0)
            };
            return Some(match overwrite.as_deref() {
                None => (code, format!("{by} serves {target} with the status {code}")),
                Some("") => {
                    let s = target_status.unwrap_or(200);
                    (s, format!("{by} answers with {target}'s own status ({s})"))
                }
                Some(c) => {
                    let s = c.parse().unwrap_or(code);
                    (s, format!("{by} answers {s} with {target}"))
                }
            });
        }
        None
    }

    /// The status a location chain gives (rewrite, access, content), with the deciding
    /// directive; `None` when a backend or something unmodelled decides.
    fn location_status(&mut self, chain: &[&'a Directive], depth: u8) -> Option<(u16, String)> {
        let Some(inner) = chain.last() else {
            return self.static_file(chain);
        };
        match self.rewrite(inner.children()) {
            Step::Done(code, by, ep) => {
                if ep
                    && is_error(code)
                    && let Some(x) = self.error_page(chain, code, depth)
                {
                    return Some((x.0, format!("{by}, then {}", x.1)));
                }
                return Some((code, by));
            }
            Step::Unknown => return None,
            Step::Next => {}
        }
        // Access phase.
        for d in self.inherited(chain, &["allow", "deny"]) {
            let spec = d.arg(0).map(|a| a.into_owned()).unwrap_or_default();
            match addr_matches(&spec, &self.req.client_addr) {
                Some(true) if d.is("deny") => {
                    let by = format!("`{}` at {}", show(d), at(self.config, d));
                    if let Some(x) = self.error_page(chain, 403, depth) {
                        return Some((x.0, format!("{by}, then {}", x.1)));
                    }
                    return Some((403, by));
                }
                Some(true) => break,
                Some(false) => {}
                None => {
                    self.out.unmodelled.push(format!(
                        "`{}` at {}: address not modelled",
                        show(d),
                        at(self.config, d)
                    ));
                    return None;
                }
            }
        }
        if let Some(d) = self.inherited(chain, &["auth_request"]).into_iter().next()
            && d.arg(0).is_some_and(|a| a != "off")
        {
            self.out.backend = Some(format!(
                "`{}` at {}: the auth backend decides (2xx lets the request on, 401 or 403 is returned to the client)",
                show(d),
                at(self.config, d)
            ));
            return None;
        }
        // Content.
        let content = [
            "proxy_pass",
            "fastcgi_pass",
            "uwsgi_pass",
            "scgi_pass",
            "grpc_pass",
            "memcached_pass",
        ];
        for d in self.config.expanded(inner.children()) {
            if content.iter().any(|c| d.is(c)) {
                self.out.backend = Some(format!(
                    "`{}` at {}: the backend decides the status",
                    show(d),
                    at(self.config, d)
                ));
                return None;
            }
            if d.is("try_files") || d.is("js_content") || d.name.as_str().contains("by_lua") {
                self.out.unmodelled.push(format!(
                    "`{}` at {} decides the response; not modelled",
                    show(d),
                    at(self.config, d)
                ));
                return None;
            }
        }
        self.static_file(chain)
    }

    /// A static file under `root`.
    fn static_file(&mut self, chain: &[&'a Directive]) -> Option<(u16, String)> {
        let root = self.inherited(chain, &["root", "alias"]).into_iter().next();
        if root.is_some_and(|r| r.is("alias")) {
            self.out
                .unmodelled
                .push("the location serves files through `alias`; not modelled".into());
            return None;
        }
        let (dir, by) = match root {
            Some(r) => (
                self.config
                    .resolve_path(&r.arg(0).map(|a| a.into_owned()).unwrap_or_default()),
                format!("`{}` at {}", show(r), at(self.config, r)),
            ),
            None => (
                self.config.resolve_path("html"),
                "the default root html".to_string(),
            ),
        };
        let p = dir.join(self.req.path.trim_start_matches('/'));
        let code = if p.is_file() || (p.is_dir() && p.join("index.html").is_file()) {
            200
        } else if p.is_dir() {
            403
        } else {
            // Not on this machine: it may be where nginx runs.
            self.out.backend = Some(format!(
                "static file {} ({by}), not found here: 200 if it exists where nginx runs, else 404",
                p.display()
            ));
            return None;
        };
        let by = format!("static file {} ({by})", p.display());
        if code != 200
            && let Some(x) = self.error_page(chain, code, 0)
        {
            return Some((x.0, format!("{by}, then {}", x.1)));
        }
        Some((code, by))
    }
}

/// The request after a handshake that let it through.
pub fn evaluate(
    model: &Model<'_>,
    server: &Server<'_>,
    req: &HttpRequest,
    vars: &ClientVars,
    host: &str,
) -> RequestOutcome {
    let config = model.config;
    let mut ev = Ev {
        config,
        model,
        server,
        req,
        vars,
        host: host.to_string(),
        set: HashMap::new(),
        maps: Default::default(),
        out: RequestOutcome {
            method: req.method.clone(),
            path: req.path.clone(),
            ..RequestOutcome::default()
        },
    };
    // Server-level rewrite directives run before the location is chosen.
    let (status, by) = match ev.rewrite(server.block.children()) {
        Step::Done(code, by, ep) => {
            let mut r = (Some(code), Some(by.clone()));
            if ep && is_error(code) {
                let chain = find_location(config, server.block.children(), &req.path);
                ev.out.location = chain
                    .last()
                    .map(|l| format!("`{}` at {}", show(l), at(config, l)));
                if let Some((s, b)) = ev.error_page(&[], code, 0) {
                    r = (Some(s), Some(format!("{by}, then {b}")));
                }
            }
            r
        }
        Step::Unknown => (None, None),
        Step::Next => {
            let chain = find_location(config, server.block.children(), &req.path);
            ev.out.location = chain
                .last()
                .map(|l| format!("`{}` at {}", show(l), at(config, l)));
            if chain.is_empty() {
                ev.out.location = None;
            }
            ev.backend_headers(&chain);
            match ev.location_status(&chain, 0) {
                Some((s, b)) => (Some(s), Some(b)),
                None => (None, None),
            }
        }
    };
    ev.out.status = status;
    ev.out.decided_by = by;
    ev.out.maps = ev.maps.take();
    ev.out
}

impl<'a> Ev<'a> {
    fn backend_headers(&mut self, chain: &[&'a Directive]) {
        let names = [
            "proxy_set_header",
            "fastcgi_param",
            "uwsgi_param",
            "scgi_param",
            "grpc_set_header",
        ];
        for n in names {
            for d in self.inherited(chain, &[n]) {
                let (Some(name), Some(value)) = (d.arg(0), d.arg(1)) else {
                    continue;
                };
                if !value.contains("$ssl_client") && !value.contains("${ssl_client") {
                    continue;
                }
                self.out.backend_headers.push(BackendHeader {
                    directive: n.to_string(),
                    name: name.into_owned(),
                    value: self.expand(&value),
                    at: at(self.config, d),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Input, LoadOptions, load};

    fn run(conf: &str, path: &str, verify: &str) -> RequestOutcome {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("nginx.conf");
        std::fs::write(&p, conf).unwrap();
        let c = load(&Input::File(p), &LoadOptions::default());
        let m = Model::build(&c);
        let vars = ClientVars {
            verify: verify.into(),
            s_dn: "CN=alice,O=Acme".into(),
            ..ClientVars::default()
        };
        let req = HttpRequest {
            path: path.into(),
            ..HttpRequest::default()
        };
        evaluate(&m, &m.servers[0], &req, &vars, "a.test")
    }

    #[test]
    fn location_choice_follows_nginx() {
        let conf = "http { server { listen 443 ssl;\n location / { return 200; }\n location = /x { return 201; }\n location ^~ /img { return 202; }\n location ~ \\.png$ { return 203; }\n location /api { return 204; location ~ /api/v2 { return 205; } }\n } }\n";
        assert_eq!(run(conf, "/x", "NONE").status, Some(201));
        assert_eq!(run(conf, "/img/a.png", "NONE").status, Some(202));
        assert_eq!(run(conf, "/b/a.png", "NONE").status, Some(203));
        assert_eq!(run(conf, "/api/v1", "NONE").status, Some(204));
        assert_eq!(run(conf, "/api/v2/a", "NONE").status, Some(205));
        assert_eq!(run(conf, "/z", "NONE").status, Some(200));
    }

    #[test]
    fn if_and_map_on_client_variables() {
        let conf = "http { map $ssl_client_s_dn $ok { default 0; ~CN=alice 1; }\n server { listen 443 ssl;\n if ($ssl_client_verify != SUCCESS) { return 403; }\n location / { if ($ok = 0) { return 401; } return 200; } } }\n";
        assert_eq!(run(conf, "/", "NONE").status, Some(403));
        assert_eq!(run(conf, "/", "SUCCESS").status, Some(200));
        let o = run(conf, "/", "NONE");
        assert!(o.decided_by.unwrap().contains("return 403"));
    }

    #[test]
    fn addresses() {
        assert_eq!(addr_matches("127.0.0.0/8", "127.0.0.1"), Some(true));
        assert_eq!(addr_matches("10.0.0.0/8", "127.0.0.1"), Some(false));
        assert_eq!(addr_matches("all", "127.0.0.1"), Some(true));
    }
}
