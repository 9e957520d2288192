//! nginx as the client of its backends: every `proxy_pass`, `grpc_pass` and
//! `uwsgi_pass` (and stream `proxy_pass`) with the upstream-TLS settings in effect
//! where it stands.
//!
//! Measured with nginx 1.22 (`nginx -t`): the `<module>_ssl_*` directives are allowed
//! in `http`, `server` and `location` (not in `if`); each is inherited on its own, the
//! innermost wins. nginx loads the certificate and key only where a pass uses TLS
//! (`https://`, `grpcs://`, `suwsgi://`, stream `proxy_ssl on`) or has variables
//! (the scheme is known only at run time), and the trusted CA file and the CRL only
//! where `<module>_ssl_verify on` is in effect too. A pass inside `if` in a location
//! takes the location's settings.

use std::collections::BTreeMap;

use crate::config::{Directive, Visit};

use super::{Protocol, Setting};

/// Which module talks to the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Module {
    /// `proxy_pass` in `http`.
    Proxy,
    /// `grpc_pass`.
    Grpc,
    /// `uwsgi_pass`.
    Uwsgi,
    /// `proxy_pass` in `stream`.
    Stream,
}

impl Module {
    /// The directive that names the backend.
    pub fn pass(self) -> &'static str {
        match self {
            Module::Proxy | Module::Stream => "proxy_pass",
            Module::Grpc => "grpc_pass",
            Module::Uwsgi => "uwsgi_pass",
        }
    }

    /// The prefix of the module's upstream-TLS directives.
    pub fn prefix(self) -> &'static str {
        match self {
            Module::Proxy | Module::Stream => "proxy_ssl",
            Module::Grpc => "grpc_ssl",
            Module::Uwsgi => "uwsgi_ssl",
        }
    }

    /// The URL scheme that makes the connection TLS.
    pub fn tls_scheme(self) -> Option<&'static str> {
        match self {
            Module::Proxy => Some("https://"),
            Module::Grpc => Some("grpcs://"),
            Module::Uwsgi => Some("suwsgi://"),
            Module::Stream => None,
        }
    }

    /// `proxy_ssl_certificate` and the like: the module's directive `name` (after the
    /// prefix's `_`).
    pub fn directive(self, name: &str) -> String {
        format!("{}_{name}", self.prefix())
    }
}

/// The upstream-TLS settings in effect at one pass.
#[derive(Debug, Clone, Default)]
pub struct UpstreamSsl<'a> {
    pub certificate: Option<Setting<'a>>,
    pub certificate_key: Option<Setting<'a>>,
    pub trusted_certificate: Option<Setting<'a>>,
    pub verify: Option<Setting<'a>>,
    pub verify_depth: Option<Setting<'a>>,
    pub crl: Option<Setting<'a>>,
    pub name: Option<Setting<'a>>,
    pub server_name: Option<Setting<'a>>,
    pub password_file: Option<Setting<'a>>,
    pub session_reuse: Option<Setting<'a>>,
    /// `proxy_ssl on` (stream only).
    pub ssl_on: Option<Setting<'a>>,
}

/// The names after the prefix, in `UpstreamSsl`'s order.
pub const SUFFIXES: [&str; 10] = [
    "certificate",
    "certificate_key",
    "trusted_certificate",
    "verify",
    "verify_depth",
    "crl",
    "name",
    "server_name",
    "password_file",
    "session_reuse",
];

impl<'a> UpstreamSsl<'a> {
    fn slot(&mut self, suffix: &str) -> Option<&mut Option<Setting<'a>>> {
        Some(match suffix {
            "certificate" => &mut self.certificate,
            "certificate_key" => &mut self.certificate_key,
            "trusted_certificate" => &mut self.trusted_certificate,
            "verify" => &mut self.verify,
            "verify_depth" => &mut self.verify_depth,
            "crl" => &mut self.crl,
            "name" => &mut self.name,
            "server_name" => &mut self.server_name,
            "password_file" => &mut self.password_file,
            "session_reuse" => &mut self.session_reuse,
            _ => return None,
        })
    }

    /// Every setting in effect, for messages and the file reader.
    pub fn all(&self) -> impl Iterator<Item = Setting<'a>> + '_ {
        [
            self.certificate,
            self.certificate_key,
            self.trusted_certificate,
            self.verify,
            self.verify_depth,
            self.crl,
            self.name,
            self.server_name,
            self.password_file,
            self.session_reuse,
            self.ssl_on,
        ]
        .into_iter()
        .flatten()
    }
}

fn on(s: Option<Setting<'_>>) -> bool {
    s.is_some_and(|s| s.value().eq_ignore_ascii_case("on"))
}

/// Where the pass sends requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The host part as written (a name, an address, an `upstream` group, or
    /// `unix:/path`).
    pub host: String,
    pub port: Option<u16>,
    /// `host` is the name of an `upstream {}` block.
    pub group: bool,
}

/// One pass (`proxy_pass`, `grpc_pass`, `uwsgi_pass`) with its upstream-TLS settings.
#[derive(Debug, Clone)]
pub struct Upstream<'a> {
    pub module: Module,
    pub pass: &'a Directive,
    /// The index of the server it is in (`Model::servers`).
    pub server: usize,
    /// The innermost `location` around it (None in a stream server).
    pub location: Option<&'a Directive>,
    /// The pass has variables: the scheme and host are known only at run time.
    pub variables: bool,
    /// nginx connects with TLS (or may, for a pass with variables).
    pub tls: bool,
    pub target: Option<Target>,
    pub ssl: UpstreamSsl<'a>,
    /// Another module's upstream-TLS directives in effect here, which this pass
    /// ignores (`proxy_ssl_*` where `grpc_pass` is used, ...).
    pub foreign: Vec<Setting<'a>>,
}

impl<'a> Upstream<'a> {
    /// `<module>_ssl_verify on`.
    pub fn verifies(&self) -> bool {
        on(self.ssl.verify)
    }

    /// `<module>_ssl_server_name on` (default off: no SNI).
    pub fn sends_sni(&self) -> bool {
        on(self.ssl.server_name)
    }

    /// The backend servers this pass reaches, as nginx keeps their TLS sessions: an
    /// `upstream` group by name, an address by `host:port` (None with variables).
    pub fn backend_key(&self) -> Option<(bool, String)> {
        let t = self.target.as_ref()?;
        if self.variables {
            return None;
        }
        let key = if t.group {
            t.host.clone()
        } else {
            format!(
                "{}:{}",
                t.host,
                t.port.map(|p| p.to_string()).unwrap_or_default()
            )
        };
        Some((self.module == Module::Stream, key))
    }

    /// What a resumed TLS session carries over from the handshake that made it:
    /// (directive suffix, value) of the certificate, key, verify, trusted file, CRL (the
    /// name is checked again on a resumed session).
    pub fn session_identity(&self) -> Vec<(&'static str, String)> {
        let ssl = &self.ssl;
        [
            ("certificate", ssl.certificate),
            ("certificate_key", ssl.certificate_key),
            ("verify", ssl.verify),
            ("trusted_certificate", ssl.trusted_certificate),
            ("crl", ssl.crl),
        ]
        .into_iter()
        .map(|(k, s)| {
            let v = s.map(|s| s.value()).unwrap_or_default();
            let v = if k == "verify" && v.is_empty() {
                "off".to_string()
            } else {
                v
            };
            (k, v)
        })
        .collect()
    }

    /// The other TLS passes that share this one's backend sessions with other
    /// settings (both reuse sessions), each with the directives that differ.
    pub fn session_sharers<'m>(
        &self,
        all: &'m [Upstream<'a>],
    ) -> Vec<(&'m Upstream<'a>, Vec<String>)> {
        let Some(key) = self.backend_key() else {
            return Vec::new();
        };
        if !self.tls || !self.reuses_sessions() {
            return Vec::new();
        }
        let mine = self.session_identity();
        all.iter()
            .filter(|o| !std::ptr::eq(o.pass, self.pass) && o.tls && o.reuses_sessions())
            .filter(|o| o.backend_key().as_ref() == Some(&key))
            .filter_map(|o| {
                let differ: Vec<String> = o
                    .session_identity()
                    .iter()
                    .zip(&mine)
                    .filter(|(a, b)| a.1 != b.1)
                    .map(|(a, _)| self.module.directive(a.0))
                    .collect();
                (!differ.is_empty()).then_some((o, differ))
            })
            .collect()
    }

    /// `<module>_ssl_session_reuse` (default on).
    pub fn reuses_sessions(&self) -> bool {
        self.ssl
            .session_reuse
            .is_none_or(|s| s.value().eq_ignore_ascii_case("on"))
    }

    /// `<module>_ssl_verify_depth`, nginx's default 1.
    pub fn verify_depth(&self) -> u32 {
        self.ssl
            .verify_depth
            .and_then(|s| s.value().parse().ok())
            .unwrap_or(1)
    }

    /// The name nginx sends as SNI and checks the certificate against:
    /// `<module>_ssl_name`, else the host of the pass (an `upstream` group's name),
    /// without a port. None when it is known only at run time.
    pub fn ssl_name(&self) -> Option<String> {
        let name = match self.ssl.name {
            Some(s) => s.value(),
            None => self.target.as_ref()?.host.clone(),
        };
        if name.contains('$') {
            return None;
        }
        // nginx cuts the name at the first ':' after an optional `[...]`
        // (ngx_http_upstream_ssl_name).
        let start = if name.starts_with('[') {
            name.find(']').map_or(0, |i| i + 1)
        } else {
            0
        };
        let name = match name[start..].find(':') {
            Some(i) => name[..start + i].to_string(),
            None => name,
        };
        Some(name)
    }

    /// The name is an address (or a unix socket): nginx sends no SNI for it.
    pub fn name_is_address(&self) -> bool {
        self.ssl_name().as_deref().is_some_and(|n| {
            n.trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok()
                || n.starts_with("unix:")
        })
    }

    /// The name sent as SNI: `<module>_ssl_server_name on` and a name that is not an
    /// address.
    pub fn sni(&self) -> Option<String> {
        if self.sends_sni() && !self.name_is_address() {
            self.ssl_name()
        } else {
            None
        }
    }

    /// The pass and its URL, for messages: `proxy_pass https://backend`.
    pub fn describe(&self) -> String {
        let args: Vec<String> = self
            .pass
            .args
            .iter()
            .map(|a| a.as_str().into_owned())
            .collect();
        format!("{} {}", self.pass.name.as_str(), args.join(" "))
    }
}

/// Parses a pass's URL: `https://host:port/uri`, `grpcs://host:port`, `host:port`,
/// `unix:/path`, an `upstream` name.
pub fn parse_target(url: &str, module: Module, groups: &[String]) -> Option<Target> {
    if url.contains('$') {
        return None;
    }
    let rest = match url.split_once("://") {
        Some((_, r)) => r,
        None => url,
    };
    // nginx compares schemes case-insensitively; grpc_pass has no default port.
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    let default_port = match scheme.as_deref() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    };
    if let Some(path) = rest.strip_prefix("unix:") {
        let path = path.split(':').next().unwrap_or(path);
        return Some(Target {
            host: format!("unix:{path}"),
            port: None,
            group: false,
        });
    }
    let hostport = match module {
        Module::Stream => rest,
        _ => rest.split('/').next().unwrap_or(rest),
    };
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        match v6.split_once(']') {
            Some((a, p)) => (
                format!("[{a}]"),
                p.strip_prefix(':').and_then(|p| p.parse().ok()),
            ),
            None => (hostport.to_string(), None),
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p.parse().ok()),
            None => (hostport.to_string(), None),
        }
    };
    let group = groups.iter().any(|g| g.eq_ignore_ascii_case(&host));
    Some(Target {
        port: if group { None } else { port.or(default_port) },
        host,
        group,
    })
}

/// The upstream-TLS directive names of every module, for the walk.
fn family(name: &str) -> Option<(Module, &str)> {
    for m in [Module::Proxy, Module::Grpc, Module::Uwsgi] {
        if let Some(suffix) = name
            .strip_prefix(m.prefix())
            .and_then(|r| r.strip_prefix('_'))
            && SUFFIXES.contains(&suffix)
        {
            return Some((m, suffix));
        }
    }
    None
}

/// What [`build`] needs from the configuration, gathered during the model's one walk:
/// the upstream-TLS directives directly in each block (key: the block's address; 0 for
/// the top of a file read as a fragment), and each pass with its enclosing blocks and
/// module.
#[derive(Default)]
pub struct Collected<'a> {
    by_block: BTreeMap<usize, Vec<&'a Directive>>,
    passes: Vec<(&'a Directive, Vec<&'a Directive>, Protocol)>,
}

impl<'a> Collected<'a> {
    /// Takes what matters of one directive of the walk.
    pub fn visit(&mut self, v: &Visit<'a, '_>) {
        let d = v.directive;
        let name = d.name.as_str();
        let pass = matches!(name.as_ref(), "proxy_pass" | "grpc_pass" | "uwsgi_pass");
        let tls_setting = family(&name).is_some() || name == "proxy_ssl";
        if !pass && !tls_setting {
            return;
        }
        let stream = v
            .context
            .iter()
            .map(String::as_str)
            .chain(
                v.parents
                    .iter()
                    .map(|p| std::str::from_utf8(p.name.value.as_slice()).unwrap_or("")),
            )
            .any(|n| n == "stream");
        if family(&name).is_some() || (stream && name == "proxy_ssl") {
            let key = v
                .parents
                .last()
                .map_or(0, |p| *p as *const Directive as usize);
            self.by_block.entry(key).or_default().push(d);
        }
        if pass {
            let protocol = if stream {
                Protocol::Stream
            } else {
                Protocol::Http
            };
            self.passes.push((d, v.parents.to_vec(), protocol));
        }
    }
}

/// Every pass of the configuration. `server_of` maps a `server` block (by its address)
/// to its index in `Model::servers`.
pub fn build<'a>(
    collected: Collected<'a>,
    server_of: &BTreeMap<usize, usize>,
    groups: &BTreeMap<Protocol, Vec<String>>,
) -> Vec<Upstream<'a>> {
    let Collected { by_block, passes } = collected;
    let mut out = Vec::new();
    for (pass, parents, protocol) in passes {
        let module = match (pass.name.as_str().as_ref(), protocol) {
            ("proxy_pass", Protocol::Stream) => Module::Stream,
            ("proxy_pass", _) => Module::Proxy,
            ("grpc_pass", _) => Module::Grpc,
            _ => Module::Uwsgi,
        };
        let Some(server) = parents
            .iter()
            .rev()
            .find(|p| p.is("server"))
            .and_then(|p| server_of.get(&(*p as *const Directive as usize)))
            .copied()
        else {
            continue;
        };
        let location = parents.iter().rev().find(|p| p.is("location")).copied();
        // Innermost level first: the blocks around the pass (not `if`: the directives
        // are not allowed there), then the top of a fragment.
        let levels: Vec<usize> = parents
            .iter()
            .rev()
            .filter(|p| !p.is("if") && !p.is("limit_except"))
            .map(|p| *p as *const Directive as usize)
            .chain([0])
            .collect();
        let mut ssl = UpstreamSsl::default();
        let mut foreign: Vec<Setting<'a>> = Vec::new();
        let mut foreign_seen: Vec<String> = Vec::new();
        for (depth, key) in levels.iter().enumerate() {
            let Some(list) = by_block.get(key) else {
                continue;
            };
            let inherited = depth > 0;
            for d in list.iter().rev() {
                let name = d.name.as_str();
                let setting = Setting {
                    directive: d,
                    inherited,
                };
                if module == Module::Stream && name == "proxy_ssl" {
                    if ssl.ssl_on.is_none() {
                        ssl.ssl_on = Some(setting);
                    }
                    continue;
                }
                let Some((m, suffix)) = family(&name) else {
                    continue;
                };
                let same = m == module || (m == Module::Proxy && module == Module::Stream);
                if same {
                    if let Some(slot) = ssl.slot(suffix)
                        && slot.is_none()
                    {
                        *slot = Some(setting);
                    }
                } else if depth == 0 && !foreign_seen.contains(&name.to_string()) {
                    foreign_seen.push(name.to_string());
                    foreign.push(setting);
                }
            }
        }
        foreign.sort_by_key(|s| s.span().start);
        let url = pass.arg(0).map(|a| a.into_owned()).unwrap_or_default();
        let variables = url.contains('$');
        let tls = match module.tls_scheme() {
            Some(scheme) => {
                variables
                    || url
                        .get(..scheme.len())
                        .is_some_and(|p| p.eq_ignore_ascii_case(scheme))
            }
            None => on(ssl.ssl_on),
        };
        let empty = Vec::new();
        let target = parse_target(&url, module, groups.get(&protocol).unwrap_or(&empty));
        out.push(Upstream {
            module,
            pass,
            server,
            location,
            variables,
            tls,
            target,
            ssl,
            foreign,
        });
    }
    out
}
