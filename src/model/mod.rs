//! nginx's effective settings, per server: what each `server {}` block inherits from
//! `http {}` (or `stream {}`), which sockets it listens on, which servers share a
//! socket and which one is the default. Rules read this instead of the raw tree.
//!
//! nginx merges `http`-level values into every server after the whole `http` block
//! is read, so an `http`-level directive applies wherever it stands in the block.
//!
//! Import circle: model.rs (this mod.rs) <-> upstream.rs: the model lists the upstream
//! connections, which are made of the model's `Setting`s and `Protocol`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::config::{Config, Directive, Span, Visit};

pub mod profile;
pub mod trust;
pub mod upstream;

/// Which nginx module reads the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    Http,
    Stream,
}

impl Protocol {
    pub fn block(self) -> &'static str {
        match self {
            Protocol::Http => "http",
            Protocol::Stream => "stream",
        }
    }
}

/// `ssl_verify_client`'s value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyMode {
    Off,
    On,
    Optional,
    OptionalNoCa,
}

impl VerifyMode {
    /// nginx's enum slot compares case-insensitively: `ON` is `on`.
    pub fn parse(s: &str) -> Option<VerifyMode> {
        match s.to_ascii_lowercase().as_str() {
            "off" => Some(VerifyMode::Off),
            "on" => Some(VerifyMode::On),
            "optional" => Some(VerifyMode::Optional),
            "optional_no_ca" => Some(VerifyMode::OptionalNoCa),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            VerifyMode::Off => "off",
            VerifyMode::On => "on",
            VerifyMode::Optional => "optional",
            VerifyMode::OptionalNoCa => "optional_no_ca",
        }
    }
}

/// One effective directive and where it came from.
#[derive(Debug, Clone, Copy)]
pub struct Setting<'a> {
    pub directive: &'a Directive,
    /// Set at the `http`/`stream` level, not in the server itself.
    pub inherited: bool,
}

impl<'a> Setting<'a> {
    pub fn span(&self) -> Span {
        self.directive.span
    }

    /// The first argument.
    pub fn value(&self) -> String {
        self.directive
            .arg(0)
            .map(|s| s.into_owned())
            .unwrap_or_default()
    }
}

/// A `listen` directive, normalised.
#[derive(Debug, Clone)]
pub struct Listen<'a> {
    pub directive: Option<&'a Directive>,
    /// `address:port` as nginx groups sockets (`*:443`, `127.0.0.1:443`, `[::1]:443`,
    /// `unix:/path`).
    pub socket: String,
    pub ssl: bool,
    pub default_server: bool,
}

/// The ssl settings in effect in one server.
#[derive(Debug, Clone, Default)]
pub struct Ssl<'a> {
    pub verify_client: Option<Setting<'a>>,
    pub client_certificate: Option<Setting<'a>>,
    pub trusted_certificate: Option<Setting<'a>>,
    pub verify_depth: Option<Setting<'a>>,
    pub crl: Option<Setting<'a>>,
    /// `ssl_certificate` (one per key type; all from the same level).
    pub certificates: Vec<Setting<'a>>,
    pub certificate_keys: Vec<Setting<'a>>,
    /// `ssl on;` (old style, before `listen ... ssl`).
    pub ssl_on: Option<Setting<'a>>,
}

/// One `server {}` block with its effective settings.
#[derive(Debug, Clone)]
pub struct Server<'a> {
    pub protocol: Protocol,
    pub block: &'a Directive,
    pub names: Vec<String>,
    pub listens: Vec<Listen<'a>>,
    pub ssl: Ssl<'a>,
    /// Every directive inside the server (nested blocks and includes too), in order.
    pub inner: Vec<&'a Directive>,
    /// `access_log` directives in effect at the server level (its own or inherited).
    pub access_logs: Vec<Setting<'a>>,
    /// Not a `server {}` block but a TLS snippet read alone (`ssl_*` lines meant for the
    /// servers that include it): its settings as a server would have them, with no
    /// listener.
    pub snippet: bool,
}

impl<'a> Server<'a> {
    pub fn verify_mode(&self) -> VerifyMode {
        self.ssl
            .verify_client
            .and_then(|s| VerifyMode::parse(&s.directive.arg(0)?))
            .unwrap_or(VerifyMode::Off)
    }

    /// nginx treats the server as a TLS server: a `listen ... ssl`, `ssl on`, or an
    /// `ssl_certificate` (nginx then loads and checks every ssl_* setting).
    pub fn ssl_configured(&self) -> bool {
        self.snippet
            || self.listens.iter().any(|l| l.ssl)
            || !self.ssl.certificates.is_empty()
            || self
                .ssl
                .ssl_on
                .is_some_and(|s| s.directive.arg(0).as_deref() == Some("on"))
    }

    /// Connections to this server are TLS: some listen socket has `ssl` (for `http`)
    /// or `ssl on` is set.
    pub fn tls_listener(&self) -> bool {
        if self.snippet {
            return true;
        }
        self.listens.iter().any(|l| l.ssl)
            || self
                .ssl
                .ssl_on
                .is_some_and(|s| s.directive.arg(0).as_deref() == Some("on"))
    }

    /// Client certificates are requested.
    pub fn mtls(&self) -> bool {
        self.verify_mode() != VerifyMode::Off
    }

    /// `ssl_verify_depth`, nginx's default 1.
    pub fn verify_depth(&self) -> u32 {
        self.ssl
            .verify_depth
            .and_then(|s| s.value().parse().ok())
            .unwrap_or(1)
    }

    /// A name for messages: the first `server_name`, or the first listen socket.
    pub fn display_name(&self) -> String {
        self.names
            .iter()
            .find(|n| !n.is_empty())
            .cloned()
            .or_else(|| self.listens.first().map(|l| l.socket.clone()))
            .unwrap_or_else(|| {
                if self.snippet {
                    "(any server that includes this file)".into()
                } else {
                    "server".into()
                }
            })
    }
}

/// The effective model of a configuration.
#[derive(Debug)]
pub struct Model<'a> {
    pub config: &'a Config,
    pub servers: Vec<Server<'a>>,
    /// `log_format` definitions by name (http level).
    pub log_formats: BTreeMap<String, &'a Directive>,
    /// Every `map` block (http level): its source variable and directive.
    pub maps: Vec<&'a Directive>,
    /// Every directive of the configuration, for rules that search by name.
    pub all: Vec<&'a Directive>,
    /// The directives directly in `http {}` (or a site fragment's top level).
    pub http_level: Vec<&'a Directive>,
    /// The OpenSSL nginx runs with (`--openssl-version`, `--nginx-binary`): it verifies
    /// the client certificates.
    pub openssl: crate::certs::profile::Openssl,
    /// Every `proxy_pass`/`grpc_pass`/`uwsgi_pass` with its upstream-TLS settings.
    pub upstreams: Vec<upstream::Upstream<'a>>,
    /// The `upstream {}` block of each group name, per module.
    pub upstream_groups: BTreeMap<(Protocol, String), &'a Directive>,
}

/// Whether the directive sits directly in `http {}` / `stream {}` (or at the top of a
/// fragment read as if in `http {}`).
fn level(v: &Visit<'_, '_>) -> Option<Protocol> {
    let names: Vec<&str> = v
        .context
        .iter()
        .map(String::as_str)
        .chain(
            v.parents
                .iter()
                .map(|p| p.name.value.as_slice())
                .map(|b| std::str::from_utf8(b).unwrap_or("")),
        )
        .collect();
    match names.as_slice() {
        ["http"] => Some(Protocol::Http),
        ["stream"] => Some(Protocol::Stream),
        _ => None,
    }
}

const SSL_NAMES: [&str; 8] = [
    "ssl_verify_client",
    "ssl_client_certificate",
    "ssl_trusted_certificate",
    "ssl_verify_depth",
    "ssl_crl",
    "ssl_certificate",
    "ssl_certificate_key",
    "ssl",
];

fn assign<'a>(ssl: &mut Ssl<'a>, d: &'a Directive, inherited: bool) {
    let s = Setting {
        directive: d,
        inherited,
    };
    let name = d.name.as_str();
    match name.as_ref() {
        "ssl_verify_client" => ssl.verify_client = Some(s),
        "ssl_client_certificate" => ssl.client_certificate = Some(s),
        "ssl_trusted_certificate" => ssl.trusted_certificate = Some(s),
        "ssl_verify_depth" => ssl.verify_depth = Some(s),
        "ssl_crl" => ssl.crl = Some(s),
        "ssl_certificate" => ssl.certificates.push(s),
        "ssl_certificate_key" => ssl.certificate_keys.push(s),
        "ssl" => ssl.ssl_on = Some(s),
        _ => {}
    }
}

/// Normalises a `listen` directive's first argument to nginx's socket key.
pub fn socket_of(arg: &str, protocol: Protocol) -> String {
    if arg.starts_with("unix:") {
        return arg.to_string();
    }
    if let Some(rest) = arg.strip_prefix('[') {
        // [::1]:443 or [::]:443 or [::1]
        let (addr, port) = match rest.split_once("]:") {
            Some((a, p)) => (a, p),
            None => (
                rest.trim_end_matches(']'),
                if protocol == Protocol::Http { "80" } else { "" },
            ),
        };
        return format!("[{addr}]:{port}");
    }
    if arg.bytes().all(|b| b.is_ascii_digit()) {
        return format!("*:{arg}");
    }
    match arg.rsplit_once(':') {
        Some((addr, port)) => {
            let addr = if addr == "0.0.0.0" { "*" } else { addr };
            format!("{addr}:{port}")
        }
        None => format!("{arg}:80"),
    }
}

impl<'a> Model<'a> {
    pub fn build(config: &'a Config) -> Model<'a> {
        let mut servers: Vec<Server<'a>> = Vec::new();
        let mut http_ssl: BTreeMap<Protocol, Vec<&'a Directive>> = BTreeMap::new();
        let mut http_logs: BTreeMap<Protocol, Vec<&'a Directive>> = BTreeMap::new();
        let mut log_formats = BTreeMap::new();
        let mut maps = Vec::new();
        let mut all = Vec::new();
        let mut http_level = Vec::new();
        let mut upstream_groups = BTreeMap::new();
        // The servers being read, by the span of their block (innermost last).
        let mut open: Vec<(Span, usize)> = Vec::new();
        // Top-level lines of a file read as if included in a server.
        let mut server_snippet: Vec<&'a Directive> = Vec::new();
        let mut collected = upstream::Collected::default();
        config.walk(&mut |v| {
            let d = v.directive;
            all.push(d);
            collected.visit(v);
            if v.parents.is_empty() && v.context == ["http", "server"] {
                server_snippet.push(d);
            }
            // Which server (if any) this directive belongs to: the nearest `server`
            // parent that sits at http/stream level.
            let parent_server = v.parents.iter().rposition(|p| p.is("server"));
            if let Some(i) = parent_server {
                let span = v.parents[i].span;
                if let Some(&(_, idx)) = open.iter().rev().find(|(s, _)| *s == span) {
                    let server = &mut servers[idx];
                    server.inner.push(d);
                    if i + 1 == v.parents.len() {
                        // Directly in the server block.
                        let name = d.name.as_str();
                        if SSL_NAMES.contains(&name.as_ref()) {
                            assign(&mut server.ssl, d, false);
                        } else if name == "listen" {
                            if let Some(a) = d.arg(0) {
                                let rest: Vec<String> = d.args[1..]
                                    .iter()
                                    .map(|w| w.as_str().into_owned())
                                    .collect();
                                server.listens.push(Listen {
                                    directive: Some(d),
                                    socket: socket_of(&a, server.protocol),
                                    ssl: rest.iter().any(|r| r == "ssl"),
                                    default_server: rest
                                        .iter()
                                        .any(|r| r == "default_server" || r == "default"),
                                });
                            }
                        } else if name == "server_name" {
                            server
                                .names
                                .extend(d.args.iter().map(|w| w.as_str().into_owned()));
                        } else if name == "access_log" {
                            server.access_logs.push(Setting {
                                directive: d,
                                inherited: false,
                            });
                        }
                    }
                }
            }
            if let Some(protocol) = level(v) {
                if protocol == Protocol::Http {
                    http_level.push(d);
                }
                let name = d.name.as_str();
                if d.is("server") && d.block.is_some() {
                    open.retain(|(s, _)| v.parents.iter().any(|p| p.span == *s));
                    servers.push(Server {
                        protocol,
                        block: d,
                        names: Vec::new(),
                        listens: Vec::new(),
                        ssl: Ssl::default(),
                        inner: Vec::new(),
                        access_logs: Vec::new(),
                        snippet: false,
                    });
                    open.push((d.span, servers.len() - 1));
                } else if SSL_NAMES.contains(&name.as_ref()) {
                    http_ssl.entry(protocol).or_default().push(d);
                } else if name == "access_log" {
                    http_logs.entry(protocol).or_default().push(d);
                } else if name == "log_format" && protocol == Protocol::Http {
                    if let Some(n) = d.arg(0) {
                        log_formats.insert(n.into_owned(), d);
                    }
                } else if name == "map" && d.block.is_some() {
                    maps.push(d);
                } else if name == "upstream"
                    && d.block.is_some()
                    && let Some(n) = d.arg(0)
                {
                    upstream_groups.insert((protocol, n.into_owned()), d);
                }
            }
        });
        // A TLS snippet read alone (`ssl_verify_client on; ssl_client_certificate ...;`,
        // included by servers nginx reads elsewhere): checked as the server it is meant
        // for, so that its CA, CRL and certificate files are read and judged.
        let main_seen = config.roots.iter().any(|r| r.context.is_empty());
        let tls = |list: &[&Directive]| {
            list.iter().any(|d| {
                matches!(
                    d.name.as_str().as_ref(),
                    "ssl_verify_client"
                        | "ssl_client_certificate"
                        | "ssl_trusted_certificate"
                        | "ssl_crl"
                        | "ssl_certificate"
                )
            })
        };
        let http_tls = http_ssl
            .get(&Protocol::Http)
            .is_some_and(|l| tls(l.as_slice()));
        if servers.is_empty()
            && !main_seen
            && let Some(root) = config.roots.first()
            && (http_tls || tls(&server_snippet))
        {
            let parsed = crate::config::parse(b"server {}", root.file);
            if let Some(block) = parsed.directives.into_iter().next() {
                let block: &'a Directive = Box::leak(Box::new(block));
                let mut ssl = Ssl::default();
                for d in &server_snippet {
                    if SSL_NAMES.contains(&d.name.as_str().as_ref()) {
                        assign(&mut ssl, d, false);
                    }
                }
                servers.push(Server {
                    protocol: Protocol::Http,
                    block,
                    names: Vec::new(),
                    listens: Vec::new(),
                    ssl,
                    inner: server_snippet.clone(),
                    access_logs: Vec::new(),
                    snippet: true,
                });
            }
        }
        for server in &mut servers {
            let inherited = http_ssl.get(&server.protocol).cloned().unwrap_or_default();
            let mut base = Ssl::default();
            for d in inherited {
                assign(&mut base, d, true);
            }
            let own = std::mem::take(&mut server.ssl);
            server.ssl = Ssl {
                verify_client: own.verify_client.or(base.verify_client),
                client_certificate: own.client_certificate.or(base.client_certificate),
                trusted_certificate: own.trusted_certificate.or(base.trusted_certificate),
                verify_depth: own.verify_depth.or(base.verify_depth),
                crl: own.crl.or(base.crl),
                // nginx inherits ssl_certificate as a whole list.
                certificates: if own.certificates.is_empty() {
                    base.certificates
                } else {
                    own.certificates
                },
                certificate_keys: if own.certificate_keys.is_empty() {
                    base.certificate_keys
                } else {
                    own.certificate_keys
                },
                ssl_on: own.ssl_on.or(base.ssl_on),
            };
            if server.listens.is_empty() && server.protocol == Protocol::Http && !server.snippet {
                server.listens.push(Listen {
                    directive: None,
                    socket: "*:80".into(),
                    ssl: false,
                    default_server: false,
                });
            }
            if server.access_logs.is_empty() {
                server.access_logs = http_logs
                    .get(&server.protocol)
                    .map(|v| {
                        v.iter()
                            .map(|d| Setting {
                                directive: d,
                                inherited: true,
                            })
                            .collect()
                    })
                    .unwrap_or_default();
            }
        }
        let server_of: BTreeMap<usize, usize> = servers
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.snippet)
            .map(|(i, s)| (s.block as *const Directive as usize, i))
            .collect();
        let mut groups: BTreeMap<Protocol, Vec<String>> = BTreeMap::new();
        for (p, n) in upstream_groups.keys() {
            groups.entry(*p).or_default().push(n.clone());
        }
        let upstreams = upstream::build(collected, &server_of, &groups);
        Model {
            config,
            servers,
            log_formats,
            maps,
            all,
            http_level,
            openssl: crate::certs::profile::Openssl::NEWEST,
            upstreams,
            upstream_groups,
        }
    }

    /// The servers sharing each listening socket, with the index of the default server
    /// (marked `default_server`, else the first).
    pub fn sockets(&self) -> BTreeMap<(Protocol, String), (Vec<usize>, usize)> {
        let mut out: BTreeMap<(Protocol, String), (Vec<usize>, usize)> = BTreeMap::new();
        for (i, s) in self.servers.iter().enumerate() {
            for l in &s.listens {
                let e = out
                    .entry((s.protocol, l.socket.clone()))
                    .or_insert((Vec::new(), usize::MAX));
                // Servers come in order: a server listed twice is the last one.
                if e.0.last() != Some(&i) {
                    e.0.push(i);
                }
                if l.default_server && e.1 == usize::MAX {
                    e.1 = i;
                }
            }
        }
        for (servers, default) in out.values_mut() {
            if *default == usize::MAX {
                *default = servers[0];
            }
        }
        out
    }

    /// A path from the configuration, resolved as nginx resolves ssl_* files.
    pub fn path(&self, setting: &Setting<'_>) -> PathBuf {
        self.config.resolve_path(&setting.value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Input, LoadOptions, load};

    fn model_of(src: &str) -> (tempfile::TempDir, Config) {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("nginx.conf");
        std::fs::write(&p, src).unwrap();
        let c = load(&Input::File(p), &LoadOptions::default());
        (tmp, c)
    }

    #[test]
    fn http_level_settings_are_inherited_wherever_they_stand() {
        let (_t, c) = model_of(
            "http { server { listen 443 ssl; ssl_verify_client optional; } ssl_client_certificate ca.pem; ssl_verify_client on; }",
        );
        let m = Model::build(&c);
        let s = &m.servers[0];
        assert_eq!(s.verify_mode(), VerifyMode::Optional);
        assert!(!s.ssl.verify_client.unwrap().inherited);
        let ca = s.ssl.client_certificate.unwrap();
        assert!(ca.inherited);
        assert_eq!(ca.value(), "ca.pem");
        assert_eq!(s.listens[0].socket, "*:443");
    }

    #[test]
    fn sockets_and_default_servers() {
        let (_t, c) = model_of(
            "http { server { listen 127.0.0.1:443 ssl; server_name a; } server { listen 127.0.0.1:443 ssl default_server; server_name b; } server { server_name c; } }\nstream { server { listen 443 ssl; } }",
        );
        let m = Model::build(&c);
        let socks = m.sockets();
        let (servers, default) = &socks[&(Protocol::Http, "127.0.0.1:443".to_string())];
        assert_eq!(servers, &[0, 1]);
        assert_eq!(*default, 1);
        assert!(socks.contains_key(&(Protocol::Http, "*:80".to_string())));
        assert!(socks.contains_key(&(Protocol::Stream, "*:443".to_string())));
    }

    #[test]
    fn socket_normalisation() {
        assert_eq!(socket_of("443", Protocol::Http), "*:443");
        assert_eq!(socket_of("0.0.0.0:443", Protocol::Http), "*:443");
        assert_eq!(socket_of("[::]:443", Protocol::Http), "[::]:443");
        assert_eq!(socket_of("localhost", Protocol::Http), "localhost:80");
        assert_eq!(
            socket_of("unix:/run/x.sock", Protocol::Http),
            "unix:/run/x.sock"
        );
    }
}
